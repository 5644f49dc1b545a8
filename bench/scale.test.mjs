// Checks of the scale-out benchmark's own logic, run first by `make bench` (well under a second):
//
//   node --test bench/scale.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { replaceSection } from "./lib/doc-section.mjs";
import { LatencyLog, coresUsed, cpuTicks, isMsgFrame, medianRound, placeClients } from "./lib/scale.mjs";
import { scaleSection, verdict } from "./lib/scale-report.mjs";

test("one room over three nodes: senders on different nodes, receivers spread evenly", () => {
  const clients = placeClients({ rooms: 1, senders: 3, receivers: 6, nodes: 3 });
  assert.equal(clients.length, 9);
  assert.deepEqual(clients.filter((c) => c.role === "sender").map((c) => c.node), [0, 1, 2]);
  const perNode = [0, 0, 0];
  for (const c of clients.filter((c) => c.role === "receiver")) perNode[c.node] += 1;
  assert.deepEqual(perNode, [2, 2, 2]);
  assert.equal(new Set(clients.map((c) => c.name)).size, 9, "names are unique");
});

test("several rooms: one sender each, and the senders do not all land on node 0", () => {
  const clients = placeClients({ rooms: 3, senders: 3, receivers: 6, nodes: 3, prefix: "x" });
  const senders = clients.filter((c) => c.role === "sender");
  assert.deepEqual(senders.map((c) => c.room), ["x-0", "x-1", "x-2"]);
  assert.deepEqual(senders.map((c) => c.node), [0, 1, 2]);
  for (const room of ["x-0", "x-1", "x-2"]) {
    const nodes = clients.filter((c) => c.room === room).map((c) => c.node).sort();
    assert.deepEqual(nodes, [0, 1, 2], `${room} has a member on every node`);
  }
});

test("one node takes every client", () => {
  const clients = placeClients({ rooms: 2, senders: 2, receivers: 4, nodes: 1 });
  assert.ok(clients.every((c) => c.node === 0));
});

test("a workload that does not split evenly over the rooms is refused", () => {
  assert.throws(() => placeClients({ rooms: 4, senders: 6, receivers: 24, nodes: 3 }), /senders \(6\)/);
  assert.throws(() => placeClients({ rooms: 0, senders: 6, receivers: 24, nodes: 3 }), /rooms/);
});

test("msg frames are told from others without parsing", () => {
  assert.ok(isMsgFrame(Buffer.from('{"type":"msg","id":"a","room":"r","from":"b","text":"{\\"type\\":\\"x\\"}","ts":1,"seq":2}')));
  assert.ok(!isMsgFrame(Buffer.from('{"type":"history","room":"r","msgs":[{"type":"msg"}]}')));
  assert.ok(!isMsgFrame(Buffer.from('{"type":"error","code":"unavailable","id":"a"}')));
  assert.ok(!isMsgFrame(Buffer.from('{"type"')));
});

test("CPU ticks are read after a command name holding spaces and brackets", () => {
  const stat = "4242 (wirechat (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 5 0 0";
  assert.equal(cpuTicks(stat), 325);
  assert.equal(coresUsed(100, 300, 2, 100), 1);
});

test("latency counts only messages noted as sent, per path", () => {
  const log = new LatencyLog();
  log.sent("a", 10);
  log.sent("b", 20);
  log.received("same node", "warm-up", 5);
  log.received("same node", "a", 12);
  log.received("across nodes", "a", 15);
  log.received("same node", "b", 21);
  const s = log.summaries();
  assert.deepEqual(Object.keys(s).sort(), ["across nodes", "same node"]);
  assert.equal(s["same node"].n, 2);
  assert.equal(s["same node"].p50, 1);
  assert.equal(s["same node"].p99, 2);
  assert.equal(s["across nodes"].p50, 5);
});

test("rounds of a run: the median round, the range, and every error and close", () => {
  const round = (deliveriesPerSecond, errors = {}, closes = []) => ({ deliveriesPerSecond, errors, closes });
  const three = medianRound([round(300, { unavailable: 1 }), round(100), round(200, { unavailable: 2 }, [4000])]);
  assert.equal(three.deliveriesPerSecond, 200);
  assert.deepEqual(three.range, [100, 300]);
  assert.equal(three.rounds, 3);
  assert.deepEqual(three.errors, { unavailable: 3 });
  assert.deepEqual(three.closes, [4000]);
  assert.equal(medianRound([round(5), round(1)]).deliveriesPerSecond, 1, "the lower middle of two");
  assert.throws(() => medianRound([]));
});

