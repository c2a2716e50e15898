/**
 * Splits the received byte stream into TLS records (RFC 8446 §5.1) and
 * enforces the record size limits (§5.1, §5.2) before any record is
 * buffered in full.
 *
 * @module
 */

import { AlertDescription, TlsError } from "../errors.ts";
import { ContentType } from "../codepoints.ts";

/** RFC 8446 §5.1: the largest TLSPlaintext.fragment. */
export const MAX_PLAINTEXT = 1 << 14;
/** RFC 8446 §5.2: the largest TLSCiphertext.encrypted_record. */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
/** Record header length: type, legacy_record_version, length. */
export const HEADER_LENGTH = 5;

/** One record as framed on the wire. `header` and `fragment` are views into the deframer's buffer. */
export interface RawRecord {
  readonly type: number;
  readonly version: number;
  readonly header: Uint8Array;
  readonly fragment: Uint8Array;
}

/**
 * Accumulates received bytes and hands out whole records. Records returned
 * by `next()` are views that stay valid until the next `push()`.
 */
export class Deframer {
  #buf = new Uint8Array(MAX_CIPHERTEXT + HEADER_LENGTH);
  #start = 0;
  #end = 0;

  /** Bytes received but not yet handed out as records. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Appends received bytes. */
  push(bytes: Uint8Array): void {
    if (this.#end + bytes.length > this.#buf.length) {
      const live = this.#end - this.#start;
      const size = Math.max(this.#buf.length, live + bytes.length);
      const next = size > this.#buf.length ? new Uint8Array(size) : this.#buf;
      next.copyWithin(0, this.#start, this.#end);
      if (next !== this.#buf) next.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = next;
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /**
   * The next whole record, or undefined when more bytes are needed. Checks
   * the header as soon as it is complete, so an oversized or garbage record
   * is refused without waiting for its body.
   */
  next(): RawRecord | undefined {
    if (this.#end - this.#start < HEADER_LENGTH) return undefined;
    const b = this.#buf, s = this.#start;
    const type = b[s];
    const version = (b[s + 1] << 8) | b[s + 2];
    const length = (b[s + 3] << 8) | b[s + 4];
    if (!ContentType.has(type) || type === ContentType.invalid) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        `received a record of unknown content type ${type}` +
          (type === 0x47 || type === 0x50 ? " (this looks like plain HTTP, not TLS)" : ""),
      );
    }
    // RFC 8446 §5.1: legacy_record_version is ignored, but it is 0x03xx in every TLS record.
    if (b[s + 1] !== 3) {
      throw new TlsError(
        AlertDescription.decode_error,
        `record version 0x${version.toString(16)} is not TLS`,
      );
    }
    if (length > MAX_CIPHERTEXT) {
      throw new TlsError(
        AlertDescription.record_overflow,
        `received a record of ${length} bytes, more than the ${MAX_CIPHERTEXT} allowed`,
      );
    }
    if (this.#end - s < HEADER_LENGTH + length) return undefined;
    this.#start = s + HEADER_LENGTH + length;
    return {
      type,
      version,
      header: b.subarray(s, s + HEADER_LENGTH),
      fragment: b.subarray(s + HEADER_LENGTH, s + HEADER_LENGTH + length),
    };
  }
}
