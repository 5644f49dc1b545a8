// The scale-out benchmark: deliveries per second on one node and on three nodes sharing one
// Redis, and the latency the Redis hop adds.
//
//   node bench/scale.mjs --server target/server/wirechat-server --out docs
//
// Each setup gets fresh processes: a `redis-server` of its own on a free port (persistence
// off) and its nodes, each `wirechat-server` on a free loopback port:
//   - "sqlite-1": one node on the default SQLite engine (a temporary data directory);
//   - "redis-1": one node with `--redis`;
//   - "redis-3": three nodes with `--redis`, on one Redis.
// In each setup, from Node `ws` clients in this one process:
//   - latency: one sender on node A sends a message every 1/rate s; a receiver on node A and,
//     with three nodes, one on node B note when each arrives (one clock: this process);
//   - throughput, one room: senders and receivers spread over the nodes in turn; each sender
//     keeps a window of its messages unconfirmed (its own echo confirms one). After a warm-up,
//     every `msg` frame a receiver gets in a fixed span counts as one delivery;
//   - throughput, several rooms: the same senders and receivers split evenly over rooms.
// The setups take turns, `--rounds` times (default 3): throughput is the median round,
// latency is over the messages of all rounds.
// Writes docs/scale-performance.json and the "Several nodes on Redis" section of
// docs/PERFORMANCE.md (between its markers; the rest of the file is left alone).

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import WebSocket from "ws";
import { parseArgs } from "./lib/args.mjs";
import { writeSection } from "./lib/doc-section.mjs";
import { startRedis } from "./lib/redis.mjs";
import { LatencyLog, coresUsed, cpuTicks, isMsgFrame, medianRound, placeClients } from "./lib/scale.mjs";
import { scaleSection } from "./lib/scale-report.mjs";
import { startCapacityServer } from "./lib/server.mjs";
import { closeAll } from "./lib/sockets.mjs";

const args = parseArgs(
  process.argv.slice(2),
  "usage: node bench/scale.mjs --server PATH [--out DIR] [--rounds N] [--seconds S] [--warmup S] | --report-only [--out DIR]",
  (flags) => flags.server || flags["report-only"] !== undefined,
);
const OUT = resolve(args.out ?? "docs");
const JSON_FILE = "scale-performance.json";
const WORKLOAD = {
  senders: Number(args.senders ?? 6),
  receivers: Number(args.receivers ?? 24),
  rooms: Number(args.rooms ?? 6),
  window: Number(args.window ?? 16),
  textBytes: 100,
  warmupSeconds: Number(args.warmup ?? 3),
  seconds: Number(args.seconds ?? 10),
};
const LATENCY = {
  rate: Number(args["latency-rate"] ?? 50),
  warmupSeconds: 1,
  seconds: Number(args["latency-seconds"] ?? 10),
};
// Each setup is measured this many times, the setups taking turns.
const ROUNDS = Number(args.rounds ?? 3);
const SETUPS = [
  { key: "sqlite-1", label: "1 node, SQLite", redis: false, nodes: 1 },
  { key: "redis-1", label: "1 node, Redis", redis: true, nodes: 1 },
  { key: "redis-3", label: "3 nodes, Redis", redis: true, nodes: 3 },
];
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
// How long the senders' last messages may take to arrive once sending stopped.
const DRAIN_LIMIT_MS = 10_000;

const log = (...parts) => console.log(`[scale-bench ${new Date().toISOString().slice(11, 19)}]`, ...parts);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, digits = 0) => Number(n).toLocaleString("en-US", { maximumFractionDigits: digits });

/** Redis (when the setup uses it) and the setup's nodes, started one after the other. */
async function startSetup(setup) {
  const bin = resolve(args.server);
  const redis = setup.redis ? await startRedis() : null;
  const nodes = [];
  try {
    for (let i = 0; i < setup.nodes; i += 1) {
      nodes.push(await startCapacityServer(bin, redis ? ["--redis", redis.url] : []));
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    throw err;
  }
  return {
    nodes,
    redis,
    pids: { nodes: nodes.map((n) => n.pid), redis: redis?.pid ?? null },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      await redis?.stop();
    },
  };
}

/** A client on `url`: resolves once `hello` came; every later frame goes to `onFrame` as a Buffer. */
function openClient(url, onFrame) {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.closeCode = null;
    ws.once("error", fail);
    ws.once("close", (code) => { ws.closeCode = code; });
    ws.once("message", () => {
      ws.on("message", (data) => onFrame(data));
      ok(ws);
    });
  });
}

/** Joins `room` as `name`; resolves once the room's history came. */
function joinRoom(ws, room, name) {
  return new Promise((ok) => {
    const onJoined = (data) => {
      const frame = JSON.parse(data);
      if (frame.type === "history" && frame.room === room) {
        ws.off("message", onJoined);
        ok();
      }
    };
    ws.on("message", onJoined);
    ws.send(JSON.stringify({ type: "join", room, name }));
  });
}

