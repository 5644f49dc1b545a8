// The size check of `make test`: sums what a browser downloads of the release bundle (every
// .wasm, .js, .css and .html file of dist/, brotli at quality 11) and fails when the sum is
// over the budget in size-budget.json, the one place that budget is kept.
//
//   node scripts/size.mjs [dist] [--budget size-budget.json]
//
// The budget file's newest history entry must name the budget in force, so the budget is
// never raised without a note saying why.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureSizes } from "../bench/lib/sizes.mjs";

const KIB = 1024;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { budget: { type: "string", default: join(root, "size-budget.json") } },
});
const dist = positionals[0] ?? "dist";

function fail(message) {
  console.error(`size: ${message}`);
  process.exit(1);
}

const budgetFile = JSON.parse(readFileSync(values.budget, "utf8"));
const budgetKib = budgetFile.budget_kib;
if (typeof budgetKib !== "number" || !(budgetKib > 0)) {
  fail(`${values.budget} has no positive "budget_kib"`);
}
const newest = budgetFile.history?.at(-1);
if (newest?.budget_kib !== budgetKib || !newest?.note) {
  fail(
    `${values.budget}: the budget of ${budgetKib} KiB has no history entry with a note; ` +
      "add one saying why the budget changed",
  );
}

if (!existsSync(dist)) fail(`${dist}/ does not exist; build it first with \`make dist\``);
const { files, transfer } = measureSizes(dist);
const counted = files.filter((f) => f.transfer);
if (!counted.some((f) => f.file.endsWith(".wasm"))) {
  fail(`no .wasm in ${dist}/; build it first with \`make dist\``);
}

const kib = (bytes) => `${(bytes / KIB).toFixed(1)} KiB`;
for (const f of counted) console.log(`  ${kib(f.brotli).padStart(10)}  ${f.file}`);
const budget = budgetKib * KIB;
const total = transfer.brotli;
console.log(`size: ${kib(total)} brotli (wasm + js + css + html), budget ${budgetKib} KiB`);
if (total > budget) {
  fail(
    `the bundle is ${kib(total - budget)} over the budget of ${budgetKib} KiB. ` +
      "Make it smaller, or raise budget_kib in size-budget.json with a history entry saying why.",
  );
}
console.log(`size: within the budget, ${kib(budget - total)} to spare`);
