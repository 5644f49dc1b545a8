// The "Several nodes on Redis" section of docs/PERFORMANCE.md, from one run of bench/scale.mjs.

const fmt = (n, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? "–" : Number(n).toLocaleString("en-US", { maximumFractionDigits: digits }));
const ms = (n) => (n === null || n === undefined ? "–" : `${fmt(n, 2)} ms`);
const signed = (n) => (n === null ? "–" : `${n >= 0 ? "+" : "−"}${fmt(Math.abs(n), 2)} ms`);

function table(head, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const totalCores = (c) => c.nodes.reduce((a, b) => a + b, 0) + (c.redis ?? 0) + c.bench;

/** Cores each kind of process used during a throughput run, as "nodes a + b, Redis c, clients d". */
export function coresText(cores) {
  const nodes = cores.nodes.map((c) => fmt(c, 2)).join(" + ");
  return `node${cores.nodes.length > 1 ? "s" : ""} ${nodes}${cores.redis === null ? "" : `, Redis ${fmt(cores.redis, 2)}`}, clients ${fmt(cores.bench, 2)} (total ${fmt(totalCores(cores), 2)})`;
}

const trouble = (run) => {
  const errors = Object.entries(run.errors ?? {}).map(([code, n]) => `${n} × ${code}`);
  const closes = run.closes?.length ? [`${run.closes.length} closed (${[...new Set(run.closes)].join(", ")})`] : [];
  return [...errors, ...closes].join("; ") || "none";
};

/** A sentence when the rounds of two runs overlap: then their medians differ by less than
 * the rounds of one run did. */
function overlap(oneNode, threeNodes) {
  const [a, b] = [oneNode.range, threeNodes.range];
  if (!a || !b || b[0] > a[1] || a[0] > b[1]) return "";
  return ` But the rounds overlap (three nodes ${fmt(b[0])}–${fmt(b[1])}, one node ${fmt(a[0])}–${fmt(a[1])}): ` +
    "the difference is within what the runs varied by on this shared machine.";
}

/** Whether three nodes delivered more per second than one, plainly, with the cores each run
 * used. `oneNode` and `threeNodes` are the two setups' throughput runs on a machine of `cores`
 * cores. */
export function verdict(oneNode, threeNodes, cores) {
  const ratio = threeNodes.deliveriesPerSecond / oneNode.deliveriesPerSecond;
  const figures = `${fmt(threeNodes.deliveriesPerSecond)} against ${fmt(oneNode.deliveriesPerSecond)} deliveries per second, ${fmt(ratio, 2)}×`;
  const used = `in the three-node run they used ${fmt(totalCores(threeNodes.cores), 2)} cores together, in the one-node run ${fmt(totalCores(oneNode.cores), 2)}`;
  if (ratio > 1.1) {
    return `Three nodes delivered more than one on this machine (${figures}), ` +
      `though the nodes, Redis and the benchmark's clients all share its ${cores} cores (${used}).${overlap(oneNode, threeNodes)}`;
  }
  const word = ratio < 0.9 ? "fewer than" : "about as many as";
  return `Three nodes delivered ${word} one on this machine (${figures}).${overlap(oneNode, threeNodes)} ` +
    `All three nodes, Redis and the benchmark's clients share its ${cores} cores (${used}), so a node added ` +
    "takes CPU from the others instead of adding any, and each message now also crosses Redis to reach two more nodes. " +
    "These figures show what the Redis engine costs on one machine, not how it scales across machines.";
}

/** The section's Markdown; `jsonFile` is where the raw figures are, next to it. */
export function scaleSection(r, jsonFile) {
  const m = r.machine;
  const w = r.workload;
  const by = Object.fromEntries(r.setups.map((s) => [s.key, s]));
  const perRoom = (n) => `${w.senders / n} sender${w.senders / n > 1 ? "s" : ""} and ${w.receivers / n} receivers`;
  const spread = (run) => (run.range && run.rounds > 1 ? ` (${fmt(run.range[0])}–${fmt(run.range[1])})` : "");
  const throughputRows = r.setups.map((s) => [
    s.label,
    `${fmt(s.oneRoom.deliveriesPerSecond)}${spread(s.oneRoom)}`,
    fmt(s.oneRoom.messagesPerSecond),
    `${fmt(s.severalRooms.deliveriesPerSecond)}${spread(s.severalRooms)}`,
    fmt(s.severalRooms.messagesPerSecond),
    coresText(s.oneRoom.cores),
    `${trouble(s.oneRoom)} / ${trouble(s.severalRooms)}`,
  ]);
  const latencyRows = [];
  for (const s of r.setups) {
    for (const [path, stat] of Object.entries(s.latency.paths)) {
      const where = s.nodes === 1 ? "sender and receiver on the node"
        : path === "across nodes" ? "sender on node A, receiver on node B" : "sender and receiver on node A";
      latencyRows.push([`${s.label}: ${where}`, ms(stat.p50), ms(stat.p99), fmt(stat.n)]);
    }
  }
  const base = by["sqlite-1"]?.latency.paths["same node"];
  const hop = by["redis-1"]?.latency.paths["same node"];
  const across = by["redis-3"]?.latency.paths["across nodes"];
  const diff = (a, b, key) => (a && b && a[key] !== null && b[key] !== null ? a[key] - b[key] : null);
  const diffs = [];
  const added = [];
  if (base && hop) diffs.push(diff(hop, base, "p50"), diff(hop, base, "p99"));
  if (base && across) diffs.push(diff(across, base, "p50"), diff(across, base, "p99"));
  if (base && hop) added.push(`one node on Redis against one on SQLite: p50 ${signed(diff(hop, base, "p50"))}, p99 ${signed(diff(hop, base, "p99"))}`);
  if (base && across) added.push(`across two nodes on Redis against one node on SQLite: p50 ${signed(diff(across, base, "p50"))}, p99 ${signed(diff(across, base, "p99"))}`);
  const cmp = by["redis-1"] && by["redis-3"] ? verdict(by["redis-1"].oneRoom, by["redis-3"].oneRoom, m.cores) : "";
  return `## Several nodes on Redis

Generated by \`make bench\` (\`bench/scale.mjs\`) against the release server
(\`--profile server\`), from Node ${m.node} \`ws\` clients in one process on the same machine; raw figures
in [${jsonFile}](${jsonFile}). Run ${r.startedAt} → ${r.finishedAt} on ${m.cpu}, ${m.cores} cores,
${fmt(m.memoryGiB, 0)} GiB, Linux ${m.kernel}, ${m.redis.split(" ").slice(0, 3).join(" ")}.
\`uptime\` before: \`${r.loadBefore.uptime}\`; after: \`${r.loadAfter.uptime}\`.
The machine was shared with other work, so the figures are indicative; compare the rows with
each other, not with another day's run.

### Deliveries per second

A delivery is one \`msg\` frame received by one receiver. One room: ${perRoom(1)} in
one room. ${w.rooms} rooms: the same clients split evenly, ${perRoom(w.rooms)} per room. Messages
per second are the senders' messages confirmed in the same span. Each setup ran ${r.rounds ?? 1} time(s), the
setups taking turns; a cell shows the median round${(r.rounds ?? 1) > 1 ? ", with the lowest and highest round in brackets" : ""}, and the cores and messages
per second are that round's.

${table(["setup", "one room: deliveries/s", "one room: msg/s", `${w.rooms} rooms: deliveries/s`, `${w.rooms} rooms: msg/s`, "cores used, one room", "errors / closes (one room / rooms)"], throughputRows)}

${cmp}

From the server's code: a node stores every message, whatever its room, under one lock (its
store's) held for the whole call to the store, a SQLite write or on Redis the round trip of
the publishing script. So a node stores its messages one at a time, while several nodes each
hold a lock of their own.

### Latency from send to delivery

One sender sends ${fmt(r.latency.rate)} messages per second for ${fmt(r.latency.seconds)} s after ${fmt(r.latency.warmupSeconds)} s of
warm-up in each round, and nothing else of the benchmark runs meanwhile, so these are the
times of the path and not of a queue; the percentiles are over the messages of all rounds.

${table(["path", "p50", "p99", "messages"], latencyRows)}

What the Redis hop adds: ${added.join("; ") || "not measured"}.${diffs.some((d) => d !== null && d < 0)
  ? " A negative figure means the path through Redis was the faster one in this run. A " +
    "SQLite node also writes each message to its disk, which a Redis without persistence does not."
  : ""}

### How

\`${r.command}\`, run by \`make bench\`. Each setup starts fresh processes on free loopback ports:
for Redis, \`redis-server --save '' --appendonly no\` of its own; its nodes started with
\`--redis redis://127.0.0.1:PORT\` (the SQLite node with a new temporary \`--data-dir\`), all with
their connection caps raised and their rate limits off (\`--no-rate-limits\`). In each setup, in
this order:

- latency: a sender on node A and a receiver on node A (with three nodes also one on node B)
  join the room; each message's send time and arrival time are read on one clock
  (\`performance.now()\` of the benchmark process); the ${fmt(r.latency.warmupSeconds)} s of warm-up are left out;
- throughput: the clients of a room take the nodes in turn (senders first; rooms start on
  different nodes), so with three nodes every room has members on every node and its
  senders sit on different nodes. Each sender keeps ${w.window} of its messages unconfirmed
  (its own echo confirms one; ${w.textBytes}-byte texts). After ${fmt(w.warmupSeconds)} s of warm-up the
  receivers' \`msg\` frames are counted for ${fmt(w.seconds)} s. Senders get every message of their
  room too, which is not counted. Cores used are CPU time (\`/proc/PID/stat\` for the nodes and
  Redis, \`process.cpuUsage()\` for the clients) over the same span.
`;
}
