// A generated section of a Markdown file kept between two HTML comment markers, so that each
// benchmark rewrites its own section and leaves the rest of the file alone.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** `text` with the block between `<!-- NAME:begin -->` and `<!-- NAME:end -->` set to `body`
 * (markers included); the block is appended when the markers are not there yet. */
export function replaceSection(text, name, body) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${body.endsWith("\n") ? body : `${body}\n`}${end}\n`;
  const at = text.indexOf(begin);
  const until = at >= 0 ? text.indexOf(end, at) : -1;
  if (at < 0 || until < 0) return `${text.trimEnd()}\n\n${block}`;
  const after = text.slice(until + end.length).replace(/^\n/, "");
  return text.slice(0, at) + block + after;
}

/** Rewrites the section `name` of the Markdown file at `path` (made with `# Performance` when
 * missing). */
export function writeSection(path, name, body) {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "# Performance\n";
  writeFileSync(path, replaceSection(text, name, body));
}
