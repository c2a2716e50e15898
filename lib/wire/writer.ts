/**
 * A growable byte writer with length-prefixed scopes, after Go's
 * `cryptobyte.Builder`: `w.u16Prefixed(() => { ... })` writes the body and
 * then fills in its length, refusing bodies too long for the prefix.
 *
 * @module
 */

/** Appends big-endian integers, bytes and length-prefixed vectors. */
export class Writer {
  #buf: Uint8Array;
  #len = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #reserve(n: number): number {
    const at = this.#len;
    const need = at + n;
    if (need > this.#buf.length) {
      const next = new Uint8Array(Math.max(need, this.#buf.length * 2));
      next.set(this.#buf.subarray(0, at));
      this.#buf = next;
    }
    this.#len = need;
    return at;
  }

  /** Appends one byte. */
  u8(v: number): this {
    const at = this.#reserve(1); // before reading #buf: reserving may replace it
    this.#buf[at] = v;
    return this;
  }

  /** Appends a big-endian 16-bit integer. */
  u16(v: number): this {
    const at = this.#reserve(2);
    this.#buf[at] = v >> 8;
    this.#buf[at + 1] = v;
    return this;
  }

  /** Appends a big-endian 24-bit integer. */
  u24(v: number): this {
    const at = this.#reserve(3);
    this.#buf[at] = v >> 16;
    this.#buf[at + 1] = v >> 8;
    this.#buf[at + 2] = v;
    return this;
  }

  /** Appends bytes. */
  bytes(b: Uint8Array): this {
    const at = this.#reserve(b.length);
    this.#buf.set(b, at);
    return this;
  }

  /** Appends a vector with a 1-byte length prefix. */
  vec8(b: Uint8Array): this {
    return this.u8Prefixed(() => this.bytes(b));
  }

  /** Appends a vector with a 2-byte length prefix. */
  vec16(b: Uint8Array): this {
    return this.u16Prefixed(() => this.bytes(b));
  }

  /** Appends a vector with a 3-byte length prefix. */
  vec24(b: Uint8Array): this {
    return this.u24Prefixed(() => this.bytes(b));
  }

  /** Writes what `body` writes, preceded by its 1-byte length. */
  u8Prefixed(body: () => void): this {
    return this.#prefixed(1, body);
  }

  /** Writes what `body` writes, preceded by its 2-byte length. */
  u16Prefixed(body: () => void): this {
    return this.#prefixed(2, body);
  }

  /** Writes what `body` writes, preceded by its 3-byte length. */
  u24Prefixed(body: () => void): this {
    return this.#prefixed(3, body);
  }

  #prefixed(width: 1 | 2 | 3, body: () => void): this {
    const at = this.#reserve(width);
    body();
    const n = this.#len - at - width;
    if (n >= 1 << (8 * width)) {
      throw new RangeError(`vector of ${n} bytes does not fit a ${width}-byte length`);
    }
    for (let i = 0; i < width; i++) this.#buf[at + i] = n >> (8 * (width - 1 - i));
    return this;
  }

  /** The bytes written, as a fresh copy. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Concatenates byte arrays into one new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte-wise equality in time independent of where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
