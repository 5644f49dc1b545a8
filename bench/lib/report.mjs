// Turns one run's results into docs/PERFORMANCE.md and docs/performance.json, and judges
// the budgets. The "What we tried" section of an existing PERFORMANCE.md is kept as it is.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { median } from "./stats.mjs";

const KIB = 1024;
const TRIED_HEADING = "## What we tried";

// The budgets, as README-level promises about the app. `value` is measured, `holds` is
// true, false, or null when the run could not tell.
const BURST_RATIO = { budget: 1.5, aim: 1.2 };
// time(100k)/time(10k): 10 is linear, 100 quadratic. Up to 1.5× the linear figure counts
// as linear growth.
const GROWTH_LINEAR_MAX = 15;
// DOM rows after 100k messages: "a few hundred".
const ROWS_MAX = 500;
const LATENCY_SLACK_MS = 5;
// The download budget is the one `make size` checks, kept in size-budget.json at the root.
const SIZE_BUDGET_FILE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "size-budget.json");
const TRANSFER = {
  budget: JSON.parse(readFileSync(SIZE_BUDGET_FILE, "utf8")).budget_kib * KIB,
  aim: 100 * KIB,
};

const ms = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? "–" : `${v.toFixed(digits)} ms`);
const num = (v) => (v === null || v === undefined ? "–" : v.toLocaleString("en-US"));
const ratio = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : `${v.toFixed(2)}×`);
const bytes = (v) => {
  if (v === null || v === undefined) return "–";
  if (v < KIB) return `${v} B`;
  if (v < KIB * KIB) return `${(v / KIB).toFixed(1)} KiB`;
  return `${(v / KIB / KIB).toFixed(2)} MiB`;
};
const holdsMark = (h) => (h === null ? "n/a" : h ? "yes" : "**no**");

function burstOf(results, n) {
  return results.bursts?.find((b) => b.n === n) ?? null;
}

const renderMs = (run) => (run && run.finished ? run.renderMs : null);

export function judge(results) {
  const budgets = [];
  for (const n of [10_000, 100_000]) {
    const b = burstOf(results, n);
    const app = renderMs(b?.app);
    const base = renderMs(b?.baseline);
    const r = app !== null && base !== null ? app / base : null;
    const unfinished = b && (app === null || base === null);
    budgets.push({
      measure: `burst render time / baseline at ${num(n)}`,
      budget: `≤ ${BURST_RATIO.budget}× (aim ${BURST_RATIO.aim}×)`,
      value: r !== null ? ratio(r) : unfinished ? `unfinished (app ${ms(app)}, baseline ${ms(base)})` : "not run",
      number: r,
      holds: r !== null ? r <= BURST_RATIO.budget : unfinished && base !== null ? false : null,
      aimHolds: r !== null ? r <= BURST_RATIO.aim : null,
    });
  }
  {
    const t10 = renderMs(burstOf(results, 10_000)?.app);
    const t100 = renderMs(burstOf(results, 100_000)?.app);
    const g = t10 !== null && t100 !== null ? t100 / t10 : null;
    const b10 = renderMs(burstOf(results, 10_000)?.baseline);
    const b100 = renderMs(burstOf(results, 100_000)?.baseline);
    const bg = b10 !== null && b100 !== null ? b100 / b10 : null;
    budgets.push({
      measure: "burst cost growth 10k → 100k, time(100k)/time(10k)",
      budget: `linear: ≤ ${GROWTH_LINEAR_MAX} (10 is linear, 100 quadratic)`,
      value: g !== null ? `${g.toFixed(1)} (baseline ${bg === null ? "–" : bg.toFixed(1)})` : "–",
      number: g,
      holds: g !== null ? g <= GROWTH_LINEAR_MAX : null,
    });
  }
  {
    const run = burstOf(results, 100_000)?.app;
    const rows = run?.dom?.rows ?? null;
    budgets.push({
      measure: "DOM message elements after 100k",
      budget: `bounded (≤ ${ROWS_MAX})`,
      value: rows === null ? "–" : `${rows}${run.finished ? "" : " (burst unfinished)"}`,
      number: rows,
      holds: rows === null ? null : rows <= ROWS_MAX,
    });
  }
  for (const [key, label] of [
    ["own", "own message"],
    ["otherTab", "second tab"],
  ]) {
    const app = results.latency?.app?.[key]?.p99 ?? null;
    const base = results.latency?.baseline?.[key]?.p99 ?? null;
    budgets.push({
      measure: `p99 send → render latency, ${label}`,
      budget: `≤ baseline + ${LATENCY_SLACK_MS} ms`,
      value: app === null || base === null ? "–" : `${ms(app, 1)} vs ${ms(base, 1)} (${app - base >= 0 ? "+" : ""}${(app - base).toFixed(1)} ms)`,
      number: app === null || base === null ? null : app - base,
      holds: app === null || base === null ? null : app <= base + LATENCY_SLACK_MS,
    });
  }
  {
    const t = results.size?.transfer?.brotli ?? null;
    budgets.push({
      measure: "total transfer, brotli (wasm + js + css + html)",
      budget: `≤ ${TRANSFER.budget / KIB} KiB (aim ${TRANSFER.aim / KIB} KiB)`,
      value: bytes(t),
      number: t,
      holds: t === null ? null : t <= TRANSFER.budget,
      aimHolds: t === null ? null : t <= TRANSFER.aim,
    });
  }
  return budgets;
}

