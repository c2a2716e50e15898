/**
 * What the relay's narration needs of one direction when it has no key log:
 * everything but the bodies of application_data records. Without secrets
 * such a record is told as its header and length ("encrypted, N bytes") and
 * nothing is guessed of what it holds (RFC 8446 §5.2: its body is
 * ciphertext), so the relay hands over the 5-byte header and keeps the body
 * to itself: a bulk transfer costs the narration a few bytes a record
 * instead of a copy or a hand-off of every byte.
 *
 * The records are framed here as the narration's own record layer frames
 * them (`readRecordHeader`): the first header it refuses (not TLS, a broken
 * stream) ends the skimming, and everything from there on is handed over
 * as it is, for the narration to say what is wrong with it.
 *
 * @module
 */

import { HEADER_LENGTH, readRecordHeader } from "../lib/record/deframer.ts";
import { ContentType } from "../lib/codepoints.ts";

/**
 * A stretch of one direction, in order: bytes as they passed (a copy, the
 * caller's to keep), or the headers of whole application_data records passed
 * without their bodies (5 bytes each, back to back), or the header of one
 * whose body was cut short by the end of the stream, and how much of that
 * body had passed.
 */
export type Stretch =
  | { bytes: Uint8Array<ArrayBuffer> }
  | { sealed: Uint8Array<ArrayBuffer> }
  | { unfinished: Uint8Array<ArrayBuffer>; seen: number };

/** Skims one direction of a connection (see the module comment). */
export class SealedBodies {
  /** A header cut by the end of a read: its first bytes, kept until the rest comes. */
  readonly #head = new Uint8Array(HEADER_LENGTH);
  #headLength = 0;
  /** Bytes of the current record still to pass; `#skipping` whether they are a skipped body. */
  #left = 0;
  #skipping = false;
  /** The header of the record whose body is being skipped. */
  readonly #header = new Uint8Array(HEADER_LENGTH);
  /** A header was refused: from there on everything is handed over. */
  #whole = false;

  /** The stretches of `chunk`, the next bytes of this direction, for the narration. */
  take(chunk: Uint8Array): Stretch[] {
    const out = new Stretches();
    if (this.#whole) {
      out.bytes(chunk);
      return out.done();
    }
    let at = 0;
    while (at < chunk.length) {
      if (this.#left > 0) {
        const n = Math.min(this.#left, chunk.length - at);
        if (!this.#skipping) out.bytes(chunk.subarray(at, at + n));
        this.#left -= n;
        at += n;
        if (this.#left === 0 && this.#skipping) out.sealed(this.#header, 0);
        continue;
      }
      // A record begins: its header is here whole, or is put together with what the last read left.
      let head = chunk, from = at;
      if (this.#headLength > 0 || chunk.length - at < HEADER_LENGTH) {
        const got = Math.min(HEADER_LENGTH - this.#headLength, chunk.length - at);
        this.#head.set(chunk.subarray(at, at + got), this.#headLength);
        this.#headLength += got;
        at += got;
        if (this.#headLength < HEADER_LENGTH) break;
        this.#headLength = 0;
        head = this.#head;
        from = 0;
      } else at += HEADER_LENGTH;
      let length: number, type: number;
      try {
        ({ type, length } = readRecordHeader(head, from));
      } catch {
        this.#whole = true;
        out.bytes(head.subarray(from, from + HEADER_LENGTH).slice());
        out.bytes(chunk.subarray(at));
        break;
      }
      this.#skipping = type === ContentType.application_data;
      this.#left = length;
      if (!this.#skipping) out.bytes(head.subarray(from, from + HEADER_LENGTH).slice());
      else if (length === 0) out.sealed(head, from);
      else for (let i = 0; i < HEADER_LENGTH; i++) this.#header[i] = head[from + i];
    }
    return out.done();
  }

  /**
   * What is left when the direction ends: the first bytes of a header, or a
   * skipped record cut short (the narration says how much was unfinished).
   */
  end(): Stretch[] {
    const out = new Stretches();
    if (this.#headLength > 0) out.bytes(this.#head.slice(0, this.#headLength));
    else if (this.#skipping && this.#left > 0) {
      const seen = (this.#header[3] << 8 | this.#header[4]) - this.#left;
      out.unfinished(this.#header, seen);
    }
    this.#headLength = this.#left = 0;
    return out.done();
  }
}

/** Stretches being gathered: neighbouring bytes, and neighbouring headers, joined. */
class Stretches {
  readonly #list: Stretch[] = [];
  readonly #bytes: Uint8Array[] = [];
  /** Headers of skimmed records, back to back. */
  #headers = new Uint8Array(0);
  #headersLength = 0;

  bytes(b: Uint8Array): void {
    if (b.length === 0) return;
    this.#closeHeaders();
    this.#bytes.push(b);
  }

  /** The header at `from` in `b`, of a record skimmed whole. */
  sealed(b: Uint8Array, from: number): void {
    this.#closeBytes();
    if (this.#headersLength === this.#headers.length) {
      const grown = new Uint8Array(Math.max(16 * HEADER_LENGTH, this.#headers.length * 2));
      grown.set(this.#headers);
      this.#headers = grown;
    }
    for (let i = 0; i < HEADER_LENGTH; i++) this.#headers[this.#headersLength++] = b[from + i];
  }

  unfinished(header: Uint8Array, seen: number): void {
    this.#closeBytes();
    this.#closeHeaders();
    this.#list.push({ unfinished: header.slice(), seen });
  }

  /** The stretches, in order. */
  done(): Stretch[] {
    this.#closeBytes();
    this.#closeHeaders();
    return this.#list;
  }

  #closeBytes(): void {
    if (this.#bytes.length === 0) return;
    const out = new Uint8Array(this.#bytes.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.#bytes) {
      out.set(p, at);
      at += p.length;
    }
    this.#list.push({ bytes: out });
    this.#bytes.length = 0;
  }

  #closeHeaders(): void {
    if (this.#headersLength === 0) return;
    this.#list.push({ sealed: this.#headers.slice(0, this.#headersLength) });
    this.#headersLength = 0;
  }
}

/** The bytes a stretch holds: what the relay has handed over and not yet seen narrated. */
export function stretchSize(s: Stretch): number {
  return "bytes" in s ? s.bytes.length : "sealed" in s ? s.sealed.length : s.unfinished.length;
}
