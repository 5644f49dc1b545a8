// The server benchmark: the release wirechat-server under load from Node `ws` clients.
//
//   node bench/server.mjs --server target/server/wirechat-server --out docs
//
// Measures, each on a fresh server and data directory:
//   - idle: RSS per idle connection with N connections open (default 10,000), spread over
//     several 127.0.0.x source addresses so the client never runs out of ports;
//   - fanout: deliveries per second to a room of M members (default 100), one sender
//     keeping a window of messages in flight;
//   - join storm: S clients (default 500) joining one room at once (asking for presence
//     changes), until each has its history and until every member counts all S present;
//   - disk: database size after 50,000 messages of 3.9 KB into one room, with the default
//     retention (the newest 10,000 per room) and with retention off.
// Writes docs/server-performance.json and the "Server under load" section of
// docs/PERFORMANCE.md (between its markers; the rest of the file is left alone).

import { readFileSync, statSync, writeFileSync, existsSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import WebSocket from "ws";
import { parseArgs } from "./lib/args.mjs";
import { writeSection } from "./lib/doc-section.mjs";
import { startCapacityServer } from "./lib/server.mjs";
import { closeAll } from "./lib/sockets.mjs";

const args = parseArgs(
  process.argv.slice(2),
  "usage: node bench/server.mjs --server PATH [--out DIR]",
  (flags) => flags.server || flags["report-only"] !== undefined,
);
const IDLE_N = Number(args.connections ?? 10_000);
const SOURCES = Number(args.sources ?? 8);
const FAN_MEMBERS = Number(args["fanout-members"] ?? 100);
const FAN_MESSAGES = Number(args["fanout-messages"] ?? 2_000);
const FAN_WINDOW = 64;
const STORM = Number(args["join-storm"] ?? 500);
const DISK_MESSAGES = Number(args["disk-messages"] ?? 50_000);
const DISK_TEXT = 3_900;
const SUBPROTOCOL = "chat";


const log = (...parts) => console.log(`[server-bench ${new Date().toISOString().slice(11, 19)}]`, ...parts);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, digits = 1) => Number(n).toLocaleString("en-US", { maximumFractionDigits: digits });

/** Starts the server with `extra` flags on a free port; resolves once it listens. */
async function startServer(extra = []) {
  const server = await startCapacityServer(resolve(args.server), extra);
  return { ...server, url: server.wsUrl };
}

/** A client: resolves once `hello` arrived. `onFrame` sees every later frame. */
function connect(url, i, onFrame = () => {}) {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, SUBPROTOCOL, {
      localAddress: `127.0.0.${1 + (i % SOURCES)}`,
      perMessageDeflate: false,
    });
    ws.closeCode = null;
    ws.once("error", fail);
    ws.once("close", (code) => { ws.closeCode = code; });
    ws.once("message", () => {
      ws.on("message", (data) => onFrame(JSON.parse(data)));
      ok(ws);
    });
  });
}

/** Opens `n` clients, `batch` handshakes at a time. */
async function connectMany(url, n, onFrame, batch = 250) {
  const sockets = [];
  for (let start = 0; start < n; start += batch) {
    const size = Math.min(batch, n - start);
    const opened = await Promise.all(
      Array.from({ length: size }, (_, k) => connect(url, start + k, (f) => onFrame?.(start + k, f))),
    );
    sockets.push(...opened);
  }
  return sockets;
}

const message = (room, id, text) => JSON.stringify({ type: "msg", id, room, from: "bench", text, ts: Date.now() });

