// What the shipped wasm is made of: code bytes per crate, read from the function names of
// a build that keeps them. Inlined code counts under the function it was inlined into, and
// generic code under the crate that defines it (a Leptos view of ours is mostly `tachys`).
//
//   node bench/wasm-breakdown.mjs <file.wasm> [--top 25] [--functions 0]
//
// For figures that match the release build, optimise with names kept:
//   wasm-bindgen --target web --out-dir /tmp/named target/wasm32-unknown-unknown/release/wirechat.wasm
//   wasm-opt -O1 --converge --low-memory-unused -g /tmp/named/wirechat_bg.wasm -o /tmp/named/opt.wasm
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: args, positionals } = parseArgs({
  options: { top: { type: "string", default: "25" }, functions: { type: "string", default: "0" } },
  allowPositionals: true,
});
const bytes = readFileSync(positionals[0]);

function leb(at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}
const text = (start, len) => new TextDecoder().decode(bytes.subarray(start, start + len));

// Walk the sections: imported functions shift the indices, the code section has the bodies,
// the name section's subsection 1 names them.
const sections = [];
const bodies = [];
const names = new Map();
let importedFunctions = 0;
for (let at = 8; at < bytes.length; ) {
  const id = bytes[at];
  const [size, start] = leb(at + 1);
  const end = start + size;
  if (id === 0) {
    const [nameLen, nameAt] = leb(start);
    const name = text(nameAt, nameLen);
    sections.push([`custom "${name}"`, size]);
    if (name === "name") {
      for (let p = nameAt + nameLen; p < end; ) {
        const kind = bytes[p];
        const [subSize, subAt] = leb(p + 1);
        if (kind === 1) {
          let [count, q] = leb(subAt);
          for (let i = 0; i < count; i++) {
            let index, len;
            [index, q] = leb(q);
            [len, q] = leb(q);
            names.set(index, text(q, len));
            q += len;
          }
        }
        p = subAt + subSize;
      }
    }
  } else {
    sections.push([["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "data count"][id] ?? `#${id}`, size]);
    if (id === 2) {
      let [count, p] = leb(start);
      for (let i = 0; i < count; i++) {
        let len;
        [len, p] = leb(p);
        p += len;
        [len, p] = leb(p);
        p += len;
        const kind = bytes[p++];
        if (kind === 0) {
          importedFunctions++;
          [, p] = leb(p);
        } else if (kind === 1) {
          p++;
          const flags = bytes[p++];
          [, p] = leb(p);
          if (flags & 1) [, p] = leb(p);
        } else if (kind === 2) {
          const flags = bytes[p++];
          [, p] = leb(p);
          if (flags & 1) [, p] = leb(p);
        } else if (kind === 3) {
          p += 2;
        }
      }
    } else if (id === 10) {
      let [count, p] = leb(start);
      for (let i = 0; i < count; i++) {
        let len;
        [len, p] = leb(p);
        bodies.push([importedFunctions + i, len]);
        p += len;
      }
    }
  }
  at = end;
}

// The crate a function belongs to: the first path segment of its name, generic wrappers
// (`<T as tachys::…>`, `core::ptr::drop_in_place<…>`) unwrapped to the crate they name.
function crateOf(name) {
  const plain = name.replace(/\[[0-9a-f]+\]/g, "");
  // Two kinds of std code that other crates' types call for get their own line.
  if (plain.startsWith("core::ptr::drop_in_place")) return "(drop glue)";
  if (/(^|[^a-z_])(core|alloc)::fmt::/.test(plain)) return "(formatting)";
  const trait = plain.match(/^<[^>]*? as ([a-z_][a-z0-9_]*)::/);
  const first = plain.match(/^<*&?(?:mut )?([a-z_][a-z0-9_]*)/);
  return (trait && trait[1]) || (first && first[1]) || "(unnamed)";
}
const GROUPS = [
  ["drop glue (core::ptr::drop_in_place, mostly of view state)", /^\(drop glue\)$/],
  ["formatting (core::fmt, alloc::fmt)", /^\(formatting\)$/],
  ["Leptos (reactive_graph, tachys, leptos, leptos_dom, either_of, any_spawner, indexmap)", /^(reactive_graph|tachys|leptos|leptos_dom|leptos_macro|either_of|any_spawner|indexmap|or_poisoned|throw_error|send_wrapper|slotmap)$/],
  ["wirechat UI (src/)", /^wirechat$/],
  ["session core (crates/session)", /^wirechat_session$/],
  ["wire format (crates/protocol, serde, serde_json)", /^(wirechat_protocol|serde|serde_core|serde_json|zmij|itoa|ryu|memchr)$/],
  ["Rust std (core, alloc, std, hashbrown, dlmalloc)", /^(core|alloc|std|hashbrown|dlmalloc|char|str|__rustc|compiler_builtins)$/],
  ["browser bindings (wasm_bindgen, js_sys, web_sys, gloo, futures)", /^(wasm_bindgen|js_sys|web_sys|wasm_bindgen_futures|gloo_net|gloo_utils|futures_core|futures_util|futures_channel|futures_sink|pin_project)$/],
];
const byCrate = new Map();
const byGroup = new Map(GROUPS.map(([label]) => [label, 0]));
let other = 0;
let code = 0;
for (const [index, len] of bodies) {
  code += len;
  const crate = crateOf(names.get(index) ?? "(unnamed)");
  byCrate.set(crate, (byCrate.get(crate) ?? 0) + len);
  const group = GROUPS.find(([, re]) => re.test(crate));
  if (group) byGroup.set(group[0], byGroup.get(group[0]) + len);
  else other += len;
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const pct = (n, of) => `${((100 * n) / of).toFixed(1)}%`;
const shipped = sections.filter(([name]) => !name.startsWith('custom "name"')).reduce((s, [, n]) => s + n, 0);
console.log(`sections (without names, ${kib(shipped)}):`);
for (const [name, size] of sections) if (!name.startsWith('custom "name"')) console.log(`  ${name.padEnd(24)} ${kib(size).padStart(10)}  ${pct(size, shipped).padStart(6)}`);
console.log(`\ncode by part (${kib(code)} in ${bodies.length} functions):`);
for (const [label, size] of [...byGroup, ["other", other]].sort((a, b) => b[1] - a[1])) console.log(`  ${kib(size).padStart(10)}  ${pct(size, code).padStart(6)}  ${label}`);
console.log(`\ncode by crate (top ${args.top}):`);
for (const [crate, size] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) console.log(`  ${kib(size).padStart(10)}  ${pct(size, code).padStart(6)}  ${crate}`);
// The largest function bodies by name: where a cut pays, since inlining puts a caller's
// callees into its own body.
if (Number(args.functions) > 0) {
  console.log(`\nlargest functions (top ${args.functions}):`);
  const largest = bodies.map(([index, len]) => [names.get(index) ?? `#${index}`, len]).sort((a, b) => b[1] - a[1]);
  for (const [name, len] of largest.slice(0, Number(args.functions))) console.log(`  ${String(len).padStart(8)} B  ${name}`);
}
