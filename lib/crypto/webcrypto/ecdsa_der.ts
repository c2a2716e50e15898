/**
 * ECDSA signatures travel DER-encoded in TLS and X.509 (Ecdsa-Sig-Value,
 * RFC 3279 §2.2.3) while WebCrypto speaks fixed-width r‖s: both directions.
 *
 * @module
 */

import { DerError, derItem, DerReader, derUnsignedInteger, Tag } from "../../wire/der.ts";

/** ECDSA-Sig-Value (DER SEQUENCE of r, s) → WebCrypto's fixed-width r‖s. */
export function ecdsaDerToRaw(der: Uint8Array, width: number): Uint8Array {
  const outer = new DerReader(der);
  const seq = outer.sequence();
  outer.end();
  const r = seq.unsignedInteger(), s = seq.unsignedInteger();
  seq.end();
  if (r.length > width || s.length > width) throw new DerError("ECDSA value too long for curve");
  const raw = new Uint8Array(2 * width);
  raw.set(r, width - r.length);
  raw.set(s, 2 * width - s.length);
  return raw;
}

/** WebCrypto's r‖s → DER ECDSA-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const w = raw.length / 2;
  const r = derUnsignedInteger(raw.subarray(0, w));
  const s = derUnsignedInteger(raw.subarray(w));
  const body = new Uint8Array(r.length + s.length);
  body.set(r);
  body.set(s, r.length);
  return derItem(Tag.SEQUENCE, body);
}
