// A V8 CPU profile (Chrome DevTools Protocol `Profiler.stop`) summarised by function: self
// time, then inclusive time (a function with everything it calls).

/** Prints the `top` functions by self and by inclusive time; `headline(total, busy)` gives
 * the first line (both in ms; busy leaves out idle time and the engine's own). */
export function printProfile(profile, top, headline) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const deltas = profile.timeDeltas;
  const msAt = (i) => (deltas[i + 1] ?? 0) / 1000;
  const self = new Map();
  profile.samples.forEach((id, i) => add(self, nameOf(byId.get(id)), msAt(i)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const busy = total - (self.get("(idle)") ?? 0) - (self.get("(program)") ?? 0);
  console.log(headline(total, busy));
  // A sample counts once for every function on its stack.
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map();
  profile.samples.forEach((id, i) => {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) seen.add(nameOf(byId.get(at)));
    for (const name of seen) add(inclusive, name, msAt(i));
  });
  for (const skip of ["(root)", "(idle)", "(program)"]) inclusive.delete(skip);
  const print = (title, map) => {
    console.log(title);
    const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [name, ms] of rows) console.log(`${ms.toFixed(1).padStart(9)} ms  ${(100 * ms / total).toFixed(1).padStart(5)}%  ${name.slice(0, 150)}`);
  };
  print("self time:", self);
  print("inclusive time:", inclusive);
}

function add(map, name, ms) {
  map.set(name, (map.get(name) ?? 0) + ms);
}

function nameOf(node) {
  return node.callFrame.functionName || `(anonymous ${node.callFrame.url.split("/").pop()}:${node.callFrame.lineNumber})`;
}
