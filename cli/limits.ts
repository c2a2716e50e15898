/**
 * The limits `serve` and `connect` let a person change, parsed from their
 * flags with messages that say what is wrong. The defaults are the
 * library's (`DEFAULT_LIMITS`, `DEFAULT_MAX_HANDSHAKES`).
 *
 * @module
 */

import { DEFAULT_LIMITS } from "../lib/config.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_HANDSHAKES,
  DEFAULT_WRITE_TIMEOUT_MS,
} from "../lib/net.ts";
import { UsageError } from "./common.ts";

/** Flags both modes accept. */
export const LIMIT_FLAGS = {
  "handshake-timeout": { type: "string", default: "10" },
  "max-handshake-message": {
    type: "string",
    default: String(DEFAULT_LIMITS.maxHandshakeMessage),
  },
} as const;

/** `serve` only: handshakes in progress at once, and how long a stalled peer is kept. */
export const SERVER_LIMIT_FLAGS = {
  "max-handshakes": { type: "string", default: String(DEFAULT_MAX_HANDSHAKES) },
  "idle-timeout": { type: "string", default: String(DEFAULT_IDLE_TIMEOUT_MS / 1000) },
  "write-timeout": { type: "string", default: String(DEFAULT_WRITE_TIMEOUT_MS / 1000) },
} as const;

/** The limits as the library takes them. */
export interface Limits {
  handshakeTimeoutMs: number;
  maxHandshakeMessage: number;
}

/** Reads `--handshake-timeout` (seconds, fractions allowed) and `--max-handshake-message`. */
export function parseLimits(values: {
  "handshake-timeout": string;
  "max-handshake-message": string;
}): Limits {
  const timeout = Number(values["handshake-timeout"]);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new UsageError(
      `--handshake-timeout must be a positive number of seconds, not "${
        values["handshake-timeout"]
      }"`,
    );
  }
  return {
    handshakeTimeoutMs: timeout * 1000,
    maxHandshakeMessage: parseCount(
      "--max-handshake-message",
      values["max-handshake-message"],
      512,
    ),
  };
}

/** A positive number of seconds (fractions allowed) as milliseconds, or a UsageError naming the flag. */
export function parseSeconds(flag: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`${flag} must be a positive number of seconds, not "${value}"`);
  }
  return seconds * 1000;
}

/** A whole number of at least `min`, or a UsageError naming the flag. */
export function parseCount(flag: string, value: string, min = 1): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || !Number.isSafeInteger(n)) {
    throw new UsageError(`${flag} must be a whole number of at least ${min}, not "${value}"`);
  }
  return n;
}