async function idle() {
  const server = await startServer(["--memory"]);
  await sleep(500);
  const before = server.rssKiB();
  const started = performance.now();
  const sockets = await connectMany(server.url, IDLE_N);
  const connectMs = performance.now() - started;
  await sleep(2_000);
  const after = server.rssKiB();
  await closeAll(sockets);
  await server.stop();
  const perConnection = ((after - before) * 1024) / IDLE_N;
  log(`idle: ${IDLE_N} connections, RSS ${fmt(before / 1024)} → ${fmt(after / 1024)} MiB, ${fmt(perConnection / 1024, 2)} KiB each`);
  return { connections: IDLE_N, sources: SOURCES, rssBeforeKiB: before, rssAfterKiB: after, bytesPerConnection: perConnection, connectMs };
}

async function fanout() {
  const server = await startServer(["--memory"]);
  const received = new Array(FAN_MEMBERS).fill(0);
  let done;
  const allDone = new Promise((r) => { done = r; });
  let senderEchoes = 0;
  let inFlight = 0;
  let sent = 0;
  let sender;
  const total = FAN_MEMBERS * FAN_MESSAGES;
  let delivered = 0;
  const pump = () => {
    while (inFlight < FAN_WINDOW && sent < FAN_MESSAGES) {
      sender.send(message("fan", `f${sent}`, `message ${sent}`));
      sent += 1;
      inFlight += 1;
    }
  };
  const members = await connectMany(server.url, FAN_MEMBERS, (i, frame) => {
    if (frame.type !== "msg" || frame.room !== "fan") return;
    received[i] += 1;
    delivered += 1;
    if (i === 0) {
      senderEchoes += 1;
      inFlight -= 1;
      pump();
    }
    if (delivered === total) done();
  });
  sender = members[0];
  await Promise.all(members.map((ws, i) => new Promise((ok) => {
    const onJoined = (data) => {
      const frame = JSON.parse(data);
      if (frame.type === "history" && frame.room === "fan") { ws.off("message", onJoined); ok(); }
    };
    ws.on("message", onJoined);
    ws.send(JSON.stringify({ type: "join", room: "fan", name: `member${i}` }));
  })));
  await sleep(500);
  const started = performance.now();
  pump();
  const outcome = await Promise.race([allDone.then(() => "done"), sleep(120_000).then(() => "timeout")]);
  const seconds = (performance.now() - started) / 1000;
  const closes = members.filter((ws) => ws.closeCode !== null).map((ws) => ws.closeCode);
  await closeAll(members);
  await server.stop();
  const perSecond = delivered / seconds;
  log(`fanout: ${fmt(delivered)} deliveries to ${FAN_MEMBERS} members in ${fmt(seconds, 2)} s = ${fmt(perSecond, 0)}/s (${outcome}; closes: ${closes.join(", ") || "none"})`);
  return { members: FAN_MEMBERS, messages: FAN_MESSAGES, window: FAN_WINDOW, delivered, seconds, deliveriesPerSecond: perSecond, outcome, closes, senderEchoes };
}

async function joinStorm() {
  const server = await startServer(["--memory"]);
  const presenceSize = new Array(STORM).fill(0);
  const joinedAt = new Array(STORM).fill(null);
  let bytes = 0;
  let settledAt = null;
  let started = 0;
  let joined = 0;
  let full = 0;
  const clients = await connectMany(server.url, STORM, (i, frame) => {
    if (frame.room !== "storm") return;
    if (frame.type === "history" && joinedAt[i] === null) {
      joinedAt[i] = performance.now() - started;
      joined += 1;
    }
    // Clients ask for presence as changes (`deltas`): one snapshot, whose `count` is the
    // room's size when its list is cut short, then `joined`/`left`.
    let size = presenceSize[i];
    if (frame.type === "presence" && Array.isArray(frame.users)) size = frame.count ?? frame.users.length;
    else if (frame.type === "joined") size += 1;
    else if (frame.type === "left") size -= 1;
    else return;
    bytes += JSON.stringify(frame).length;
    const wasFull = presenceSize[i] === STORM;
    presenceSize[i] = size;
    if (!wasFull && size === STORM) full += 1;
    if (full === STORM && settledAt === null) settledAt = performance.now() - started;
  });
  const rssBefore = server.rssKiB();
  started = performance.now();
  clients.forEach((ws, i) => ws.send(JSON.stringify({ type: "join", room: "storm", name: `user${i}`, deltas: true })));
  const deadline = performance.now() + 120_000;
  while ((joined < STORM || settledAt === null) && performance.now() < deadline) await sleep(20);
  const rssAfter = server.rssKiB();
  const closes = clients.filter((ws) => ws.closeCode !== null).map((ws) => ws.closeCode);
  await closeAll(clients);
  await server.stop();
  const allJoinedMs = joined === STORM ? Math.max(...joinedAt) : null;
  log(`join storm: ${STORM} joins, all answered in ${fmt(allJoinedMs ?? NaN, 0)} ms, presence settled in ${fmt(settledAt ?? NaN, 0)} ms, ${fmt(bytes / 2 ** 20)} MiB of presence (closes: ${closes.length})`);
  return { clients: STORM, allJoinedMs, presenceSettledMs: settledAt, presenceMiB: bytes / 2 ** 20, rssBeforeKiB: rssBefore, rssAfterKiB: rssAfter, closes };
}

