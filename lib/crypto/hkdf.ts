/**
 * TLS 1.3's HKDF-Expand-Label and Derive-Secret (RFC 8446 §7.1), on the
 * provider's HKDF (RFC 5869).
 *
 * @module
 */

import { Writer } from "../wire/writer.ts";
import type { Hash } from "./provider.ts";

const encoder = new TextEncoder();

/**
 * RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, Context, Length), where
 * the info is the HkdfLabel structure with the label prefixed by "tls13 ".
 */
export function hkdfExpandLabel(
  hash: Hash,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const info = new Writer(10 + label.length + context.length)
    .u16(length)
    .vec8(encoder.encode("tls13 " + label))
    .vec8(context)
    .finish();
  return hash.hkdfExpand(secret, info, length);
}

/** RFC 8446 §7.1: Derive-Secret(Secret, Label, Messages), given Transcript-Hash(Messages). */
export function deriveSecret(
  hash: Hash,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hash.outputLength);
}
