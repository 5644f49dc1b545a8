// Where the page's main thread spends its time while messages are sent through the UI:
// a V8 CPU profile of the app (or the baseline) during a steady send series, summarised by
// function (self time). For a readable wasm profile, give it a build whose wasm keeps its
// name section (see --dist below); the release build strips names.
//
//   node bench/profile.mjs --dist <site dir> [--server target/server/wirechat-server]
//        [--target app|baseline] [--count 300] [--rate 50] [--receivers 1] [--top 40]
//        [--page sender|receiver]
//        [--out profile.cpuprofile]
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

import { sleep } from "./lib/bot.mjs";
import { CHROMIUM_ARGS, DEFAULT_PATHS, TARGETS, VIEWPORT, assembleSite } from "./lib/pages.mjs";
import { printProfile } from "./lib/cpu-profile.mjs";
import { startServer } from "./lib/server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    dist: { type: "string", default: DEFAULT_PATHS.dist },
    server: { type: "string", default: DEFAULT_PATHS.server },
    target: { type: "string", default: "app" },
    count: { type: "string", default: "300" },
    rate: { type: "string", default: "50" },
    receivers: { type: "string", default: "1" },
    top: { type: "string", default: "40" },
    out: { type: "string", default: "" },
    page: { type: "string", default: "sender" },
    chromium: { type: "string", default: DEFAULT_PATHS.chromium },
  },
});

const target = TARGETS[args.target];
if (!target) throw new Error(`--target must be app or baseline, not ${args.target}`);
const { site } = assembleSite(args.dist, "wirechat-profile-");
const server = await startServer(args.server, site);
const browser = await chromium.launch({ executablePath: args.chromium, args: CHROMIUM_ARGS });
try {
  const probe = readFileSync(join(here, "lib/probe.js"), "utf8");
  const open = async (name) => {
    const context = await browser.newContext({ viewport: VIEWPORT, locale: "en-US" });
    await context.addInitScript({ content: probe });
    const page = await context.newPage();
    page.on("pageerror", (err) => console.log(`page error: ${err.message}`));
    page.on("console", (m) => { if (m.type() === "error") console.log(`console: ${m.text()}`); });
    const query = new URLSearchParams({ server: server.wsUrl, room: "profile", name });
    await page.goto(`${server.origin}${target.path}?${query}`, { waitUntil: "load" });
    await page.waitForFunction(() => window.__bench.connectedAt !== null, null, { polling: 100 });
    return page;
  };
  const sender = await open("alice");
  const receivers = [];
  for (let i = 0; i < Number(args.receivers); i++) receivers.push(await open(`bob${i}`));
  // The profiled page: the one that sends, or the first one that only receives.
  const profiled = args.page === "receiver" ? receivers[0] : sender;
  if (!profiled) throw new Error("--page receiver needs --receivers 1 or more");
  const cdp = await profiled.context().newCDPSession(profiled);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  const count = Number(args.count);
  const tokens = Array.from({ length: count }, (_, i) => `P-${i}`);
  await profiled.evaluate((t) => window.__bench.watch(t), tokens);
  const sentAt = await sender.evaluate(
    ([sel, n, ms]) => window.__bench.sendSeries(sel, "P", n, ms),
    [target.composer, count, 1000 / Number(args.rate)],
  );
  await sleep(1000);
  const { profile } = await cdp.send("Profiler.stop");
  if (args.out) writeFileSync(args.out, JSON.stringify(profile));
  summarise(profile, sentAt);
} finally {
  await browser.close();
  await server.stop();
  rmSync(site, { recursive: true, force: true });
}

function summarise(profile, sentAt) {
  const span = sentAt[sentAt.length - 1] - sentAt[0];
  printProfile(profile, Number(args.top), (total, busy) =>
    `sent ${sentAt.length} in ${span.toFixed(0)} ms (${((sentAt.length - 1) / span * 1000).toFixed(1)} msg/s); profile ${total.toFixed(0)} ms, busy ${busy.toFixed(0)} ms = ${(busy / sentAt.length).toFixed(2)} ms per message`);
}