function databaseBytes(dir) {
  let total = 0;
  for (const name of ["wirechat.sqlite3", "wirechat.sqlite3-wal", "wirechat.sqlite3-shm"]) {
    const path = join(dir, name);
    if (existsSync(path)) total += statSync(path).size;
  }
  return total;
}

async function disk(label, extra) {
  const server = await startServer(["--retention-interval", "2s", ...extra]);
  const ws = await connect(server.url, 0);
  await new Promise((ok) => {
    ws.on("message", function joined(data) {
      if (JSON.parse(data).type === "history") { ws.off("message", joined); ok(); }
    });
    ws.send(JSON.stringify({ type: "join", room: "disk", name: "writer" }));
  });
  const text = "x".repeat(DISK_TEXT);
  let confirmed = 0;
  let sent = 0;
  let done;
  const finished = new Promise((r) => { done = r; });
  const window = 128;
  ws.on("message", (data) => {
    const frame = JSON.parse(data);
    if (frame.type !== "msg" && frame.type !== "ack") return;
    confirmed += 1;
    if (sent < DISK_MESSAGES) { ws.send(message("disk", `d${sent}`, text)); sent += 1; }
    if (confirmed === DISK_MESSAGES) done();
  });
  const started = performance.now();
  for (; sent < Math.min(window, DISK_MESSAGES); sent += 1) ws.send(message("disk", `d${sent}`, text));
  await finished;
  const seconds = (performance.now() - started) / 1000;
  // Two retention intervals, so a pass has run after the last message.
  await sleep(4_500);
  const bytes = databaseBytes(server.dataDir);
  await closeAll([ws]);
  await server.stop();
  log(`disk (${label}): ${fmt(DISK_MESSAGES)} messages of ${DISK_TEXT} B in ${fmt(seconds, 1)} s, database ${fmt(bytes / 2 ** 20)} MiB`);
  return { label, flags: extra, messages: DISK_MESSAGES, textBytes: DISK_TEXT, seconds, databaseBytes: bytes };
}

function machine() {
  const cpu = cpus()[0]?.model ?? "unknown";
  return {
    cpu,
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
    load: loadavg(),
  };
}

