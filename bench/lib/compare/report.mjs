// The comparison's outputs: a chart (SVG written by hand, no library) and docs/TRANSPORTS.md.

const fmt = (n, digits = 0) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US", { maximumFractionDigits: digits }));
const kib = (bytes) => fmt(bytes / 1024, 1);
const esc = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The panels of the chart: one figure each, a bar per transport. */
const PANELS = [
  { title: "HTTP requests", value: (r) => r.requests, show: (v) => fmt(v) },
  { title: "TCP connections opened", value: (r) => r.connections, show: (v) => fmt(v) },
  { title: "Bytes up + down (KiB)", value: (r) => r.bytesUp + r.bytesDown, show: (v) => kib(v) },
  { title: "Server CPU time (ms)", value: (r) => r.serverCpuMs, show: (v) => fmt(v) },
  { title: "Delivery latency p50 (ms)", value: (r) => r.latencyMs.p50, show: (v) => fmt(v, 1) },
  { title: "Delivery latency p99 (ms)", value: (r) => r.latencyMs.p99, show: (v) => fmt(v, 1) },
];
const COLOURS = ["#2b6cb0", "#2f855a", "#b7791f", "#c53030"];

/** A grid of horizontal bar charts, one per figure, each scaled to its own largest value. */
export function renderChart(result) {
  const rows = result.transports;
  const panelWidth = 420;
  const labelWidth = 140;
  const barHeight = 18;
  const gap = 6;
  const panelHeight = 34 + rows.length * (barHeight + gap) + 10;
  const columns = 2;
  const width = columns * panelWidth + 20;
  const height = Math.ceil(PANELS.length / columns) * panelHeight + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">wirechat transports: ${esc(result.workload.messages)} messages at ${esc(result.workload.rate)}/s, then ${esc(result.workload.idleMs / 1000)} s idle (${esc(result.date)})</text>`,
  ];
  PANELS.forEach((panel, p) => {
    const x0 = 10 + (p % columns) * panelWidth;
    const y0 = 40 + Math.floor(p / columns) * panelHeight;
    const values = rows.map(panel.value);
    const max = Math.max(1, ...values.filter((v) => v !== null));
    const barSpace = panelWidth - labelWidth - 80;
    parts.push(`<text x="${x0}" y="${y0 + 16}" font-weight="bold">${esc(panel.title)}</text>`);
    rows.forEach((row, i) => {
      const y = y0 + 28 + i * (barHeight + gap);
      const value = values[i] ?? 0;
      const w = Math.max(1, (value / max) * barSpace);
      parts.push(
        `<text x="${x0}" y="${y + 13}">${esc(row.label)}</text>`,
        `<rect x="${x0 + labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${COLOURS[i % COLOURS.length]}"/>`,
        `<text x="${(x0 + labelWidth + w + 4).toFixed(1)}" y="${y + 13}">${esc(panel.show(values[i]))}</text>`,
      );
    });
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** docs/TRANSPORTS.md: what was measured, where, the table, the chart and what it means. */
export function renderDoc(result) {
  const rows = result.transports;
  const by = Object.fromEntries(rows.map((r) => [r.transport, r]));
  const { machine, workload } = result;
  const table = [
    "| Transport | HTTP requests | TCP connections | Bytes up | Bytes down | Server CPU (ms) | Latency p50 (ms) | Latency p99 (ms) | Delivered | Lost | Duplicated |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) =>
      `| ${r.label} | ${fmt(r.requests)} | ${fmt(r.connections)} | ${fmt(r.bytesUp)} | ${fmt(r.bytesDown)} | ${fmt(r.serverCpuMs)} | ${fmt(r.latencyMs.p50, 1)} | ${fmt(r.latencyMs.p99, 1)} | ${fmt(r.delivered)} / ${fmt(r.sent)} | ${r.lost} | ${r.duplicated} |`),
  ].join("\n");
  const ratio = (a, b) => (b > 0 ? fmt(a / b, 1) : "–");
  const ws = by.websocket;
  const bytes = (r) => r.bytesUp + r.bytesDown;
  return `# Transports compared

One workload, run over each way the reference server can be reached, with what each costs on
the wire and at the server. Produced by \`${result.command}\` (\`bench/compare.mjs\`); the raw
figures are in [transports.json](transports.json).

![Requests, connections, bytes, server CPU and latency per transport](transports.svg)

## What was run

- **Workload, per transport:** ${workload.users} users in one room; ${fmt(workload.messages)} messages at
  ${fmt(workload.rate)} per second, the two users taking turns; then ${fmt(workload.idleMs / 1000)} s with nothing sent.
  Every message must reach the other user exactly once, or the run fails.
- **Transports:** WebSocket (\`/ws\`); server-sent events (\`GET /sse\`, frames sent with
  \`POST /sse/{id}\`); long polling (\`GET /poll/{id}?cursor=N\`, held by the server until a frame
  comes or 25 s pass, asked again at once); short polling (the same with \`wait=0\`, asked once
  a second). The clients are Node programs speaking each transport directly, each HTTP client
  with its own keep-alive connection pool, as a browser has per origin.
- **Counted** at a TCP proxy in front of each server: TCP connections opened, HTTP requests
  (request lines read from the client's bytes; a WebSocket counts its one upgrade request),
  and bytes in each direction as they cross the wire, headers and framing included. At the
  server: CPU time (user + system, from \`/proc/PID/stat\`) from before the users connect to the
  end of the idle minute. At the clients: delivery latency, from just before the sender hands
  a message to its transport to its arrival at the other user, on one process clock.
- **How:** each transport has its own fresh server (\`--memory\`, the \`server\` build profile) and
  proxy; ${result.concurrent ? "the four ran at the same time, sharing the machine" : "the four ran one after another"} (${fmt(result.runSeconds)} s in all).
- **Machine:** ${machine.cores} cores (${esc(machine.cpu)}), ${esc(machine.os)}, Node ${machine.node}; run on ${result.date}.
  The machine was shared with other work, so latencies and CPU times carry noise; requests
  and bytes change little from run to run (the HTTP clients' connections a little more: a
  second keep-alive connection opens when two sends overlap).

## Results

Figures are for the two users together, over the whole run of each transport.

${table}

## What the figures say

A WebSocket pays for HTTP once per user: one upgrade request on one TCP connection
(${fmt(ws?.requests)} requests and ${fmt(ws?.connections)} connections here for the two users), after which each message costs a few bytes of frame header
around its JSON. Every other transport pays for a whole HTTP exchange, request line and headers
on the way up and status line and headers on the way down, for each message it sends and, when
polling, for each batch it receives.

- **SSE** receives like a WebSocket (one long answer, each frame one event), but each message
  sent is a \`POST\`: ${fmt(by.sse?.requests)} requests and ${ratio(bytes(by.sse ?? {}), bytes(ws ?? {}))}× the WebSocket's bytes.
- **Long polling** adds a \`GET\` for each batch received, and at this rate a batch is
  mostly one frame. The sender's own echo (its confirmation) wakes its poll too, so each
  message costs about three requests: ${fmt(by["long-polling"]?.requests)} requests, ${ratio(bytes(by["long-polling"] ?? {}), bytes(ws ?? {}))}× the WebSocket's bytes.
  Its latency stays close to the WebSocket's because the held request is answered as soon as
  a frame comes.
- **Short polling** asks once a second whatever happened, so while messages flow one ask
  takes several at once and it needs fewer requests than long polling (${fmt(by["short-polling"]?.requests)}), but the idle
  minute alone costs about 60 asks per user, and a message waits on average half a second for
  the next ask (p50 ${fmt(by["short-polling"]?.latencyMs.p50, 1)} ms against ${fmt(ws?.latencyMs.p50, 1)} ms over the WebSocket, p99 near the full
  second).
- The server's CPU time follows the requests: parsing and answering an HTTP exchange costs more
  than reading a frame from an open socket (${fmt(ws?.serverCpuMs)} ms for the WebSocket, ${fmt(by["long-polling"]?.serverCpuMs)} ms for long polling).
- The p99 and largest latencies of the three pushing transports are alike: they come from the
  shared machine's scheduling, not from the transport.
`;
}
