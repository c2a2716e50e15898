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
  #head = new Uint8Array(HEADER_LENGTH);
  #headLength = 0;
  /** Bytes of the current record still to pass; `#skipping` whether they are a skipped body. */
  #left = 0;
  #skipping = false;
  /** The header of the record whose body is being skipped. */
  #header = new Uint8Array(HEADER_LENGTH);
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
        if (this.#left === 0 && this.#skipping) out.sealed(this.#header);
        continue;
      }
      // A record begins: its header, whole, either here or with the bytes kept from the last read.
      const want = HEADER_LENGTH - this.#headLength;
      const got = Math.min(want, chunk.length - at);
      this.#head.set(chunk.subarray(at, at + got), this.#headLength);
      this.#headLength += got;
      at += got;
      if (this.#headLength < HEADER_LENGTH) break;
      this.#headLength = 0;
      let length: number, type: number;
      try {
        ({ type, length } = readRecordHeader(this.#head, 0));
      } catch {
        this.#whole = true;
        out.bytes(this.#head.slice());
        out.bytes(chunk.subarray(at));
        break;
      }
      this.#skipping = type === ContentType.application_data;
      this.#left = length;
      if (this.#skipping) this.#header.set(this.#head);
      else out.bytes(this.#head.slice());
      if (length === 0 && this.#skipping) out.sealed(this.#header);
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
  #bytes: Uint8Array[] = [];
  #headers: Uint8Array[] = [];

  bytes(b: Uint8Array): void {
    if (b.length === 0) return;
    this.#close("sealed");
    this.#bytes.push(b);
  }

  sealed(header: Uint8Array): void {
    this.#close("bytes");
    this.#headers.push(header.slice());
  }

  unfinished(header: Uint8Array, seen: number): void {
    this.#close("bytes");
    this.#close("sealed");
    this.#list.push({ unfinished: header.slice(), seen });
  }

  /** The stretches, in order. */
  done(): Stretch[] {
    this.#close("bytes");
    this.#close("sealed");
    return this.#list;
  }

  /** Ends the run of this kind, if any. */
  #close(kind: "bytes" | "sealed"): void {
    const run = kind === "bytes" ? this.#bytes : this.#headers;
    if (run.length === 0) return;
    const joined = join(run);
    this.#list.push(kind === "bytes" ? { bytes: joined } : { sealed: joined });
    run.length = 0;
  }
}

function join(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The bytes a stretch holds: what the relay has handed over and not yet seen narrated. */
export function stretchSize(s: Stretch): number {
  return "bytes" in s ? s.bytes.length : "sealed" in s ? s.sealed.length : s.unfinished.length;
}
