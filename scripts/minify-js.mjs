// Minifies the wasm-bindgen JS module of a release build with terser (trunk's own minifier
// refuses this file) and rewrites its `integrity` hash in index.html, which trunk computed
// from the file as it was. Runs as a post_build hook before scripts/csp.mjs, so the policy
// hashes the final page. Debug builds are left as they are, for readable stack traces.
//
//   node scripts/minify-js.mjs [dir]    (dir: trunk's staging dir, else dist)
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { minify } from "terser";

if (process.env.TRUNK_PROFILE === "debug") process.exit(0);

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2] ?? "dist";
const page = join(dir, "index.html");
let html = readFileSync(page, "utf8");

function fail(message) {
  console.error(`minify-js: ${message}`);
  process.exit(1);
}

// The loader module is preloaded with its hash: `<link rel=modulepreload href=./x.js …
// integrity=sha384-…>` (quotes optional, since the page itself may be minified).
const preloads = [...html.matchAll(/<link\b[^>]*\brel="?modulepreload"?[^>]*>/g)].map(([tag]) => tag);
if (preloads.length !== 1) fail(`expected one modulepreload link in ${page}, found ${preloads.length}`);
const [tag] = preloads;
const href = tag.match(/\bhref="?([^"\s>]+)"?/)?.[1];
const integrity = tag.match(/\bintegrity="?(sha384-[^"\s>]+)"?/)?.[1];
if (!href?.endsWith(".js") || !integrity) fail(`no .js href with a sha384 integrity in ${tag}`);

const file = join(dir, href.replace(/^\.\//, ""));
const source = readFileSync(file, "utf8");
const expected = `sha384-${createHash("sha384").update(source, "utf8").digest("base64")}`;
// A hash that does not match means the page and the file are from different builds.
if (integrity !== expected) fail(`${href} does not match its integrity hash in ${page}`);

// `module`: top-level names are private to the module and may be renamed; exports and the
// property names of the wasm imports object keep their names, since the wasm looks them up.
const { code } = await minify(source, { module: true, compress: true, mangle: true });
const hash = `sha384-${createHash("sha384").update(code, "utf8").digest("base64")}`;
writeFileSync(file, code);
html = html.replaceAll(integrity, hash);
writeFileSync(page, html);
console.log(`minify-js: ${href} ${source.length} → ${code.length} bytes`);
