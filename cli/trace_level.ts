/**
 * The `--trace` flag's value, parsed apart from the printer: a mode loads
 * the printer (and the byte dissectors under it) only when a trace is asked
 * for.
 *
 * @module
 */

import { UsageError } from "./common.ts";

/** What `--trace` shows beyond the default. */
export interface TraceLevel {
  /** Secret values: shared secret, key schedule secrets, keys and IVs. */
  readonly secrets: boolean;
  /** The byte view of every record. */
  readonly bytes: boolean;
}

/** Parses the value of `--trace` (`""` for the bare flag). */
export function parseTraceLevel(value: string): TraceLevel {
  const parts = value === "" ? [] : value.split(",").map((p) => p.trim().toLowerCase());
  for (const p of parts) {
    if (p !== "secrets" && p !== "bytes") {
      throw new UsageError(
        `unknown --trace level "${p}"`,
        "use --trace, --trace=secrets, --trace=bytes or --trace=secrets,bytes",
      );
    }
  }
  return { secrets: parts.includes("secrets"), bytes: parts.includes("bytes") };
}

/**
 * Lets `--trace` stand alone: parseArgs wants a value for a string flag, and
 * would take the next argument (a HOST:PORT) as it.
 */
export function bareTraceFlag(argv: string[]): string[] {
  return argv.map((a) => a === "--trace" ? "--trace=" : a);
}