function table(head, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

function startupSection(results) {
  if (!results.startup) return "Not run.";
  const stat = (target, key) => {
    const values = results.startup[target].map((r) => r[key]).filter((v) => v !== null && v !== undefined);
    if (values.length === 0) return "–";
    return `${ms(median(values))} (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;
  };
  const rows = [
    ["first paint", "firstPaint"],
    ["first contentful paint", "firstContentfulPaint"],
    ["DOMContentLoaded", "domContentLoaded"],
    ["wasm started (`TrunkApplicationStarted`)", "wasmStarted"],
    ["WebSocket open", "socketOpen"],
    ['status says "Connected"', "connected"],
  ].map(([label, key]) => [label, stat("app", key), stat("baseline", key)]);
  const n = results.startup.app.length;
  return [
    `Median of ${n} cold loads each (fresh browser context, empty cache), in ms after navigation start; min–max in brackets.`,
    "",
    table(["milestone", "app", "baseline"], rows),
  ].join("\n");
}

function burstSection(results) {
  if (!results.bursts) return "Not run.";
  const cell = (run) => {
    if (!run) return "–";
    if (!run.finished) return `not visible within ${run.limitMs / 1000} s`;
    return ms(run.renderMs);
  };
  const tasks = (run) => (run?.longTasks ? `${run.longTasks.count} / ${ms(run.longTasks.total)} (longest ${ms(run.longTasks.longest)})` : "–");
  const rows = results.bursts.map((b) => {
    const app = renderMs(b.app);
    const base = renderMs(b.baseline);
    const rate = (t) => (t === null ? "–" : num(Math.round(b.n / (t / 1000))));
    return [num(b.n), cell(b.app), cell(b.baseline), app !== null && base !== null ? ratio(app / base) : "–", rate(app), rate(base), tasks(b.app), tasks(b.baseline)];
  });
  const notes = [];
  for (const b of results.bursts) {
    for (const target of ["app", "baseline"]) {
      const run = b[target];
      if (!run) continue;
      const closes = (run.sockets ?? []).filter((s) => s.code !== null).map((s) => s.code);
      for (const e of run.evictions ?? []) {
        notes.push(`- ${num(b.n)}, ${target}: an earlier attempt was closed by the server (code ${e.code}) after ${num(e.frames)} frames, ${ms(e.afterMs)} into the burst, and the burst was run again in a new room.`);
      }
      if (closes.length > 0) notes.push(`- ${num(b.n)}, ${target}: the page's socket was closed (code ${closes.join(", ")}) during the run; ${run.sockets.length} socket(s) opened.`);
      if (run.error) notes.push(`- ${num(b.n)}, ${target}: ${run.error}`);
      if (run.botCloseCode !== null && run.botCloseCode !== undefined) notes.push(`- ${num(b.n)}, ${target}: the bot's socket closed with ${run.botCloseCode}.`);
    }
  }
  const rounds = results.bursts.filter((b) => (b.rounds?.app?.length ?? 0) > 1);
  const roundLines = rounds.map((b) => {
    const list = (times) => (times ?? []).map((t) => (t === null ? "unfinished" : ms(t))).join(", ");
    return `- ${num(b.n)}: app ${list(b.rounds.app)}; baseline ${list(b.rounds.baseline)}`;
  });
  return [
    table(["messages", "app", "baseline", "app / baseline", "app msg/s", "baseline msg/s", "app long tasks (count / total)", "baseline long tasks (count / total)"], rows),
    roundLines.length > 0 ? ["", "Each size was run in rounds, app then baseline; the table shows the median run of each (its events below are that run's). All rounds:", "", ...roundLines].join("\n") : "",
    notes.length > 0 ? ["", "Events during the bursts:", "", ...notes].join("\n") : "",
  ].join("\n");
}

