// What each file of the build weighs on the wire: raw, gzip -9 and brotli at quality 11.
import { readdirSync, readFileSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

// The files a browser downloads to show the app; config.json is a deployment setting.
export const TRANSFER_EXTENSIONS = [".wasm", ".js", ".css", ".html"];

function* files(dir, skip) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip.includes(entry.name)) continue;
    if (entry.isDirectory()) yield* files(path, []);
    else if (entry.isFile()) yield path;
  }
}

function brotli(bytes, text) {
  return brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      [constants.BROTLI_PARAM_MODE]: text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }).length;
}

// Every file under `dir` but the top-level entries named in `skip`.
export function measureSizes(dir, skip = []) {
  const list = [...files(dir, skip)].sort().map((path) => {
    const bytes = readFileSync(path);
    const ext = extname(path);
    return {
      file: relative(dir, path),
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotli(bytes, ext !== ".wasm"),
      transfer: TRANSFER_EXTENSIONS.includes(ext),
    };
  });
  const sum = (key) => list.filter((f) => f.transfer).reduce((total, f) => total + f[key], 0);
  return { files: list, transfer: { raw: sum("raw"), gzip: sum("gzip"), brotli: sum("brotli") } };
}
