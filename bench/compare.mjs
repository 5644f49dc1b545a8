// The transport comparison: one workload over WebSocket, SSE, long polling and short
// polling, each against its own fresh server behind its own counting TCP proxy.
//
//   node bench/compare.mjs --server target/server/wirechat-server --out docs
//
// Workload (per transport): two users in one room, 500 messages at 10 per second with the
// senders taking turns, then one idle minute. Every message must reach the other user once:
// a lost or duplicated message fails the run.
//
// Counted at the proxy: TCP connections opened, HTTP requests, bytes up and down (headers
// included). At the server: CPU time (utime + stime from /proc/PID/stat). At the clients:
// delivery latency, send to receipt by the other user, on one process clock.
//
// The four transports run at the same time (each with its own server, proxy and clients),
// which keeps the whole run near two minutes; `--sequential` runs them one after another.
// Writes docs/transports.json, docs/transports.svg and docs/TRANSPORTS.md (`--report-only`
// writes the last two again from the first).

import { spawn, execSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "./lib/args.mjs";
import { startProxy } from "./lib/compare/proxy.mjs";
import { TRANSPORTS } from "./lib/compare/transports.mjs";
import { runWorkload } from "./lib/compare/workload.mjs";
import { renderChart, renderDoc } from "./lib/compare/report.mjs";

const args = parseArgs(
  process.argv.slice(2),
  "usage: node bench/compare.mjs --server PATH [--out DIR] [--sequential] | --report-only [--out DIR]",
  (flags) => flags.server || flags["report-only"],
);
const WORKLOAD = {
  messages: Number(args.messages ?? 500),
  rate: Number(args.rate ?? 10),
  idleMs: Number(args["idle-seconds"] ?? 60) * 1000,
};
const OUT = args.out ?? "docs";
const TICKS_PER_SECOND = Number(execSync("getconf CLK_TCK").toString().trim());


const log = (...parts) => console.log(`[compare ${new Date().toISOString().slice(11, 19)}]`, ...parts);

/** Starts the server in memory on a free port; resolves once it listens. */
async function startServer() {
  const child = spawn(resolve(args.server), ["--bind", "127.0.0.1:0", "--memory", "--log", "warn"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const line = await new Promise((ok, fail) => {
    createInterface({ input: child.stdout }).once("line", ok);
    child.once("exit", (code) => fail(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return {
    port: Number(line.trim().replace(/\/$/, "").split(":").pop()),
    /** CPU time the server has used so far, user plus system, in milliseconds. */
    cpuMs() {
      // Fields after the command name (which may hold spaces) start at field 3, state.
      const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ").pop().split(" ");
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    },
    stop: () =>
      new Promise((ok) => {
        if (child.exitCode !== null) return ok();
        child.once("exit", ok);
        child.kill("SIGTERM");
      }),
  };
}

/** Runs the workload over one transport; resolves to its row of figures. */
async function measure(transport) {
  const server = await startServer();
  const proxy = await startProxy({ host: "127.0.0.1", port: server.port });
  try {
    const cpuBefore = server.cpuMs();
    let counts;
    let cpuMs;
    const delivery = await runWorkload(transport, `127.0.0.1:${proxy.port}`, {
      ...WORKLOAD,
      atEnd: async () => {
        counts = proxy.counts();
        cpuMs = server.cpuMs() - cpuBefore;
      },
    });
    const row = { transport: transport.key, label: transport.label, ...counts, serverCpuMs: Math.round(cpuMs), ...delivery };
    log(transport.label, JSON.stringify(row));
    return row;
  } finally {
    await proxy.close();
    await server.stop();
  }
}

function machine() {
  const os = /PRETTY_NAME="([^"]*)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "unknown";
  return {
    cores: Number(execSync("nproc").toString().trim()),
    cpu: cpus()[0]?.model ?? "unknown",
    os,
    node: process.version,
  };
}

// `--report-only` writes the chart and the page again from the last transports.json.
if (args["report-only"]) {
  const result = JSON.parse(readFileSync(join(OUT, "transports.json"), "utf8"));
  writeFileSync(join(OUT, "transports.svg"), renderChart(result));
  writeFileSync(join(OUT, "TRANSPORTS.md"), renderDoc(result));
  process.exit(0);
}

const started = Date.now();
log(`${TRANSPORTS.length} transports, ${WORKLOAD.messages} messages at ${WORKLOAD.rate}/s, then ${WORKLOAD.idleMs / 1000} s idle`);
let rows;
if (args.sequential) {
  rows = [];
  for (const transport of TRANSPORTS) rows.push(await measure(transport));
} else {
  rows = await Promise.all(TRANSPORTS.map(measure));
}
const result = {
  date: new Date().toISOString().slice(0, 10),
  command: "make compare",
  concurrent: !args.sequential,
  machine: machine(),
  workload: { users: 2, ...WORKLOAD },
  runSeconds: Math.round((Date.now() - started) / 1000),
  transports: rows,
};
writeFileSync(join(OUT, "transports.json"), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(OUT, "transports.svg"), renderChart(result));
writeFileSync(join(OUT, "TRANSPORTS.md"), renderDoc(result));
log(`wrote ${OUT}/TRANSPORTS.md, transports.json and transports.svg in ${result.runSeconds} s`);

const failed = rows.filter((row) => row.lost !== 0 || row.duplicated !== 0);
for (const row of failed) console.error(`${row.label}: ${row.lost} lost, ${row.duplicated} duplicated`);
process.exit(failed.length === 0 ? 0 : 1);