function unpacedSection(results) {
  const u = results.unpaced;
  if (!u) return "Not run.";
  const rows = ["app", "baseline"]
    .filter((t) => u[t])
    .map((t) => {
      const run = u[t];
      const closes = (run.sockets ?? []).filter((s) => s.code !== null);
      const firstClose = closes[0];
      const byPage = closes
        .filter((s) => s.closedByPage)
        .map((s) => `${s.closedByPage.code ?? "no code"}${s.closedByPage.reason ? ` "${s.closedByPage.reason}"` : ""}`);
      return [
        t,
        run.finished ? `visible after ${ms(run.renderMs)}` : run.outcome === "socket closed" ? "never (socket closed, no reconnect)" : `not within ${u.limitMs / 1000} s`,
        closes.length === 0 ? "none" : closes.map((s) => s.code).join(", "),
        byPage.length === 0 ? "no" : `yes: ${byPage.join(", ")}`,
        firstClose ? `${num(firstClose.frames)} frames, ${ms(firstClose.closeAt - (run.firstFrameAt ?? 0))} into the burst` : "–",
        `${(run.sockets ?? []).length}`,
        run.botEchoMs === null || run.botEchoMs === undefined ? "–" : `${ms(run.botEchoMs)} (${num(Math.round(u.n / (run.botEchoMs / 1000)))} msg/s)`,
      ];
    });
  return [
    `${num(u.n)} messages sent as fast as the server takes them, whatever the page does. The server closes a socket whose queue of unsent frames (256) overflows with code 4000 (slow consumer). "Close codes" are those of the pages' close events; "closed by the page itself" lists the page's own \`close(code, reason)\` calls. The baseline does not reconnect.`,
    "",
    table(["page", "last message", "close codes", "closed by the page itself", "first close", "sockets opened", "server took the burst in"], rows),
  ].join("\n");
}

function latencySection(results) {
  if (!results.latency) return "Not run.";
  const { app, baseline } = results.latency;
  const row = (label, key) => [label, ms(app[key].p50, 1), ms(app[key].p99, 1), ms(baseline[key].p50, 1), ms(baseline[key].p99, 1)];
  const missing = [];
  for (const [target, run] of Object.entries(results.latency)) {
    for (const key of ["own", "otherTab"]) {
      if (run[key].missing > 0) missing.push(`- ${target}, ${key === "own" ? "own" : "second tab"}: ${run[key].missing} of ${run.count} messages never became visible within 15 s after the last send.`);
    }
    if (run.closeCodes.length > 0) missing.push(`- ${target}: a socket closed during the run (${run.closeCodes.join(", ")}).`);
  }
  return [
    `${app.count} messages sent through the UI on a fixed schedule of ${app.rate} msg/s, after one second of warm-up. A send that falls behind the schedule goes out as soon as the page runs it, so a page that needs longer per send than the interval sends slower: achieved app ${app.achievedRate.toFixed(1)}, baseline ${baseline.achievedRate.toFixed(1)} msg/s.`,
    "",
    table(["send → visible", "app p50", "app p99", "baseline p50", "baseline p99"], [row("own message, same tab", "own"), row("second tab", "otherTab")]),
    "",
    `Wall-clock agreement between the two tabs (difference of \`Date.now() − (timeOrigin + now())\`): app ${ms(app.clockSkewMs, 2)}, baseline ${ms(baseline.clockSkewMs, 2)}. Page visibility: app ${app.visibilityState.join("/")}, baseline ${baseline.visibilityState.join("/")}.`,
    missing.length > 0 ? `\n${missing.join("\n")}` : "",
  ].join("\n");
}

function memorySection(results) {
  if (!results.bursts) return "Not run.";
  const rows = [];
  for (const b of results.bursts.filter((b) => b.n >= 10_000)) {
    for (const target of ["app", "baseline"]) {
      const run = b[target];
      if (!run) continue;
      rows.push([
        `${num(b.n)}${run.finished ? "" : " (unfinished)"}`,
        target,
        bytes(run.memory?.jsHeapAfterGc ?? null),
        target === "app" ? bytes(run.memory?.wasmMemory ?? null) : "–",
        num(run.dom?.nodes ?? null),
        num(run.dom?.elements ?? null),
        num(run.dom?.rows ?? null),
      ]);
    }
  }
  return table(["after", "page", "JS heap (after GC)", "wasm linear memory", "DOM nodes", "elements", "message rows"], rows);
}