const textOf = (n) => `message ${n} `.padEnd(WORKLOAD.textBytes, "x");
const chat = (room, id, text) => JSON.stringify({ type: "msg", id, room, from: "bench", text, ts: Date.now() });

/** CPU ticks so far of each process of the setup, and of this one (in microseconds). */
function cpuNow(pids) {
  const ticks = (pid) => cpuTicks(readFileSync(`/proc/${pid}/stat`, "utf8"));
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    nodes: pids.nodes.map(ticks),
    redis: pids.redis === null ? null : ticks(pids.redis),
    benchMicros: own.user + own.system,
  };
}

function cpuBetween(before, after) {
  const seconds = (after.at - before.at) / 1000;
  return {
    nodes: after.nodes.map((t, i) => coresUsed(before.nodes[i], t, seconds, TICKS_PER_SECOND)),
    redis: after.redis === null ? null : coresUsed(before.redis, after.redis, seconds, TICKS_PER_SECOND),
    bench: (after.benchMicros - before.benchMicros) / 1e6 / seconds,
  };
}

/** Counts `error` frames by code, in `errors`. */
function noteError(errors, data) {
  if (!data.includes('"type":"error"')) return null;
  const frame = JSON.parse(data);
  errors[frame.code] = (errors[frame.code] ?? 0) + 1;
  return frame;
}

/** The paths a setup's latency is measured over: a receiver on the sender's node, and with
 * several nodes one on the next node too. */
const latencyPaths = (setup) => (setup.nodes === 1
  ? [{ path: "same node", node: 0 }]
  : [{ path: "same node", node: 0 }, { path: "across nodes", node: 1 }]);

/** Send → delivery latency at a steady low rate, so that it shows the path and not a queue;
 * the times go to `latencies`, under ids of `round`. */
async function latency(setup, running, latencies, round) {
  const room = "latency";
  const paths = latencyPaths(setup);
  const errors = {};
  const receivers = await Promise.all(paths.map(({ path, node }) => openClient(running.nodes[node].wsUrl, (data) => {
    if (isMsgFrame(data)) latencies.received(path, JSON.parse(data).id, performance.now());
    else noteError(errors, data);
  })));
  const sender = await openClient(running.nodes[0].wsUrl, (data) => noteError(errors, data));
  await Promise.all(receivers.map((ws, i) => joinRoom(ws, room, `receiver${i}`)));
  await joinRoom(sender, room, "sender");
  let n = 0;
  let counting = false;
  const timer = setInterval(() => {
    const id = `lat${round}-${n}`;
    // Warm-up messages are never noted, so they are not counted.
    if (counting) latencies.sent(id, performance.now());
    sender.send(chat(room, id, textOf(n)));
    n += 1;
  }, 1000 / LATENCY.rate);
  await sleep(LATENCY.warmupSeconds * 1000);
  counting = true;
  await sleep(LATENCY.seconds * 1000);
  clearInterval(timer);
  await sleep(1_000);
  const sockets = [sender, ...receivers];
  const closes = sockets.filter((ws) => ws.closeCode !== null).map((ws) => ws.closeCode);
  await closeAll(sockets);
  return { sent: n, errors, closes };
}

function logLatency(setup, byPath) {
  for (const { path } of latencyPaths(setup)) {
    const s = byPath[path];
    log(`${setup.key} latency, ${path}: p50 ${fmt(s?.p50, 2)} ms, p99 ${fmt(s?.p99, 2)} ms (${s?.n ?? 0} messages)`);
  }
}

