// The workload run over each transport: two users in one room, messages at a steady rate
// with the senders taking turns, then an idle stretch. Delivery is checked per message: each
// must reach the other user exactly once.

const ROOM = "compare";
const NAMES = ["alice", "bob"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The value at quantile `q` (0..1) of `sorted`, nearest rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Runs the workload with `transport` against the server at `base` (host:port).
 * `{ messages, rate, idleMs }` set its size; `atEnd` runs after the idle stretch, before the
 * clients close (to read the counters there). Resolves to the delivery figures:
 * `{ sent, delivered, lost, duplicated, latencyMs: { p50, p99, max } }`.
 */
export async function runWorkload(transport, base, { messages, rate, idleMs, atEnd = async () => {} }) {
  const sentAt = new Map(); // message id -> [sender index, send time]
  const received = new Map(); // message id -> times the other user got it
  const latencies = [];
  let joined = 0;
  let allJoined;
  const joinedAll = new Promise((ok) => { allJoined = ok; });

  const onFrame = (me) => (frame) => {
    if (frame.type === "history" && frame.room === ROOM) {
      joined += 1;
      if (joined === NAMES.length) allJoined();
    }
    if (frame.type === "error") throw new Error(`${NAMES[me]} got ${JSON.stringify(frame)}`);
    if (frame.type !== "msg" || frame.room !== ROOM) return;
    const sent = sentAt.get(frame.id);
    if (!sent || sent[0] === me) return; // the sender's own echo
    const count = (received.get(frame.id) ?? 0) + 1;
    received.set(frame.id, count);
    if (count === 1) latencies.push(performance.now() - sent[1]);
  };

  const users = [];
  for (let me = 0; me < NAMES.length; me += 1) users.push(await transport.open(base, onFrame(me)));
  await Promise.all(users.map((user, me) => user.send({ type: "join", room: ROOM, name: NAMES[me] })));
  await joinedAll;

  const start = performance.now();
  const sends = [];
  for (let i = 0; i < messages; i += 1) {
    // A fixed schedule, so a slow send does not slow the rate down.
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const me = i % NAMES.length;
    const id = `c${i}-${NAMES[me]}`;
    sentAt.set(id, [me, performance.now()]);
    sends.push(users[me].send({ type: "msg", id, room: ROOM, from: NAMES[me], text: `message ${i}`, ts: Date.now() }));
  }
  await Promise.all(sends);
  // The idle stretch starts after the last send; late deliveries still land in it.
  await sleep(idleMs);
  await atEnd();
  await Promise.all(users.map((user) => user.close()));

  latencies.sort((a, b) => a - b);
  let duplicated = 0;
  for (const count of received.values()) duplicated += count - 1;
  const round = (ms) => (ms === null ? null : Math.round(ms * 10) / 10);
  return {
    sent: messages,
    delivered: received.size,
    lost: messages - received.size,
    duplicated,
    latencyMs: { p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)), max: round(latencies.at(-1) ?? null) },
  };
}