function sizeSection(results) {
  const rows = results.size.files.map((f) => [`\`${f.file}\``, bytes(f.raw), bytes(f.gzip), bytes(f.brotli), f.transfer ? "yes" : "no"]);
  const t = results.size.transfer;
  rows.push(["**transfer** (wasm + js + css + html)", `**${bytes(t.raw)}**`, `**${bytes(t.gzip)}**`, `**${bytes(t.brotli)}**`, ""]);
  return table(["file", "raw", "gzip -9", "brotli 11", "counted"], rows);
}

const METHOD = `## How each figure is measured

\`make bench\` builds the release app (\`trunk build --release\`, wasm-opt with the level and parameters in \`index.html\`) and the server
(\`cargo build --profile server\`), then \`bench/run.mjs\` copies \`dist/\` and the baseline
(\`bench/baseline/\`) into one temporary directory, serves it with one \`wirechat-server --memory\`
on a free loopback port (the app at \`/\`, the baseline at \`/bench-baseline/\`; the same server
carries every WebSocket), and drives one headless Chromium through playwright-core. Every page
gets a fresh browser context and a fresh room.

Both pages are instrumented by the same script (\`bench/lib/probe.js\`), injected before any of
their own code:

- **Visible**: a \`MutationObserver\` finds the token of a watched message (\`⟦…⟧\` in its
  text) in added or changed text nodes; an \`IntersectionObserver\` on the element holding it
  reports the rendering update in which it intersects the viewport (entry \`time\`). That frame
  is when the text became visible.
- **First frame**: \`window.WebSocket\` is wrapped; a listener added in the constructor (so it
  runs before the page's own) notes when the first frame carrying the burst's tag is dispatched.
- **Long tasks**: \`PerformanceObserver\` for \`longtask\` (main-thread tasks over 50 ms); a
  burst counts those overlapping first frame → visible.
- **Paint**: \`PerformanceObserver\` for \`paint\` (\`first-paint\`, \`first-contentful-paint\`).
- **Connected**: the same \`MutationObserver\` notes when an element with \`role="status"\` first
  contains "Connected".

The measurements:

- **Burst**: the page joins, a bot (Node \`ws\` client) joins the same room, and once the server
  lists both the bot sends N messages (about 90 characters of text each) as fast as the server
  takes them: a new one as soon as fewer than 32 of its own are unconfirmed (the server echoes
  each to its sender; 200 in the full-speed burst). The server broadcasts each to the page. In
  the paced bursts the bot also stays at most 2,000 messages ahead of the frames the page has
  received (the runner reads the page's frame count every 50 ms), so the page always has a
  backlog. Time = first frame of the burst dispatched on the page → the last message's text
  visible. Each size runs in three rounds (app, then baseline, in each; \`--burst-rounds\`), and
  the median run of each is the one reported and judged. A burst not visible within its limit (60 s for 1,000, 180 s for 10,000, 600 s for
  100,000; 120 s at full speed) is reported unfinished, and one whose page has had no open
  socket for 10 s as closed. The server closes a socket whose writer falls 256 frames behind
  (code 4000), which on a busy machine happens now and then even to a page that keeps up;
  such a paced burst is run again in a new room, at most three times in all, and the burst
  section lists every such close.
- **Latency**: two pages of the same browser in one room, each in a window (browser context)
  of its own, since a background tab of a shared window renders at a reduced rate. The first
  types each message into its composer (setting the value, an \`input\` event, then a
  \`keydown\` Enter) at a fixed 50 msg/s for 10 s after 1 s of warm-up; the time of the Enter
  and the time each page shows the text are read on \`performance.timeOrigin +
  performance.now()\`, comparable across pages (their agreement is checked and reported).
- **Startup**: fresh context, navigation → first paint → first contentful paint → status
  "Connected", as \`performance.now()\` after navigation start.
- **Memory**: after the 10,000 and 100,000 bursts, once the last message is visible and a
  second has passed: a full GC (CDP \`HeapProfiler.collectGarbage\`), then the JS heap
  (\`Runtime.getHeapUsage\` used size), the app's wasm linear memory
  (\`memory.buffer.byteLength\` of the exports that \`TrunkApplicationStarted\` hands over; it
  never shrinks, so this is its high-water mark), every node in the document, elements, and
  message rows (\`[role="article"]\` in the app, \`#log > li\` in the baseline).
- **Size**: every file of \`dist/\`, raw, gzip level 9 and brotli quality 11 (Node's zlib).
  The transfer total counts the wasm, JS, CSS and HTML; \`config.json\` is a deployment
  setting and left out.

The baseline (\`bench/baseline/\`) is a hand-written client on the same wire format: it joins,
dedupes by id, renders sender and text as text nodes, writes the DOM once per animation frame,
keeps the newest 400 rows, and shows its own messages at once. It shows less per message than
the app (no avatar, time, grouping, day separators, links or delivery state).

The machine is shared: other processes may run during a measurement, and the load average
before and after the run is recorded above. Compare runs from one machine and one day.
`;

