// What the benchmark and the profiler both open: the app and the vanilla baseline, served
// from one directory by one reference server, in headless Chromium.
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../..");

// Where the built app, the server and the browser are unless told otherwise.
export const DEFAULT_PATHS = {
  dist: join(root, "dist"),
  server: join(root, "target/server/wirechat-server"),
  chromium: "/usr/bin/chromium",
};

export const BASELINE_DIR = "bench-baseline";

export const TARGETS = {
  app: {
    label: "wirechat (Leptos, wasm)",
    path: "/",
    rows: '[role="article"]',
    composer: "form textarea",
  },
  baseline: {
    label: "vanilla JS baseline",
    path: `/${BASELINE_DIR}/index.html`,
    rows: "#log > li",
    composer: "#text",
  },
};

// Viewport of every page: a laptop screen.
export const VIEWPORT = { width: 1280, height: 800 };

export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-precise-memory-info",
];

// Copies `dist` and the baseline into a new temporary directory (named with `prefix`), so
// a run measures one build even if dist/ is rebuilt meanwhile, and one server serves both.
// Returns the directory and the names of the app's files.
export function assembleSite(dist, prefix) {
  dist = resolve(dist);
  if (!existsSync(join(dist, "index.html"))) throw new Error(`${dist} has no index.html: build it first (make dist)`);
  const site = mkdtempSync(join(tmpdir(), prefix));
  cpSync(dist, site, { recursive: true });
  if (readFileSync(join(site, "index.html"), "utf8").includes("__TRUNK_ADDRESS__")) {
    throw new Error(`${dist} holds a development build (trunk serve's reload script): run make dist`);
  }
  const files = readdirSync(site).sort();
  cpSync(join(here, "../baseline"), join(site, BASELINE_DIR), { recursive: true });
  return { site, files };
}
