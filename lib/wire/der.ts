/**
 * A strict reader for the DER structures this engine reads without a
 * certificate library: X.509 certificates and their extensions (RFC 5280
 * §4), SubjectPublicKeyInfo and PKCS#8 headers (RFC 5208) and ECDSA
 * signature values (RFC 8446 §4.2.3, RFC 3279 §2.2.3). Definite, minimal
 * lengths and single-byte tags only (X.690 §10.1).
 *
 * @module
 */

/** A malformed DER encoding. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

/** DER tags used here. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The tag of a context-specific `[n]` item: primitive (IMPLICIT) or constructed. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One DER item: its tag, its contents and the whole encoding. */
export interface DerItem {
  readonly tag: number;
  readonly content: Uint8Array;
  readonly element: Uint8Array;
}

/** Reads DER tag-length-value items in order. */
export class DerReader {
  #b: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#b = bytes;
  }

  /** Whether all bytes have been read. */
  get done(): boolean {
    return this.#pos >= this.#b.length;
  }

  /** The tag of the next item, without consuming it (-1 at the end). */
  peekTag(): number {
    return this.done ? -1 : this.#b[this.#pos];
  }

  /** Reads one item with the given tag and returns its contents (a view). */
  read(tag: number): Uint8Array {
    return this.#item(tag).content;
  }

  /** Reads one item with the given tag and returns all of it, tag and length included (a view). */
  readElement(tag: number): Uint8Array {
    return this.#item(tag).element;
  }

  /** Reads the next item, whatever its tag. */
  readAny(): DerItem {
    return this.#item(-1);
  }

  /** Reads the next item if it has the given tag, and returns its contents. */
  optional(tag: number): Uint8Array | undefined {
    return this.peekTag() === tag ? this.read(tag) : undefined;
  }

  /** Reads a BOOLEAN (X.690 §11.1: FALSE is 0x00, TRUE is 0xFF). */
  boolean(): boolean {
    const v = this.read(Tag.BOOLEAN);
    if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw new DerError("bad BOOLEAN");
    return v[0] === 0xff;
  }

  #item(tag: number): DerItem {
    const b = this.#b;
    const start = this.#pos;
    if (this.#pos + 2 > b.length) throw new DerError("truncated DER item");
    const got = b[this.#pos];
    if ((got & 0x1f) === 0x1f) throw new DerError("multi-byte DER tags are not supported");
    if (tag >= 0 && got !== tag) {
      throw new DerError(`expected DER tag 0x${tag.toString(16)}, found 0x${got.toString(16)}`);
    }
    let len = b[this.#pos + 1];
    let at = this.#pos + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || at + n > b.length) throw new DerError("bad DER length");
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | b[at + i];
      if (len < 0x80 || (n > 1 && b[at] === 0)) throw new DerError("non-minimal DER length");
      at += n;
    }
    if (at + len > b.length) throw new DerError("DER item runs past its container");
    this.#pos = at + len;
    return { tag: got, content: b.subarray(at, at + len), element: b.subarray(start, at + len) };
  }

  /** Reads a SEQUENCE and returns a reader over its contents. */
  sequence(): DerReader {
    return new DerReader(this.read(Tag.SEQUENCE));
  }

  /** Reads an OBJECT IDENTIFIER as dotted text. */
  oid(): string {
    return oidToString(this.read(Tag.OID));
  }

  /** Reads a non-negative INTEGER and returns its big-endian magnitude without sign padding. */
  unsignedInteger(): Uint8Array {
    const v = this.read(Tag.INTEGER);
    if (v.length === 0) throw new DerError("empty INTEGER");
    if (v[0] & 0x80) throw new DerError("negative INTEGER");
    if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) throw new DerError("non-minimal INTEGER");
    return v[0] === 0 && v.length > 1 ? v.subarray(1) : v;
  }

  /** Fails if anything is left. */
  end(): void {
    if (!this.done) throw new DerError("trailing bytes after DER structure");
  }
}

/** Decodes the contents of an OBJECT IDENTIFIER to dotted text. */
function oidToString(v: Uint8Array): string {
  if (v.length === 0) throw new DerError("empty OID");
  const parts: number[] = [];
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    if (n === 0 && v[i] === 0x80) throw new DerError("non-minimal OID arc");
    n = n * 128 + (v[i] & 0x7f);
    if (!(v[i] & 0x80)) {
      parts.push(n);
      n = 0;
    } else if (i === v.length - 1) throw new DerError("truncated OID");
  }
  const first = parts[0] < 80 ? Math.floor(parts[0] / 40) : 2;
  return [first, parts[0] - first * 40, ...parts.slice(1)].join(".");
}

/** Encodes a DER length prefix plus contents under `tag`. */
export function derItem(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const head = n < 0x80
    ? [tag, n]
    : n < 0x100
    ? [tag, 0x81, n]
    : n < 0x10000
    ? [tag, 0x82, n >> 8, n & 0xff]
    : [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(content, head.length);
  return out;
}

/** Encodes a big-endian unsigned magnitude as a minimal DER INTEGER. */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  if (m[0] & 0x80) {
    const padded = new Uint8Array(m.length + 1);
    padded.set(m, 1);
    return derItem(Tag.INTEGER, padded);
  }
  return derItem(Tag.INTEGER, m);
}
