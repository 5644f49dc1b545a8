// The reference server as a child process on a free loopback port.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const STARTUP_LIMIT_MS = 15_000;

// Starts `bin` with `flags` (which should bind 127.0.0.1:0); resolves once it prints its
// address, to `{ pid, port, origin, wsUrl, stop, killNow, stderr }`.
export function launchServer(bin, flags) {
  const child = spawn(bin, flags, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${bin} did not report its address within ${STARTUP_LIMIT_MS} ms\n${stderr}`));
    }, STARTUP_LIMIT_MS);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited (${code ?? signal}) before listening\n${stderr}`));
    });
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const found = /listening on http:\/\/([^/\s]+)\//.exec(stdout);
      if (found) {
        clearTimeout(timer);
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        child.removeAllListeners("exit");
        resolve({
          pid: child.pid,
          port: Number(found[1].split(":").pop()),
          origin: `http://${found[1]}`,
          wsUrl: `ws://${found[1]}/ws`,
          stop,
          killNow: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
          },
          stderr: () => stderr,
        });
      }
    });
  });
}

// Starts `wirechat-server --memory` serving `siteDir`; resolves once it prints its address.
// The bursts send thousands of messages from one page at full speed on purpose, so the
// server's per-connection rate limits are off here.
export function startServer(bin, siteDir) {
  return launchServer(bin, ["--memory", "--no-rate-limits", "--bind", "127.0.0.1:0", "--dist", siteDir]);
}

// Flags of a server measured for capacity: connection caps raised, since one machine opens
// every client, and rate limits off, since a few benchmark clients send far faster than a
// person does.
export const CAPACITY_FLAGS = [
  "--max-connections", "100000",
  "--max-connections-per-ip", "100000",
  "--no-rate-limits",
  "--log", "warn",
];

// Starts `bin` for a capacity measure with `extra` flags. Without `--memory` or `--redis`
// it stores in SQLite, in a new temporary data directory that `stop` removes. The result
// adds `dataDir` and `rssKiB()` (the server's resident memory now) to `launchServer`'s.
export async function startCapacityServer(bin, extra = []) {
  const onDisk = !extra.includes("--memory") && !extra.includes("--redis");
  const dataDir = onDisk ? mkdtempSync(join(tmpdir(), "wirechat-bench-")) : null;
  const flags = ["--bind", "127.0.0.1:0", ...(onDisk ? ["--data-dir", dataDir] : []), ...CAPACITY_FLAGS, ...extra];
  let server;
  try {
    server = await launchServer(bin, flags);
  } catch (err) {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...server,
    dataDir,
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))[1]),
    async stop() {
      await server.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
