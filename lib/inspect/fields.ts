/**
 * The shape of a byte-level view: a tree of fields, each with its own bytes
 * (a type code, a length prefix, a value) and what they mean, and a reader
 * that cuts bytes into such fields without ever throwing on bad input: what
 * cannot be read is shown as such, with the bytes that are left.
 *
 * @module
 */

/** One field of a byte view. */
export interface Field {
  /** What the bytes are, e.g. `legacy_record_version`, `cipher_suites`. */
  readonly name: string;
  /** The field's own bytes: a value, or a structure's type code or length prefix. May be empty. */
  readonly bytes: Uint8Array;
  /** What they mean, e.g. `TLS 1.2 (0x0303)`, `x25519`, `GREASE (0x2a2a), ignored`. */
  readonly note?: string;
  /** The fields inside a structure, in order. */
  readonly children?: readonly Field[];
}

/** Input ran out or made no sense; caught by `FieldReader.run` and shown. */
export class Malformed extends Error {}

/** Cuts bytes into fields, in order, collecting them in `fields`. */
export class FieldReader {
  readonly fields: Field[] = [];
  readonly #bytes: Uint8Array;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#at;
  }

  /** The next 16-bit value, without reading it (undefined if fewer than 2 bytes remain). */
  peekU16(): number | undefined {
    return this.remaining >= 2
      ? (this.#bytes[this.#at] << 8) | this.#bytes[this.#at + 1]
      : undefined;
  }

  /** Adds a field that is already made. */
  push(field: Field): void {
    this.fields.push(field);
  }

  /** An unsigned integer of `size` bytes, with `note` saying what it means. */
  uint(size: 1 | 2 | 3 | 4, name: string, note?: (v: number) => string): number {
    const b = this.#take(size, name);
    const v = b.reduce((acc, x) => acc * 256 + x, 0);
    this.fields.push({ name, bytes: b, note: note?.(v) });
    return v;
  }

  /** `n` bytes as one field. */
  bytes(n: number, name: string, note?: string | ((b: Uint8Array) => string)): Uint8Array {
    const b = this.#take(n, name);
    this.fields.push({ name, bytes: b, note: typeof note === "function" ? note(b) : note });
    return b;
  }

  /**
   * A vector (RFC 8446 §3.4): a length of `lengthSize` bytes, then contents
   * that `body` reads (returning an optional summary). One field, whose
   * bytes are the length and whose children are the contents.
   */
  vector(
    lengthSize: 1 | 2 | 3,
    name: string,
    body: (r: FieldReader) => string | void,
  ): Uint8Array {
    const len = this.#take(lengthSize, `${name} length`);
    const n = len.reduce((acc, x) => acc * 256 + x, 0);
    const contents = this.#take(n, name);
    const inner = new FieldReader(contents);
    const summary = inner.run(body);
    const note = `${n} byte${n === 1 ? "" : "s"}${summary ? `, ${summary}` : ""}`;
    this.fields.push({ name, bytes: len, note, children: inner.fields });
    return contents;
  }

  /** A structure without a length prefix: a heading over what `body` reads. */
  group(name: string, body: (r: FieldReader) => string | void, bytes = 0): void {
    const own = this.#take(bytes, name);
    const rest = this.#bytes.subarray(this.#at);
    const inner = new FieldReader(rest);
    const note = inner.run(body, false);
    this.#at += rest.length - inner.remaining;
    this.fields.push({ name, bytes: own, note: note || undefined, children: inner.fields });
  }

  /** Moves past `n` bytes that are shown by fields made elsewhere (see `push`). */
  skip(n: number): void {
    this.#take(n, "skipped bytes");
  }

  /** Everything left, as one field. */
  rest(name: string, note?: string): void {
    if (this.remaining > 0) this.bytes(this.remaining, name, note);
  }

  /**
   * Runs `body` over this reader; if it stops on bad input, or (with
   * `whole`) leaves bytes unread, what is left is shown as such. Returns
   * `body`'s summary.
   */
  run(body: (r: FieldReader) => string | void, whole = true): string | void {
    try {
      const summary = body(this);
      if (whole) this.rest("unexpected trailing bytes");
      return summary;
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      const bytes = this.#bytes.subarray(this.#at);
      this.#at = this.#bytes.length;
      this.fields.push({ name: "malformed", bytes, note: e.message });
    }
  }

  #take(n: number, what: string): Uint8Array {
    if (n > this.remaining) {
      throw new Malformed(`${what} needs ${n} bytes, only ${this.remaining} left`);
    }
    const b = this.#bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return b;
  }
}