/** Deliveries per second of one workload (`rooms` rooms) over the running setup's nodes. */
async function throughput(setup, running, rooms) {
  const placed = placeClients({ ...WORKLOAD, rooms, nodes: setup.nodes, prefix: `r${rooms}` });
  const errors = {};
  let delivered = 0;
  let confirmed = 0;
  let sending = false;
  const senders = [];
  const pump = (s) => {
    while (sending && s.inFlight < WORKLOAD.window && s.ws.readyState === WebSocket.OPEN) {
      s.ws.send(chat(s.room, `${s.name}-${s.sent}`, textOf(s.sent)));
      s.sent += 1;
      s.inFlight += 1;
    }
  };
  const sockets = await Promise.all(placed.map(async (client) => {
    const url = running.nodes[client.node].wsUrl;
    if (client.role === "receiver") {
      return openClient(url, (data) => {
        if (isMsgFrame(data)) delivered += 1;
        else noteError(errors, data);
      });
    }
    const s = { ...client, sent: 0, inFlight: 0, ws: null };
    const ownId = `${client.name}-`;
    const ownEcho = `"id":"${ownId}`;
    s.ws = await openClient(url, (data) => {
      // A sender's own echo confirms one of its messages; an error naming one settles it too.
      let settled;
      if (isMsgFrame(data)) {
        settled = data.includes(ownEcho);
        if (settled) confirmed += 1;
      } else {
        settled = noteError(errors, data)?.id?.startsWith(ownId) ?? false;
      }
      if (settled) {
        s.inFlight -= 1;
        pump(s);
      }
    });
    senders.push(s);
    return s.ws;
  }));
  await Promise.all(sockets.map((ws, i) => joinRoom(ws, placed[i].room, placed[i].name)));
  await sleep(500);
  sending = true;
  senders.forEach(pump);
  await sleep(WORKLOAD.warmupSeconds * 1000);
  const start = { delivered, confirmed, cpu: cpuNow(running.pids) };
  await sleep(WORKLOAD.seconds * 1000);
  const end = { delivered, confirmed, cpu: cpuNow(running.pids) };
  sending = false;
  const drainBy = performance.now() + DRAIN_LIMIT_MS;
  while (senders.some((s) => s.inFlight > 0 && s.ws.readyState === WebSocket.OPEN) && performance.now() < drainBy) await sleep(20);
  const closes = sockets.filter((ws) => ws.closeCode !== null).map((ws) => ws.closeCode);
  await closeAll(sockets);
  const seconds = (end.cpu.at - start.cpu.at) / 1000;
  const result = {
    rooms,
    deliveries: end.delivered - start.delivered,
    messages: end.confirmed - start.confirmed,
    seconds,
    deliveriesPerSecond: (end.delivered - start.delivered) / seconds,
    messagesPerSecond: (end.confirmed - start.confirmed) / seconds,
    cores: cpuBetween(start.cpu, end.cpu),
    errors,
    closes,
  };
  const c = result.cores;
  log(`${setup.key}, ${rooms} room(s): ${fmt(result.deliveriesPerSecond)} deliveries/s, ${fmt(result.messagesPerSecond)} msg/s; cores: nodes ${c.nodes.map((x) => fmt(x, 2)).join(" + ")}, redis ${c.redis === null ? "–" : fmt(c.redis, 2)}, clients ${fmt(c.bench, 2)}; errors ${JSON.stringify(errors)}; closes ${closes.length}`);
  return result;
}

function machine() {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
    redis: execFileSync("redis-server", ["--version"]).toString().trim(),
  };
}

const uptime = () => ({ loadavg: loadavg(), uptime: execFileSync("uptime").toString().trim() });

function writeReport(results) {
  writeFileSync(join(OUT, JSON_FILE), `${JSON.stringify(results, null, 2)}\n`);
  writeSection(join(OUT, "PERFORMANCE.md"), "scale-bench", scaleSection(results, JSON_FILE));
}

// `--report-only` rewrites the section from the last run's figures.
if (args["report-only"] !== undefined) {
  writeReport(JSON.parse(readFileSync(join(OUT, JSON_FILE), "utf8")));
  process.exit(0);
}

const results = {
  startedAt: new Date().toISOString(),
  // Paths inside the checkout are written relative to it, so the record names no one machine's directories.
  command: `node bench/scale.mjs ${process.argv.slice(2).map((a) => a.replace(`${process.cwd()}/`, "")).join(" ")}`,
  machine: machine(),
  loadBefore: uptime(),
  workload: WORKLOAD,
  latency: LATENCY,
  rounds: ROUNDS,
  setups: [],
};
const only = new Set((args.only ?? SETUPS.map((s) => s.key).join(",")).split(","));
const chosen = SETUPS.filter((s) => only.has(s.key));
const measured = new Map(chosen.map((s) => [s.key, { latencies: new LatencyLog(), rounds: [] }]));
// The setups take turns, round after round, so a change in the machine's load over the run
// falls on all of them alike.
for (let round = 0; round < ROUNDS; round += 1) {
  for (const setup of chosen) {
    log(`round ${round + 1}/${ROUNDS}, ${setup.key}: starting ${setup.redis ? "redis-server and " : ""}${setup.nodes} node(s)`);
    const running = await startSetup(setup);
    const { latencies, rounds } = measured.get(setup.key);
    try {
      rounds.push({
        latency: await latency(setup, running, latencies, round),
        oneRoom: await throughput(setup, running, 1),
        severalRooms: await throughput(setup, running, WORKLOAD.rooms),
      });
    } finally {
      await running.stop();
    }
  }
}
for (const setup of chosen) {
  const { latencies, rounds } = measured.get(setup.key);
  const paths = latencies.summaries();
  logLatency(setup, paths);
  results.setups.push({
    ...setup,
    latency: {
      paths,
      sent: rounds.reduce((sum, r) => sum + r.latency.sent, 0),
      errors: rounds.map((r) => r.latency.errors),
      closes: rounds.flatMap((r) => r.latency.closes),
    },
    oneRoom: medianRound(rounds.map((r) => r.oneRoom)),
    severalRooms: medianRound(rounds.map((r) => r.severalRooms)),
  });
}
results.loadAfter = uptime();
results.finishedAt = new Date().toISOString();
if (args.out && results.setups.length === SETUPS.length) {
  writeReport(results);
  log(`wrote ${join(OUT, "PERFORMANCE.md")} and ${join(OUT, JSON_FILE)}`);
}
