/**
 * The shape of a byte-level view: a tree of fields, each with its own bytes
 * (a type code, a length prefix, a value) and what they mean; and
 * `FieldTree`, which builds the tree from what the engine's decoders read
 * (a `FieldRecorder`, `lib/wire/reader.ts`), input they refuse included:
 * what could not be read is shown as such, with the bytes that are left.
 *
 * @module
 */

import type { FieldRecorder } from "../wire/reader.ts";

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

/** A field as a decoder read it, before it is described. */
export interface ReadField {
  readonly name: string;
  /** A value's bytes or a vector's length prefix; empty for a structure. */
  readonly bytes: Uint8Array;
  /** An integer's value. */
  readonly value?: number;
  /** A vector's contents. */
  readonly contents?: Uint8Array;
  /** What was read inside a vector or structure. */
  readonly children?: ReadField[];
  /** Why decoding stopped (a `malformed` field), or what the bytes are (`not decoded`). */
  readonly note?: string;
}

interface Open {
  readonly node: ReadField & { children: ReadField[] };
  /** Where it starts, as a `byteOffset`. */
  readonly start: number;
  /** A vector's end, as a `byteOffset`; undefined for a structure. */
  readonly end?: number;
}

/**
 * Builds the tree of what the decoders read: a field belongs to the innermost
 * vector whose contents hold it, or to the structure opened around it.
 */
export class FieldTree implements FieldRecorder {
  /** The fields read at the top level. */
  readonly fields: ReadField[] = [];
  readonly #open: Open[] = [];
  /** Where the last field read ends, as a `byteOffset`. */
  #at = 0;
  /** The vector contents just taken whole, if that was the last read. */
  #taken?: Uint8Array;

  /** The list a field at `at` goes into, once the vectors that end before it are closed. */
  #list(at: number): ReadField[] {
    let top = this.#open.at(-1);
    while (top?.end !== undefined && top.end <= at) {
      this.#open.pop();
      top = this.#open.at(-1);
    }
    return top?.node.children ?? this.fields;
  }

  field(name: string, bytes: Uint8Array, value?: number): void {
    this.#at = bytes.byteOffset + bytes.length;
    // A vector's contents taken whole: they are shown as the vector's value.
    this.#taken = bytes === this.#open.at(-1)?.node.contents ? bytes : undefined;
    if (this.#taken) return;
    this.#list(bytes.byteOffset).push({ name, bytes, value });
  }

  vector(name: string, prefix: Uint8Array, contents: Uint8Array): void {
    const node = { name, bytes: prefix, contents, children: [] };
    this.#list(prefix.byteOffset).push(node);
    const end = contents.byteOffset + contents.length;
    this.#open.push({ node, start: prefix.byteOffset, end });
    this.#at = contents.byteOffset;
    this.#taken = undefined;
  }

  open(name: string, offset: number): void {
    const node = { name, bytes: new Uint8Array(0), children: [] };
    this.#list(offset).push(node);
    this.#open.push({ node, start: offset });
  }

  close(): void {
    while (this.#open.pop()?.end !== undefined);
  }

  /**
   * The rest of the innermost vector is shown as `malformed`, with the
   * reason; what is left of the vectors around it, up to the end of
   * `within`, as `not decoded`.
   */
  malformed(reason: string, within: Uint8Array): void {
    const from = within.byteOffset, to = from + within.length;
    // Contents just taken whole and now decoded on their own stop at their start.
    const start = this.#taken === within ? from : Math.min(Math.max(this.#at, from), to);
    const list = this.#list(start);
    let cut = Math.min(this.#open.findLast((o) => o.end !== undefined)?.end ?? to, to);
    const bytes = (a: number, b: number) => new Uint8Array(within.buffer, a, b - a);
    list.push({ name: "malformed", bytes: bytes(start, cut), note: reason });
    const notDecoded = (a: number, b: number) => ({
      name: "not decoded",
      bytes: bytes(a, b),
      note: "after the malformed field above",
    });
    for (let top = this.#open.at(-1); top; top = this.#open.at(-1)) {
      if (top.end === undefined ? top.start < from : top.end > to) break;
      this.#open.pop();
      if (top.end !== undefined && top.end > cut) {
        top.node.children.push(notDecoded(cut, top.end));
        cut = top.end;
      }
    }
    if (to > cut) (this.#open.at(-1)?.node.children ?? this.fields).push(notDecoded(cut, to));
    this.#at = to;
  }
}
