// A `redis-server` of the benchmark's own on a free loopback port, with persistence off, so a
// run leaves nothing behind and never meets data of an earlier one.
import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";

const STARTUP_LIMIT_MS = 10_000;
const ATTEMPTS = 3;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A loopback port that was free a moment ago (the OS picks it). */
export function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

function accepts(port) {
  return new Promise((ok) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => { socket.destroy(); ok(true); });
    socket.once("error", () => ok(false));
  });
}

async function launch(port) {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-2000); });
  const failed = new Promise((ok) => {
    child.once("error", (err) => ok(`cannot start redis-server (scripts/setup.sh installs it): ${err.message}`));
    child.once("exit", (code, signal) => ok(`redis-server exited (${code ?? signal}) ${stderr}`));
  });
  let failure = null;
  failed.then((why) => { failure = why; });
  const deadline = Date.now() + STARTUP_LIMIT_MS;
  while (!(await accepts(port))) {
    await sleep(10);
    if (failure !== null) throw new Error(failure);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server on port ${port} did not accept connections within ${STARTUP_LIMIT_MS} ms`);
    }
  }
  return child;
}

/**
 * Starts `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no` on a free port
 * and resolves once it accepts connections, to `{ pid, url, stop() }`. A port taken between
 * the probe and the start is retried with another.
 */
export async function startRedis() {
  let lastError;
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const port = await freePort();
    let child;
    try {
      child = await launch(port);
    } catch (err) {
      lastError = err;
      if (/cannot start/.test(err.message)) break;
      continue;
    }
    return {
      pid: child.pid,
      url: `redis://127.0.0.1:${port}`,
      stop: () => new Promise((ok) => {
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        child.once("exit", ok);
        child.kill("SIGTERM");
      }),
    };
  }
  throw lastError;
}
