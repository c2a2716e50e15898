/**
 * Renders a byte view (`lib/inspect/fields.ts`) as text: each field's bytes
 * in hex on the left, its name and meaning on the right, structures
 * indented, long values as blocks of 16 bytes per line.
 *
 * @module
 */

import type { Field } from "../lib/inspect/fields.ts";
import type { Paint } from "./paint.ts";

/** Fields of at most this many bytes share their line with the name. */
const INLINE = 8;
/** Width of the hex column of inline fields (and the space after it). */
const HEX_WIDTH = INLINE * 3 + 1;
/** Longer values are cut after this many bytes, saying how many are left out. */
const MAX_BYTES = 1024;

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");

/** The lines of `fields`, indented by `indent` spaces. */
export function renderFields(fields: readonly Field[], paint: Paint, indent = 0): string[] {
  const out: string[] = [];
  const pad = " ".repeat(indent);
  for (const f of fields) {
    const label = f.note ? `${f.name}: ${f.note}` : f.name;
    if (f.bytes.length === 0) {
      out.push(`${pad}${" ".repeat(HEX_WIDTH)}${label}`);
    } else if (f.bytes.length <= INLINE) {
      out.push(`${pad}${paint.dim(hex(f.bytes).padEnd(HEX_WIDTH))}${label}`);
    } else {
      out.push(`${pad}${" ".repeat(HEX_WIDTH)}${label} (${f.bytes.length} bytes)`);
      const shown = f.bytes.subarray(0, MAX_BYTES);
      for (let at = 0; at < shown.length; at += 16) {
        out.push(`${pad}  ${paint.dim(hex(shown.subarray(at, at + 16)))}`);
      }
      if (f.bytes.length > MAX_BYTES) {
        out.push(`${pad}  … ${f.bytes.length - MAX_BYTES} more bytes`);
      }
    }
    if (f.children?.length) out.push(...renderFields(f.children, paint, indent + 2));
  }
  return out;
}
