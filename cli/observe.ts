/**
 * What `serve` and `connect` share to make a connection visible: the
 * `--trace[=secrets,bytes]` and `--keylog FILE` flags, the SSLKEYLOGFILE
 * variable, and the printer each connection's trace goes to (stderr, so
 * that stdout stays the data).
 *
 * @module
 */

import type { TraceEvent } from "../lib/trace.ts";
import { UsageError, useColor } from "./common.ts";
import { paint } from "./paint.ts";
import { parseTraceLevel, type TraceLevel } from "./trace_level.ts";

/** The printer's module, loaded by `observe` when a trace is asked for. */
let printers: typeof import("./trace_printer.ts") | undefined;

/** The flags, for parseFlags (run `bareTraceFlag` over argv first). */
export const OBSERVE_FLAGS = {
  trace: { type: "string" },
  keylog: { type: "string" },
} as const;

/** Help lines for the flags. */
export const OBSERVE_HELP =
  `  --trace[=LEVEL]     print the handshake step by step on stderr; LEVEL: secrets (secret
                      values too), bytes (every record field by field), or secrets,bytes
  --keylog FILE       append the session secrets to FILE (NSS key log format, for Wireshark);
                      SSLKEYLOGFILE=FILE does the same`;

export { bareTraceFlag } from "./trace_level.ts";

/** The parsed flags. */
export interface Observe {
  /** The trace level, if tracing. */
  readonly trace?: TraceLevel;
  /** Writes one key log line, if a key log was asked for. */
  readonly keyLog?: (line: string) => void;
}

/**
 * Reads `--trace`, `--keylog` and SSLKEYLOGFILE; opens the key log (mode
 * 0600, appended). With `--trace`, loads the printer (`tracePrinter`).
 */
export async function observe(values: { trace?: string; keylog?: string }): Promise<Observe> {
  const trace = values.trace === undefined ? undefined : parseTraceLevel(values.trace);
  const path = values.keylog ?? envKeyLogFile();
  if (trace) printers ??= await import("./trace_printer.ts");
  return { trace, keyLog: path ? openKeyLog(path) : undefined };
}

/**
 * A printer for one connection's trace, writing to stderr with `prefix` on
 * each line. Only after `observe` has seen `--trace`.
 */
export function tracePrinter(level: TraceLevel, prefix = ""): (e: TraceEvent) => void {
  if (!printers) throw new Error("tracePrinter() before observe() saw --trace");
  return new printers.TracePrinter({
    level,
    paint: paint(useColor()),
    write: (line) => console.error(line),
    prefix,
  }).event;
}

/** SSLKEYLOGFILE, if set and readable without a permission prompt. */
function envKeyLogFile(): string | undefined {
  const granted =
    Deno.permissions.querySync({ name: "env", variable: "SSLKEYLOGFILE" }).state === "granted";
  return (granted && Deno.env.get("SSLKEYLOGFILE")) || undefined;
}

/** Opens `path` for appending key log lines; new files get mode 0600 (they hold secrets). */
function openKeyLog(path: string): (line: string) => void {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    // A new key log is ours alone. "New" includes empty: Deno's runtime itself creates the
    // SSLKEYLOGFILE at start-up (for its own TLS), with the umask's mode.
    if (file.statSync().size === 0) Deno.chmodSync(path, 0o600);
  } catch (e) {
    const why = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (e as Error).message;
    throw new UsageError(`cannot write the key log ${path}: ${why}`);
  }
  const encoder = new TextEncoder();
  return (line) => {
    const bytes = encoder.encode(line);
    for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
  };
}
