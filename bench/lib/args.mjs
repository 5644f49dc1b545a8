// Command-line flags of the bench scripts: `--name value`, `--name=value`, or `--name` alone
// (read as "true"), into one object keyed by name without the dashes.

/** The flags in `argv`; `usage` is thrown when `isComplete(flags)` says something is missing. */
export function parseArgs(argv, usage, isComplete) {
  const out = {};
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split("=", 2);
    const takesNext = inline === undefined && i + 1 < argv.length && !argv[i + 1].startsWith("--");
    out[flag.replace(/^--/, "")] = inline ?? (takesNext ? argv[++i] : "true");
  }
  if (!isComplete(out)) throw new Error(usage);
  return out;
}
