/**
 * What the three modes share: user-facing errors (one line, with a hint),
 * flag parsing on `node:util`'s parseArgs, and reading PEM files with
 * messages that say what to do.
 *
 * @module
 */

import { parseArgs as nodeParseArgs, type ParseArgsConfig } from "node:util";

/**
 * A mistake of the person running the tool (bad flag, missing file, ...):
 * printed as one line, with a hint when one helps, and exit status 2.
 */
export class UsageError extends Error {
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = "UsageError";
    this.hint = hint;
  }
}

/** Flag definitions for parseArgs. */
export type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `argv` strictly: an unknown flag or a missing value is a
 * UsageError that names the mode's help (and the nearest flag, for a typo).
 * A value that starts with a dash and a digit (`--port -1`) is taken as the
 * flag's value, so that its own check can say what is wrong with it.
 */
export function parseFlags<O extends Options>(mode: string, argv: string[], options: O) {
  const args = joinNegativeValues(argv, options);
  try {
    return nodeParseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const help = `see \`handshake ${mode} --help\``;
    const unknown = (e as Error).message.match(/^Unknown option '([^']+)'/);
    if (unknown) {
      const near = nearestFlag(unknown[1], options);
      throw new UsageError(
        `unknown flag ${unknown[1]}`,
        near ? `did you mean ${near}? ${help}` : help,
      );
    }
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, "")
      .split("\n")[0];
    throw new UsageError(msg, help);
  }
}

/** `--port -1` → `--port=-1`, for string flags only. */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : undefined;
    if (
      name && options[name]?.type === "string" && /^-[0-9.]/.test(argv[i + 1] ?? "")
    ) {
      out.push(`${argv[i]}=${argv[++i]}`);
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

/** The flag of `options` closest to `typed` (at most 2 edits, or a prefix), as `--name`. */
function nearestFlag(typed: string, options: Options): string | undefined {
  const names = Object.entries(options).flatMap(([name, o]) =>
    o.short ? [[name, name], [o.short, name]] : [[name, name]]
  );
  const bare = typed.replace(/^-+/, "").replace(/=.*$/, "");
  const near = nearest(bare, names.map(([n]) => n));
  return near === undefined ? undefined : `--${names.find(([n]) => n === near)![1]}`;
}

/** The word of `words` closest to `typed`: at most 2 edits away, or starting with it. */
export function nearest(typed: string, words: readonly string[]): string | undefined {
  let best: string | undefined, bestDistance = 3;
  for (const word of words) {
    const d = word.startsWith(typed) && typed.length >= 2 ? 1 : editDistance(typed, word);
    if (d < bestDistance) [best, bestDistance] = [word, d];
  }
  return best;
}

/** Damerau-Levenshtein distance (adjacent transpositions count as one edit). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** Reads a text file, turning "not found" into a UsageError with `hint`. */
export async function readTextFile(path: string, what: string, hint?: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UsageError(`${what} ${path} does not exist`, hint);
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new UsageError(`cannot read ${what} ${path}: permission denied`);
    }
    if (e instanceof Deno.errors.IsADirectory || await isDirectory(path)) {
      throw new UsageError(`${what} ${path} is a directory`, hint ?? "give the path of a PEM file");
    }
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Whether `path` is a directory (false when it cannot be looked at). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** Formats an error for the person: one line, plus `(hint)` when there is one. */
export function describeError(e: unknown): string {
  const err = e as Error & { hint?: string };
  const text = (err?.message ?? String(e)).split("\n")[0];
  return err?.hint ? `${text} (${err.hint})` : text;
}

/** Whether stderr should get colors: a TTY, and NO_COLOR unset (https://no-color.org). */
export function useColor(): boolean {
  if (!Deno.stderr.isTerminal()) return false;
  // Without permission to read NO_COLOR, stay plain rather than ask.
  const env = Deno.permissions.querySync({ name: "env", variable: "NO_COLOR" }).state;
  return env === "granted" && !Deno.env.get("NO_COLOR");
}

/** Parses a TCP port number. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new UsageError(`"${value}" is not a TCP port`, "use a number from 0 to 65535");
  }
  return port;
}