function section(r) {
  const m = r.machine;
  const kib = (b) => fmt(b / 1024, 1);
  return `## Server under load

Generated by \`make bench\` (\`bench/server.mjs\`) against the release server
(\`--profile server\`), from Node ${m.node} \`ws\` clients on the same machine; raw figures in
[server-performance.json](server-performance.json). Run ${r.startedAt} on ${m.cpu}, ${m.cores} cores,
${fmt(m.memoryGiB, 0)} GiB, Linux ${m.kernel}; load average before ${m.load.map((l) => fmt(l, 2)).join(", ")}.
The machine was shared with other work, so the times are indicative.

| measure | aim | measured |
| --- | --- | --- |
| RSS per idle connection, ${fmt(r.idle.connections, 0)} open (${r.idle.sources} source addresses) | ≤ 16 KiB | ${kib(r.idle.bytesPerConnection)} KiB (${fmt(r.idle.rssBeforeKiB / 1024)} → ${fmt(r.idle.rssAfterKiB / 1024)} MiB) |
| deliveries per second, one sender to a ${r.fanout.members}-member room | | ${fmt(r.fanout.deliveriesPerSecond, 0)}/s (${fmt(r.fanout.delivered, 0)} in ${fmt(r.fanout.seconds, 2)} s; closes: ${r.fanout.closes.length}) |
| join storm, ${r.joinStorm.clients} clients join one room at once: all answered | | ${r.joinStorm.allJoinedMs === null ? "not all" : `${fmt(r.joinStorm.allJoinedMs, 0)} ms`}; ${r.joinStorm.closes.length} closed by the server (codes ${[...new Set(r.joinStorm.closes)].join(", ") || "none"}) |
| join storm: until every member's presence lists all ${r.joinStorm.clients} | | ${r.joinStorm.presenceSettledMs === null ? "not reached" : `${fmt(r.joinStorm.presenceSettledMs, 0)} ms`} (${fmt(r.joinStorm.presenceMiB)} MiB of presence frames) |
${r.disk.map((d) => `| database after ${fmt(d.messages, 0)} messages of ${fmt(d.textBytes, 0)} B in one room, ${d.label} | | ${fmt(d.databaseBytes / 2 ** 20)} MiB (written in ${fmt(d.seconds, 1)} s) |`).join("\n")}

How: each measure starts a fresh server (\`--memory\` except the disk runs) with its connection
caps raised and its rate limits off (\`--no-rate-limits\`: a few clients here send far faster
than people do). RSS is the server's \`VmRSS\` from \`/proc\` before the connections and 2 s after
the last handshake, divided by their number. Fan-out counts every \`msg\` frame each member
receives while the sender keeps ${r.fanout.window} messages unconfirmed. The disk runs send with 128 unconfirmed,
wait two retention intervals (\`--retention-interval 2s\`) and add up the database, its WAL and
shared-memory files. SQLite reuses the pages retention frees, so with retention the file stays
at its high-water mark instead of growing with every message. In the join storm each client
joins with \`deltas\`: one presence snapshot (cut to 200 names, with \`count\`), then a
\`joined\` per newcomer, so each member gets one small frame per newcomer instead of the whole
list again; a member
counts as settled once snapshot and changes add up to all ${r.joinStorm.clients}.
`;
}

function writeReport(results, outDir) {
  writeFileSync(join(outDir, "server-performance.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeSection(join(outDir, "PERFORMANCE.md"), "server-bench", section(results));
}

// `--report-only` rewrites the section from the last run's figures.
if (args["report-only"] !== undefined) {
  const outDir = resolve(args.out ?? "docs");
  writeReport(JSON.parse(readFileSync(join(outDir, "server-performance.json"), "utf8")), outDir);
  process.exit(0);
}

const results = { startedAt: new Date().toISOString(), machine: machine() };
const only = new Set((args.only ?? "idle,fanout,storm,disk").split(","));
if (only.has("idle")) results.idle = await idle();
if (only.has("fanout")) results.fanout = await fanout();
if (only.has("storm")) results.joinStorm = await joinStorm();
if (only.has("disk")) {
  results.disk = [
    await disk("default retention (10,000 per room)", []),
    await disk("retention off", ["--retain-messages", "0"]),
  ];
}
results.finishedAt = new Date().toISOString();
if (args.out && results.idle && results.fanout && results.joinStorm && results.disk) {
  writeReport(results, resolve(args.out));
  log(`wrote ${join(args.out, "PERFORMANCE.md")} and ${join(args.out, "server-performance.json")}`);
}