test("a marked section is replaced in place, or appended once", () => {
  const doc = "# Title\n\nintro\n\n<!-- b:begin -->\nold\n<!-- b:end -->\ntail\n";
  const once = replaceSection(doc, "b", "new");
  assert.equal(once, "# Title\n\nintro\n\n<!-- b:begin -->\nnew\n<!-- b:end -->\ntail\n");
  assert.equal(replaceSection(once, "b", "new"), once, "rewriting is idempotent");
  const added = replaceSection("# Title\n", "c", "body\n");
  assert.equal(added, "# Title\n\n<!-- c:begin -->\nbody\n<!-- c:end -->\n");
  assert.equal(replaceSection(added, "c", "body\n"), added);
});

const run = (deliveriesPerSecond, nodes) => ({
  deliveriesPerSecond,
  messagesPerSecond: deliveriesPerSecond / 24,
  cores: { nodes: Array(nodes).fill(0.4), redis: 0.3, bench: 0.6 },
  errors: {},
  closes: [],
});

test("the verdict says plainly when three nodes are not faster, and why", () => {
  const slower = verdict(run(30_000, 1), run(20_000, 3), 2);
  assert.match(slower, /^Three nodes delivered fewer than one/);
  assert.match(slower, /2 cores/);
  assert.match(slower, /used 2.1 cores together/, "the cores the run used are stated");
  assert.match(verdict(run(30_000, 1), run(31_000, 3), 2), /^Three nodes delivered about as many as one/);
  const faster = verdict(run(30_000, 1), run(50_000, 3), 2);
  assert.doesNotMatch(faster, /overlap/, "no ranges, no overlap");
  const ranged = (speed, nodes, range) => ({ ...run(speed, nodes), range, rounds: 3 });
  assert.match(
    verdict(ranged(30_000, 1, [28_000, 31_000]), ranged(40_000, 3, [30_000, 45_000]), 2),
    /But the rounds overlap \(three nodes 30,000–45,000, one node 28,000–31,000\)/,
  );
  assert.doesNotMatch(verdict(ranged(30_000, 1, [28_000, 31_000]), ranged(40_000, 3, [32_000, 45_000]), 2), /overlap/);
  assert.match(faster, /^Three nodes delivered more than one/);
  assert.match(faster, /three-node run they used 2.1 cores together, in the one-node run 1.3\)\.$/);
});

test("the section lists every setup and the latency the hop adds", () => {
  const latency = (p50, p99) => ({ n: 500, p50, p99, min: p50, max: p99, mean: p50 });
  const setup = (key, label, nodes, paths, speed) => ({
    key, label, nodes, redis: key !== "sqlite-1",
    latency: { paths },
    oneRoom: run(speed, nodes),
    severalRooms: { ...run(speed / 2, nodes), rooms: 6, errors: { unavailable: 2 }, closes: [4000], rounds: 3, range: [speed / 4, speed] },
  });
  const results = {
    startedAt: "2026-11-30T10:00:00Z",
    finishedAt: "2026-11-30T10:03:00Z",
    command: "node bench/scale.mjs --server S --out docs",
    machine: { cpu: "CPU", cores: 2, memoryGiB: 8, node: "v20", kernel: "6", redis: "Redis server v=7.0.15 sha=0" },
    loadBefore: { uptime: "load average: 3.00, 2.00, 1.00" },
    loadAfter: { uptime: "load average: 4.00, 2.00, 1.00" },
    workload: { senders: 6, receivers: 24, rooms: 6, window: 16, textBytes: 100, warmupSeconds: 3, seconds: 10 },
    latency: { rate: 50, warmupSeconds: 1, seconds: 10 },
    rounds: 3,
    setups: [
      setup("sqlite-1", "1 node, SQLite", 1, { "same node": latency(1, 3) }, 40_000),
      setup("redis-1", "1 node, Redis", 1, { "same node": latency(1.5, 4) }, 30_000),
      setup("redis-3", "3 nodes, Redis", 3, { "same node": latency(2, 6), "across nodes": latency(2.25, 7) }, 20_000),
    ],
  };
  const md = scaleSection(results, "scale.json");
  assert.match(md, /^## Several nodes on Redis/);
  assert.match(md, /\| 1 node, SQLite \| 40,000 \|/);
  assert.match(md, /\| 3 nodes, Redis \| 20,000 \| 833 \| 10,000 \(5,000–20,000\) \|/);
  assert.match(md, /Each setup ran 3 time\(s\)/);
  assert.match(md, /3 nodes, Redis: sender on node A, receiver on node B \| 2.25 ms \| 7 ms \| 500 \|/);
  assert.match(md, /one node on Redis against one on SQLite: p50 \+0.5 ms, p99 \+1 ms/);
  assert.match(md, /across two nodes on Redis against one node on SQLite: p50 \+1.25 ms, p99 \+4 ms/);
  assert.match(md, /2 × unavailable; 1 closed \(4000\)/);
  assert.match(md, /load average: 3.00, 2.00, 1.00/);
  assert.match(md, /Three nodes delivered fewer than one/);
  assert.match(md, /Redis server v=7.0.15\./);
  assert.doesNotMatch(md, /negative figure/, "no hint about negative differences when none is");
});
