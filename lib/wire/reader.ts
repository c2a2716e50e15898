/**
 * A bounds-checked reader for the TLS presentation language (RFC 8446 §3),
 * after Go's `cryptobyte.String`: every read checks that the bytes are there,
 * vectors are read through their length prefix, and `end()` refuses trailing
 * bytes. A malformed input is a `decode_error`, never a `RangeError`.
 *
 * Every read names its field. Given a `FieldRecorder`, a reader reports each
 * field it reads, so that the byte view (`lib/inspect/`) is made by the very
 * decoders the engine runs; without one, nothing is recorded or allocated.
 *
 * @module
 */

import { TlsError } from "../errors.ts";

/**
 * Receives the fields a `Reader` reads, in order. Bytes are views into the
 * buffer being read, so their `byteOffset` places them: the fields read
 * within a vector's contents (by this reader or by another over the same
 * buffer) are inside it.
 */
export interface FieldRecorder {
  /** A field: an integer (with its `value`) or opaque bytes. */
  field(name: string, bytes: Uint8Array, value?: number): void;
  /** A vector (RFC 8446 §3.4): its length prefix and its contents. */
  vector(name: string, prefix: Uint8Array, contents: Uint8Array): void;
  /** A structure without a length prefix begins at `offset` (a `byteOffset`): `KeyShareEntry`, an extension. */
  open(name: string, offset: number): void;
  /** The structure last opened ends. */
  close(): void;
  /** Decoding of `within` stopped, for `reason`, after the fields recorded so far. */
  malformed(reason: string, within: Uint8Array): void;
}

/** Reads big-endian integers and length-prefixed vectors from a byte view. */
export class Reader {
  #bytes: Uint8Array;
  #pos = 0;
  /** What is being read, for error messages ("ClientHello", "key_share"). */
  readonly context: string;
  /** Where fields are reported, if anywhere. */
  readonly recorder?: FieldRecorder;

  constructor(bytes: Uint8Array, context = "message", recorder?: FieldRecorder) {
    this.#bytes = bytes;
    this.context = context;
    this.recorder = recorder;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  /** Offset of the next byte to read. */
  get offset(): number {
    return this.#pos;
  }

  #need(n: number, what: string, suffix = ""): void {
    if (n > this.remaining) {
      throw new TlsError(
        "message_truncated",
        `${this.context}: ${what}${suffix} needs ${n} bytes, only ${this.remaining} left`,
      );
    }
  }

  /** One byte. */
  u8(what = "u8"): number {
    this.#need(1, what);
    const v = this.#bytes[this.#pos++];
    this.recorder?.field(what, this.#bytes.subarray(this.#pos - 1, this.#pos), v);
    return v;
  }

  /** A big-endian 16-bit integer. */
  u16(what = "u16"): number {
    this.#need(2, what);
    const b = this.#bytes, p = this.#pos;
    this.#pos += 2;
    const v = (b[p] << 8) | b[p + 1];
    this.recorder?.field(what, b.subarray(p, p + 2), v);
    return v;
  }

  /** A big-endian 24-bit integer. */
  u24(what = "u24"): number {
    this.#need(3, what);
    const b = this.#bytes, p = this.#pos;
    this.#pos += 3;
    const v = (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
    this.recorder?.field(what, b.subarray(p, p + 3), v);
    return v;
  }

  /** A big-endian 32-bit integer. */
  u32(what = "u32"): number {
    this.#need(4, what);
    const b = this.#bytes, p = this.#pos;
    this.#pos += 4;
    const v = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
    this.recorder?.field(what, b.subarray(p, p + 4), v);
    return v;
  }

  /** `n` bytes, as a view (no copy). */
  bytes(n: number, what = "bytes"): Uint8Array {
    const out = this.#take(n, what);
    this.recorder?.field(what, out);
    return out;
  }

  #take(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Everything left, as a view. */
  rest(what = "bytes"): Uint8Array {
    return this.bytes(this.remaining, what);
  }

  /** A vector with a 1-byte length prefix, as a view. */
  vec8(what = "vector", min = 0): Uint8Array {
    return this.#taken(this.#vec(1, what, min), what);
  }

  /** A vector with a 2-byte length prefix, as a view. */
  vec16(what = "vector", min = 0): Uint8Array {
    return this.#taken(this.#vec(2, what, min), what);
  }

  /** A vector with a 3-byte length prefix, as a view. */
  vec24(what = "vector", min = 0): Uint8Array {
    return this.#taken(this.#vec(3, what, min), what);
  }

  /** A vector's contents, read whole: recorded as its value. */
  #taken(contents: Uint8Array, what: string): Uint8Array {
    this.recorder?.field(what, contents);
    return contents;
  }

  /** A vector's length prefix and contents, recorded as a vector (its contents read by the caller). */
  #vec(size: 1 | 2 | 3, what: string, min: number): Uint8Array {
    this.#need(size, what, " length");
    const b = this.#bytes, p = this.#pos;
    const n = size === 1 ? b[p] : size === 2 ? (b[p] << 8) | b[p + 1] : (b[p] << 16) |
      (b[p + 1] << 8) | b[p + 2];
    this.#pos += size;
    if (n < min) {
      throw new TlsError(
        "vector_too_short",
        `${this.context}: ${what} is ${n} bytes, at least ${min} required`,
      );
    }
    const contents = this.#take(n, what);
    this.recorder?.vector(what, b.subarray(p, p + size), contents);
    return contents;
  }

  /** A reader over a 1-byte-length-prefixed vector. */
  sub8(what: string, min = 0): Reader {
    return new Reader(this.#vec(1, what, min), `${this.context}: ${what}`, this.recorder);
  }

  /** A reader over a 2-byte-length-prefixed vector. */
  sub16(what: string, min = 0): Reader {
    return new Reader(this.#vec(2, what, min), `${this.context}: ${what}`, this.recorder);
  }

  /** A reader over a 3-byte-length-prefixed vector. */
  sub24(what: string, min = 0): Reader {
    return new Reader(this.#vec(3, what, min), `${this.context}: ${what}`, this.recorder);
  }

  /**
   * A list of u16 values, each an `item`, in a 2-byte-length-prefixed vector
   * (even length, at least `min` items).
   */
  u16List(what: string, min = 1, item = "u16"): number[] {
    const r = this.sub16(what, 2 * min);
    if (r.remaining % 2 !== 0) {
      throw new TlsError(
        "vector_odd_length",
        `${this.context}: ${what} has an odd length`,
      );
    }
    const out: number[] = [];
    while (r.remaining) out.push(r.u16(item));
    return out;
  }

  /** A list of one-byte values, each an `item`, in a 1-byte-length-prefixed vector, as a view. */
  u8List(what: string, min = 1, item = "u8"): Uint8Array {
    const list = this.vec8(what, min);
    if (this.recorder) {
      for (let i = 0; i < list.length; i++) {
        this.recorder.field(item, list.subarray(i, i + 1), list[i]);
      }
    }
    return list;
  }

  /** A structure without a length prefix begins: named for a recorder, nothing otherwise. */
  open(what: string): void {
    this.recorder?.open(what, this.#bytes.byteOffset + this.#pos);
  }

  /** The structure last opened ends. */
  close(): void {
    this.recorder?.close();
  }

  /** Refuses trailing bytes: the structure must end exactly here. */
  end(): void {
    if (this.remaining !== 0) {
      throw new TlsError(
        "trailing_bytes",
        `${this.context}: ${this.remaining} unexpected trailing bytes`,
      );
    }
  }
}
