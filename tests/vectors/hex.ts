/**
 * Hex as published vectors print it: bytes separated by spaces and line
 * breaks. Test data only.
 *
 * @module
 */

/** Decodes hex written with any whitespace between the digits. */
export function hex(text: string): Uint8Array {
  return Uint8Array.fromHex(text.replace(/\s+/g, ""));
}

/** Concatenates byte strings. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
