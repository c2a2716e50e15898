/**
 * Splits the received byte stream into TLS records (RFC 8446 §5.1) and
 * enforces the record size limits (§5.1, §5.2) before any record is
 * buffered in full.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { ContentType } from "../codepoints.ts";
import type { FieldRecorder } from "../wire/reader.ts";

/** RFC 8446 §5.1: the largest TLSPlaintext.fragment. */
export const MAX_PLAINTEXT = 1 << 14;
/** RFC 8446 §5.2: the largest TLSCiphertext.encrypted_record. */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
/** Record header length: type, legacy_record_version, length. */
export const HEADER_LENGTH = 5;

/** The record header (RFC 8446 §5.1, §5.2): type, legacy_record_version, length. */
export interface RecordHeader {
  readonly type: number;
  readonly version: number;
  readonly length: number;
}

/** One record as framed on the wire. `header` and `fragment` are views of received bytes. */
export interface RawRecord {
  readonly type: number;
  readonly version: number;
  readonly header: Uint8Array;
  readonly fragment: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * Splits received bytes into whole records without copying them: a record
 * that lies whole within the bytes of one `push()` is handed out as a view
 * of those bytes. Only a record that spans two pushes is gathered, in memory
 * of its own sized to that record, so an idle connection holds no buffer.
 *
 * The bytes given to `push()` must stay unchanged until the records taken
 * from them are handled and `next()` has returned undefined (or `keep()` has
 * been called): that is when what is left of them is copied.
 */
export class Deframer {
  /** The bytes of the last push(), from #at on not yet handed out (a view of the caller's). */
  #input: Uint8Array = EMPTY;
  #at = 0;
  /** A record spanning pushes, gathered so far (header first), and its size once known. */
  #partial?: Uint8Array;
  #partialLength = 0;

  /** Bytes received but not yet handed out as records. */
  get buffered(): number {
    return this.#partialLength + this.#input.length - this.#at;
  }

  /** Adds received bytes (see the class comment for how long they must stay unchanged). */
  push(bytes: Uint8Array): void {
    if (this.#at < this.#input.length) this.keep();
    this.#input = bytes;
    this.#at = 0;
  }

  /**
   * Copies what is left of the last push into memory of its own, so that the
   * caller may reuse its buffer. `next()` does this itself before returning
   * undefined.
   */
  keep(): void {
    const rest = this.#input.subarray(this.#at);
    this.#input = EMPTY;
    this.#at = 0;
    if (rest.length === 0) return;
    const held = this.#partialLength;
    const need = held + rest.length;
    if (!this.#partial || this.#partial.length < need) {
      // Room for the whole record when its header is here, so it is copied once.
      const head = held > 0 ? this.#partial!.subarray(0, held) : rest;
      const record = head.length >= HEADER_LENGTH
        ? HEADER_LENGTH + readRecordHeader(head, 0).length
        : HEADER_LENGTH;
      const grown = new Uint8Array(Math.max(record, need));
      if (held > 0) grown.set(this.#partial!.subarray(0, held));
      this.#partial = grown;
    }
    this.#append(rest);
  }

  /**
   * The next whole record, or undefined when more bytes are needed. Checks
   * the header as soon as it is complete, so an oversized or garbage record
   * is refused without waiting for its body.
   */
  next(): RawRecord | undefined {
    if (this.#partial) return this.#nextPartial();
    const b = this.#input, s = this.#at;
    if (b.length - s < HEADER_LENGTH) {
      this.keep();
      return undefined;
    }
    const { type, version, length } = readRecordHeader(b, s);
    if (b.length - s < HEADER_LENGTH + length) {
      this.keep();
      return undefined;
    }
    this.#at = s + HEADER_LENGTH + length;
    return {
      type,
      version,
      header: b.subarray(s, s + HEADER_LENGTH),
      fragment: b.subarray(s + HEADER_LENGTH, s + HEADER_LENGTH + length),
    };
  }

  /** Completes the record that spans pushes from the input, when enough has arrived. */
  #nextPartial(): RawRecord | undefined {
    let p = this.#partial!;
    if (this.#partialLength < HEADER_LENGTH) {
      this.#take(HEADER_LENGTH - this.#partialLength);
      if (this.#partialLength < HEADER_LENGTH) return undefined;
      const size = HEADER_LENGTH + readRecordHeader(p, 0).length;
      if (p.length < size) {
        const grown = new Uint8Array(size);
        grown.set(p.subarray(0, this.#partialLength));
        this.#partial = p = grown;
      }
    }
    const { type, version, length } = readRecordHeader(p, 0);
    const end = HEADER_LENGTH + length;
    this.#take(end - this.#partialLength);
    if (this.#partialLength < end) return undefined;
    if (this.#partialLength > end) {
      // keep() gathered more than this record: the rest is input again (our own copy).
      this.keep();
      this.#input = this.#partial!.subarray(end, this.#partialLength);
    }
    this.#partial = undefined;
    this.#partialLength = 0;
    return {
      type,
      version,
      header: p.subarray(0, HEADER_LENGTH),
      fragment: p.subarray(HEADER_LENGTH, HEADER_LENGTH + length),
    };
  }

  /** Moves up to `n` bytes from the input to the partial record. */
  #take(n: number): void {
    const k = Math.max(0, Math.min(n, this.#input.length - this.#at));
    this.#append(this.#input.subarray(this.#at, this.#at + k));
    this.#at += k;
  }

  #append(bytes: Uint8Array): void {
    this.#partial!.set(bytes, this.#partialLength);
    this.#partialLength += bytes.length;
  }
}

/**
 * Reads and checks the record header at `s` (RFC 8446 §5.1), which must
 * hold 5 bytes. Given a `recorder`, reports its three fields before
 * checking them.
 */
export function readRecordHeader(b: Uint8Array, s: number, recorder?: FieldRecorder): RecordHeader {
  const type = b[s];
  const version = (b[s + 1] << 8) | b[s + 2];
  const length = (b[s + 3] << 8) | b[s + 4];
  if (recorder) {
    recorder.field("type", b.subarray(s, s + 1), type);
    recorder.field("legacy_record_version", b.subarray(s + 1, s + 3), version);
    recorder.field("length", b.subarray(s + 3, s + 5), length);
  }
  if (!ContentType.has(type) || type === ContentType.invalid) {
    throw new TlsError(
      "record_unknown_content_type",
      `received a record of unknown content type ${type}` + plainTextHint(b.subarray(s, s + 5)),
    );
  }
  // RFC 8446 §5.1: legacy_record_version is ignored, but it is 0x03xx in every TLS record.
  if (b[s + 1] !== 3) {
    throw new TlsError(
      "record_bad_version",
      `record version 0x${version.toString(16)} is not TLS`,
    );
  }
  if (length > MAX_CIPHERTEXT) {
    throw new TlsError(
      "record_overflow",
      `received a record of ${length} bytes, more than the ${MAX_CIPHERTEXT} allowed`,
    );
  }
  return { type, version, length };
}

/** " (this looks like plain HTTP, not TLS)" when the first bytes are readable text. */
function plainTextHint(head: Uint8Array): string {
  const text = String.fromCharCode(...head);
  if (/^(GET |POST|HEAD|PUT |HTTP\/)/.test(text)) return " (this looks like plain HTTP, not TLS)";
  return /^[\x20-\x7e]{5}$/.test(text) ? " (this looks like plain text, not TLS)" : "";
}
