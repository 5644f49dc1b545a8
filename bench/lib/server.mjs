// The reference server as a child process on a free loopback port.
import { spawn } from "node:child_process";

const STARTUP_LIMIT_MS = 15_000;

// Starts `wirechat-server --memory` serving `siteDir`; resolves once it prints its address.
// The bursts send thousands of messages from one page at full speed on purpose, so the
// server's per-connection rate limits are off here.
export function startServer(bin, siteDir) {
  const child = spawn(bin, ["--memory", "--no-rate-limits", "--bind", "127.0.0.1:0", "--dist", siteDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
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
