/**
 * Small helpers the vector tests share: split bytes into records and
 * handshake messages with the engine's own deframer and joiner, and check
 * a handshake message's framing.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { HandshakeMessage } from "../../lib/handshake/messages.ts";
import { Deframer, type RawRecord } from "../../lib/record/deframer.ts";
import { HandshakeJoiner } from "../../lib/record/handshake_joiner.ts";

/** The body of a framed handshake message, after checking its type and 24-bit length. */
export function body(message: Uint8Array, type: number): Uint8Array {
  assert.equal(message[0], type);
  assert.equal((message[1] << 16) | (message[2] << 8) | message[3], message.length - 4);
  return message.subarray(4);
}

/** The records in `bytes`, each copied out of the deframer's buffer; no bytes may be left over. */
export function records(bytes: Uint8Array): RawRecord[] {
  const d = new Deframer();
  d.push(bytes);
  const out: RawRecord[] = [];
  for (let r = d.next(); r; r = d.next()) {
    out.push({
      type: r.type,
      version: r.version,
      header: r.header.slice(),
      fragment: r.fragment.slice(),
    });
  }
  assert.equal(d.buffered, 0, "trailing bytes after the last record");
  return out;
}

/** The whole record (header and fragment) as it was on the wire. */
export function recordBytes(rec: RawRecord): Uint8Array {
  const out = new Uint8Array(rec.header.length + rec.fragment.length);
  out.set(rec.header);
  out.set(rec.fragment, rec.header.length);
  return out;
}

/** The handshake messages in `content`, in order; no partial message may be left over. */
export function messages(content: Uint8Array): HandshakeMessage[] {
  const j = new HandshakeJoiner(1 << 16);
  j.push(content);
  const out: HandshakeMessage[] = [];
  for (let m = j.next(); m; m = j.next()) out.push(m);
  assert.equal(j.pending, false);
  return out;
}
