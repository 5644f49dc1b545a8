// Adds a Content-Security-Policy to the built index.html. Trunk writes the wasm loader as an
// inline module script whose text changes with every build, so the policy allows exactly that
// script by its SHA-256 hash instead of allowing inline scripts in general.
//
// connect-src allows any ws:/wss: endpoint because the server URL is chosen at runtime
// (config.json, the URL query), and any http:/https: one for the same reason: the SSE and
// long-polling fallbacks and the token endpoint live on that server, which is often not the
// origin of a page served from a CDN. Plain HTTP reaches no host a WebSocket could not, so
// this widens nothing a script could already reach. A deployment that knows its server can
// narrow it.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2] ?? "dist";
const file = join(dir, "index.html");
let html = readFileSync(file, "utf8");

// A minified page (`minify` in Trunk.toml) writes the attribute without quotes.
const hashes = [...html.matchAll(/<script type="?module"?>([\s\S]*?)<\/script>/g)].map(
  ([, body]) => `'sha256-${createHash("sha256").update(body, "utf8").digest("base64")}'`,
);
if (hashes.length === 0) {
  console.error(`csp: no inline loader script found in ${file}`);
  process.exit(1);
}

const policy = [
  "default-src 'none'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(" ")}`,
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss: http: https:",
  "manifest-src 'self'",
  "base-uri 'self'",
  "form-action 'none'",
].join("; ");

const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}" />`;
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/g, "");
// Before every script: right after <head>, or after the charset declaration when
// minification left the optional <head> tag out.
const at = /<head>/.test(html) ? /<head>/ : /<meta charset="?utf-8"?\s*\/?>/i;
if (!at.test(html)) {
  console.error(`csp: no <head> or charset declaration to put the policy after in ${file}`);
  process.exit(1);
}
html = html.replace(at, (found) => `${found}\n    ${meta}`);
writeFileSync(file, html);
