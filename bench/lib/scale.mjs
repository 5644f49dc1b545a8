// The pure parts of the scale-out benchmark (bench/scale.mjs): where each client goes, how a
// frame is recognised cheaply, how CPU time is read from /proc, and the latency samples.

import { summary } from "./stats.mjs";

/**
 * The clients of one workload: `rooms` rooms, each with `senders / rooms` senders and
 * `receivers / rooms` receivers (both must divide evenly). Within a room the members take
 * the nodes in turn, senders first, so every room has members on every node once it has as
 * many as there are nodes, and the senders of a room sit on different nodes.
 * Returns `[{ role: "sender" | "receiver", room, node, name }]`.
 */
export function placeClients({ rooms, senders, receivers, nodes, prefix = "room" }) {
  for (const [what, n] of [["rooms", rooms], ["nodes", nodes]]) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, not ${n}`);
  }
  for (const [what, n] of [["senders", senders], ["receivers", receivers]]) {
    if (!Number.isInteger(n) || n < rooms || n % rooms !== 0) {
      throw new Error(`${what} (${n}) must be a multiple of rooms (${rooms})`);
    }
  }
  const clients = [];
  for (let r = 0; r < rooms; r += 1) {
    const room = `${prefix}-${r}`;
    const members = [
      ...Array.from({ length: senders / rooms }, (_, i) => ({ role: "sender", name: `s${r}-${i}` })),
      ...Array.from({ length: receivers / rooms }, (_, i) => ({ role: "receiver", name: `r${r}-${i}` })),
    ];
    // Rooms start on different nodes, so one sender per room does not put every sender on node 0.
    members.forEach((m, i) => clients.push({ ...m, room, node: (r + i) % nodes }));
  }
  return clients;
}

const MSG_PREFIX = Buffer.from('{"type":"msg"');

/** Whether a frame as received (a Buffer) is a chat message, read without parsing it: the
 * server writes `type` first. */
export function isMsgFrame(data) {
  return data.length >= MSG_PREFIX.length && MSG_PREFIX.equals(data.subarray(0, MSG_PREFIX.length));
}

/** CPU time (user + system) in clock ticks from the text of `/proc/PID/stat`. The command
 * name, in brackets, may hold spaces and brackets: fields are counted after its last `)`. */
export function cpuTicks(statText) {
  const fields = statText.slice(statText.lastIndexOf(")") + 2).split(" ");
  // After the name: state is field 3 of proc(5), utime 14 and stime 15.
  return Number(fields[11]) + Number(fields[12]);
}

/** Cores used over a span: CPU ticks spent / (span in seconds × ticks per second). */
export function coresUsed(ticksBefore, ticksAfter, seconds, ticksPerSecond) {
  return (ticksAfter - ticksBefore) / ticksPerSecond / seconds;
}

/**
 * Send → delivery times of messages, kept per path (e.g. "same node", "across nodes"). Only
 * messages noted with `sent` count: a warm-up is left out by not noting its messages.
 */
export class LatencyLog {
  constructor() {
    this.sentAt = new Map();
    this.samples = new Map();
  }

  sent(id, t) {
    this.sentAt.set(id, t);
  }

  /** Notes that `id` arrived over `path` at `t`; ids never noted as sent are skipped. */
  received(path, id, t) {
    const at = this.sentAt.get(id);
    if (at === undefined) return;
    if (!this.samples.has(path)) this.samples.set(path, []);
    this.samples.get(path).push(t - at);
  }

  /** `{ path: { n, p50, p99, min, max, mean } }` in ms. */
  summaries() {
    return Object.fromEntries([...this.samples].map(([path, values]) => [path, summary(values)]));
  }
}

/**
 * One figure for several rounds of the same throughput run: the round with the median
 * deliveries per second (the lower middle one for an even count), with the lowest and highest
 * of all rounds as `range`, and the errors and closes of every round added up.
 */
export function medianRound(rounds) {
  if (rounds.length === 0) throw new Error("no rounds");
  const sorted = [...rounds].sort((a, b) => a.deliveriesPerSecond - b.deliveriesPerSecond);
  const errors = {};
  for (const round of rounds) {
    for (const [code, n] of Object.entries(round.errors ?? {})) errors[code] = (errors[code] ?? 0) + n;
  }
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)],
    rounds: rounds.length,
    range: [sorted[0].deliveriesPerSecond, sorted[sorted.length - 1].deliveriesPerSecond],
    errors,
    closes: rounds.flatMap((r) => r.closes ?? []),
  };
}
