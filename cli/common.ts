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
 * UsageError that names the mode's help.
 */
export function parseFlags<O extends Options>(mode: string, argv: string[], options: O) {
  try {
    return nodeParseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(msg, `see \`handshake ${mode} --help\``);
  }
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
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
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