function triedSection(previous, results, budgets) {
  if (previous !== null) return previous;
  const b = (n) => burstOf(results, n);
  const line = (n) => {
    const burst = b(n);
    if (!burst) return null;
    const app = renderMs(burst.app);
    const base = renderMs(burst.baseline);
    return `${num(n)} messages: app ${ms(app)}, baseline ${ms(base)}${app !== null && base !== null ? ` (${ratio(app / base)})` : ""}`;
  };
  const bursts = [1_000, 10_000, 100_000].map(line).filter(Boolean).join("; ");
  const failing = budgets.filter((x) => x.holds === false).map((x) => x.measure);
  return `${TRIED_HEADING}

Newest first. Each entry: what changed, and what the benchmark said before and after.

- ${results.generatedAt.slice(0, 10)}: first measurement with this benchmark, no change to the app.
  Bursts: ${bursts || "not run"}. Transfer (brotli): ${bytes(results.size.transfer.brotli)}.
  ${failing.length > 0 ? `Budgets not met: ${failing.join("; ")}.` : "All budgets met."}
`;
}

export function writeReport(results, outDir) {
  const budgets = judge(results);
  results.budgets = budgets;
  mkdirSync(outDir, { recursive: true });
  const mdPath = join(outDir, "PERFORMANCE.md");
  let previousTried = null;
  if (existsSync(mdPath)) {
    const old = readFileSync(mdPath, "utf8");
    const at = old.indexOf(`\n${TRIED_HEADING}`);
    if (at >= 0) previousTried = old.slice(at + 1);
  }
  const m = results.machine;
  const budgetRows = budgets.map((x) => [x.measure, x.budget, x.value, holdsMark(x.holds)]);
  const md = `# Performance

Generated by \`make bench\` (\`bench/run.mjs\`); everything above "What we tried" is rewritten by
each run, the numbers come from one run on the machine below. The raw figures are in
[performance.json](performance.json).

## Budgets

${table(["measure", "budget", "measured", "holds"], budgetRows)}

## Machine and run

- Date: ${results.generatedAt} → ${results.finishedAt}
- CPU: ${m.cpu}; \`nproc\`: ${m.nproc}
- Chromium ${m.chromium} (\`/usr/bin/chromium\`, new headless), playwright-core ${m.playwright}, Node ${m.node}, ${m.kernel}
- Load average (1, 5, 15 min): before ${results.load.before.map((v) => v.toFixed(2)).join(", ")}; after ${results.load.after.map((v) => v.toFixed(2)).join(", ")}
- Build measured: ${results.dist.files.map((f) => `\`${f}\``).join(", ")}
- Viewport ${results.settings.viewport.width}×${results.settings.viewport.height}

\`free -h\`:

\`\`\`
${m.free}
\`\`\`

## Size

${sizeSection(results)}

## Burst: N messages, paced to the page

Time from the page's first frame of the burst until the last message's text is visible. The
bot sends as fast as the server takes them while staying at most ${num(results.settings.pace.lagMessages)} messages ahead of
the frames the page has received, so the page always has a backlog to work through but the
server does not have to hold the whole burst for it (see the next section for what happens
without that).

${burstSection(results)}

## Burst at the server's full speed

${unpacedSection(results)}

## Latency: send → rendered

${latencySection(results)}

## Startup

${startupSection(results)}

## Memory

${memorySection(results)}

${METHOD}
${triedSection(previousTried, results, budgets)}`;
  writeFileSync(mdPath, md);
  writeFileSync(join(outDir, "performance.json"), `${JSON.stringify(results, null, 2)}\n`);
  return { budgets };
}
