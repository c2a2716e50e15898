/**
 * The ChangeCipherSpec record's body: in TLS 1.3 only the single byte 0x01
 * that a peer in middlebox compatibility mode sends, to be dropped
 * (RFC 8446 §5, Appendix D.4).
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { type FieldRecorder, Reader } from "../wire/reader.ts";

/**
 * Checks a ChangeCipherSpec record's content: one byte, 0x01. Given a
 * `recorder`, reports that byte (before refusing another value).
 */
export function decodeChangeCipherSpec(content: Uint8Array, recorder?: FieldRecorder): void {
  const r = new Reader(content, "ChangeCipherSpec", recorder);
  if (content.length !== 1 || r.u8("change_cipher_spec") !== 1) {
    throw new TlsError(
      "invalid_change_cipher_spec",
      "received a ChangeCipherSpec record whose body is not the single byte 0x01",
    );
  }
}
