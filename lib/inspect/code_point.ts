/**
 * A code point as people should see it: its number, its name when known,
 * and whether it is a GREASE value (RFC 8701) sent only to keep peers honest.
 *
 * @module
 */

import { ProtocolVersion, versionName } from "../codepoints.ts";
import { hexCode, isGrease } from "../wire/open_enum.ts";

/** A table of names: an open enum, or `VERSIONS`. */
export interface Names {
  name(value: number): string;
  has(value: number): boolean;
}

/** Protocol versions as people write them: `TLS 1.3`. */
export const VERSIONS: Names = { name: versionName, has: (v) => ProtocolVersion.has(v) };

/** One code point, described. */
export interface CodePoint {
  /** The number on the wire. */
  readonly value: number;
  /** `0x1301`-style hex. */
  readonly hex: string;
  /** The IANA name; `GREASE` for GREASE values; the hex for unknown ones. */
  readonly name: string;
  /** RFC 8701: a GREASE value, to be ignored. */
  readonly grease: boolean;
  /** Whether the name comes from the table (not GREASE, not unknown). */
  readonly known: boolean;
}

/** Describes a 16-bit (or, with `width` 2, 8-bit) `value` with the names of `table`. */
export function codePoint(table: Names, value: number, width = 4): CodePoint {
  const grease = width === 4 && isGrease(value);
  const known = !grease && table.has(value);
  return {
    value,
    hex: hexCode(value, width),
    name: grease ? "GREASE" : known ? table.name(value) : hexCode(value, width),
    grease,
    known,
  };
}

/** e.g. `x25519`, `GREASE (0x2a2a)`, `unknown (0x1234)`. */
export function codePointText(c: CodePoint): string {
  if (c.grease) return `GREASE (${c.hex})`;
  return c.known ? c.name : `unknown (${c.hex})`;
}
