/**
 * A bounds-checked reader for the TLS presentation language (RFC 8446 §3),
 * after Go's `cryptobyte.String`: every read checks that the bytes are there,
 * vectors are read through their length prefix, and `end()` refuses trailing
 * bytes. A malformed input is a `decode_error`, never a `RangeError`.
 *
 * @module
 */

import { AlertDescription, TlsError } from "../errors.ts";

/** Reads big-endian integers and length-prefixed vectors from a byte view. */
export class Reader {
  #bytes: Uint8Array;
  #pos = 0;
  /** What is being read, for error messages ("ClientHello", "key_share"). */
  readonly context: string;

  constructor(bytes: Uint8Array, context = "message") {
    this.#bytes = bytes;
    this.context = context;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  /** Offset of the next byte to read. */
  get offset(): number {
    return this.#pos;
  }

  #need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new TlsError(
        AlertDescription.decode_error,
        `${this.context}: ${what} needs ${n} bytes, only ${this.remaining} left`,
      );
    }
  }

  /** One byte. */
  u8(what = "u8"): number {
    this.#need(1, what);
    return this.#bytes[this.#pos++];
  }

  /** A big-endian 16-bit integer. */
  u16(what = "u16"): number {
    this.#need(2, what);
    const b = this.#bytes, p = this.#pos;
    this.#pos += 2;
    return (b[p] << 8) | b[p + 1];
  }

  /** A big-endian 24-bit integer. */
  u24(what = "u24"): number {
    this.#need(3, what);
    const b = this.#bytes, p = this.#pos;
    this.#pos += 3;
    return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  }

  /** `n` bytes, as a view (no copy). */
  bytes(n: number, what = "bytes"): Uint8Array {
    this.#need(n, what);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Everything left, as a view. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** A vector with a 1-byte length prefix, as a view. */
  vec8(what = "vector", min = 0): Uint8Array {
    return this.#vec(this.u8(`${what} length`), what, min);
  }

  /** A vector with a 2-byte length prefix, as a view. */
  vec16(what = "vector", min = 0): Uint8Array {
    return this.#vec(this.u16(`${what} length`), what, min);
  }

  /** A vector with a 3-byte length prefix, as a view. */
  vec24(what = "vector", min = 0): Uint8Array {
    return this.#vec(this.u24(`${what} length`), what, min);
  }

  #vec(n: number, what: string, min: number): Uint8Array {
    if (n < min) {
      throw new TlsError(
        AlertDescription.decode_error,
        `${this.context}: ${what} is ${n} bytes, at least ${min} required`,
      );
    }
    return this.bytes(n, what);
  }

  /** A reader over a 1-byte-length-prefixed vector. */
  sub8(what: string, min = 0): Reader {
    return new Reader(this.vec8(what, min), `${this.context}: ${what}`);
  }

  /** A reader over a 2-byte-length-prefixed vector. */
  sub16(what: string, min = 0): Reader {
    return new Reader(this.vec16(what, min), `${this.context}: ${what}`);
  }

  /** A reader over a 3-byte-length-prefixed vector. */
  sub24(what: string, min = 0): Reader {
    return new Reader(this.vec24(what, min), `${this.context}: ${what}`);
  }

  /** A list of u16 values in a 2-byte-length-prefixed vector (even length, at least `min` items). */
  u16List(what: string, min = 1): number[] {
    const r = this.sub16(what, 2 * min);
    if (r.remaining % 2 !== 0) {
      throw new TlsError(
        AlertDescription.decode_error,
        `${this.context}: ${what} has an odd length`,
      );
    }
    const out: number[] = [];
    while (r.remaining) out.push(r.u16());
    return out;
  }

  /** Refuses trailing bytes: the structure must end exactly here. */
  end(): void {
    if (this.remaining !== 0) {
      throw new TlsError(
        AlertDescription.decode_error,
        `${this.context}: ${this.remaining} unexpected trailing bytes`,
      );
    }
  }
}
