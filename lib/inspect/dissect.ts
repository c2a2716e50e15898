/**
 * The byte view of records (RFC 8446 §5) and handshake messages (§4), field
 * by field, like "The Illustrated TLS 1.3 Connection": each field's name,
 * its bytes, and what they mean. Encrypted records show their header,
 * ciphertext and tag, then the TLSInnerPlaintext that opened. Handshake
 * messages are put back together by the engine's `HandshakeJoiner` and read
 * by the engine's own decoders, which record every field (`FieldTree`);
 * this file and `field_notes.ts` only say what the fields mean.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { ContentType, versionName } from "../codepoints.ts";
import { TAG_LENGTH } from "../crypto/aead.ts";
import { nameOfMessage, recordHandshake } from "../handshake/messages.ts";
import { decodeAlert } from "../record/alert.ts";
import { decodeChangeCipherSpec } from "../record/change_cipher_spec.ts";
import { readRecordHeader } from "../record/deframer.ts";
import { HandshakeJoiner } from "../record/handshake_joiner.ts";
import { type Epoch, unpad } from "../record/record_layer.ts";
import { VERSIONS } from "./code_point.ts";
import { byteCount, describeFields, named } from "./field_notes.ts";
import { type Field, FieldTree } from "./fields.ts";

/** A record as the trace reports it (see the `record` TraceEvent). */
export interface TracedRecord {
  readonly epoch: Epoch;
  /** The whole record as it crossed the wire. */
  readonly bytes: Uint8Array;
  /** The (inner) content type. */
  readonly contentType: number;
  /** The content, opened. */
  readonly content: Uint8Array;
}

const EMPTY = new Uint8Array(0);

const recordVersion = (v: number) =>
  `${named(VERSIONS)(v)}${v === 0x0301 ? " (allowed in a first ClientHello)" : ""}`;

/** A field of the record layer. */
const field = (name: string, bytes: Uint8Array, note?: string, children?: Field[]): Field => ({
  name,
  bytes,
  note,
  children,
});

/** Notes on a record header's values. */
type Note = (value: number) => string;

/**
 * The record header's fields (RFC 8446 §5.1) as the deframer reads them,
 * the type named `typeName`, with notes. (It reports them before checking
 * them: a header the engine would refuse is shown as it is.)
 */
function header(b: Uint8Array, typeName: string, notes: [Note, Note, Note]): Field[] {
  const tree = new FieldTree();
  try {
    readRecordHeader(b, 0, tree);
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
  }
  return tree.fields.map(({ name, bytes, value }, i) =>
    field(i === 0 ? typeName : name, bytes, notes[i](value!))
  );
}

/** The fields of a record that was not opened: its header and its ciphertext. */
export function dissectSealed(b: Uint8Array): Field[] {
  const fields = header(b, "opaque_type", [ContentType.name, versionName, (n) => `${n} bytes`]);
  const note = "AEAD-encrypted TLSInnerPlaintext, not opened";
  return b.length > 5 ? [...fields, field("encrypted_record", b.subarray(5), note)] : fields;
}

/**
 * Dissects records of one direction, in order: handshake messages that
 * span records are held until they are whole.
 */
export class RecordDissector {
  readonly #joiner = new HandshakeJoiner(0xffffff);

  /** The fields of one record. */
  dissect(record: TracedRecord): Field[] {
    const { bytes: b, content, contentType, epoch } = record;
    if (epoch === "plaintext") {
      return [
        ...header(b, "type", [ContentType.name, recordVersion, byteCount]),
        ...this.#content(contentType, content),
      ];
    }
    const opaque = (t: number) =>
      `${ContentType.name(t)}: always, for encrypted records; the real type is inside`;
    const sealed = b.length - 5 - TAG_LENGTH;
    return [
      ...header(b, "opaque_type", [opaque, recordVersion, byteCount]),
      field(
        "encrypted_record",
        b.subarray(5, 5 + sealed),
        `AEAD-encrypted TLSInnerPlaintext under ${epoch} keys`,
      ),
      field("authentication tag", b.subarray(5 + sealed), "AES-GCM tag over header and ciphertext"),
      field("TLSInnerPlaintext, decrypted", EMPTY, undefined, this.#inner(record, sealed)),
    ];
  }

  /**
   * The TLSInnerPlaintext of an opened record (RFC 8446 §5.2), as the record
   * layer decodes it: `sealed` bytes, of which the trace gives the content
   * and its type; the rest is padding.
   */
  #inner({ content, contentType }: TracedRecord, sealed: number): Field[] {
    const inner = new Uint8Array(Math.max(sealed, content.length + 1));
    inner.set(content);
    inner[content.length] = contentType;
    const tree = new FieldTree();
    unpad(inner, tree);
    const real = `${ContentType.name(contentType)}: the real content type`;
    return tree.fields.map(({ name, bytes }) =>
      name === "content"
        ? field(name, EMPTY, byteCount(bytes.length), this.#content(contentType, bytes))
        : name === "type"
        ? field(name, bytes, real)
        : field(name, bytes, "zeros")
    );
  }

  #content(type: number, content: Uint8Array): Field[] {
    switch (type) {
      case ContentType.change_cipher_spec:
        return read(content, "ChangeCipherSpec", (tree) => decodeChangeCipherSpec(content, tree));
      case ContentType.alert:
        return read(content, "Alert", (tree) => decodeAlert(content, tree));
      case ContentType.handshake:
        return this.#handshake(content);
      case ContentType.application_data:
        return [field("application data", content, byteCount(content.length))];
      default:
        return content.length ? [field("content", content, `of unknown type ${type}`)] : [];
    }
  }

  /** Whole messages in `fragment` (with what earlier records held), and the start of an unfinished one. */
  #handshake(fragment: Uint8Array): Field[] {
    if (fragment.length === 0) return [];
    let earlier = this.#joiner.buffered;
    this.#joiner.push(fragment);
    const out: Field[] = [];
    for (let m = this.#joiner.next(); m; m = this.#joiner.next(), earlier = 0) {
      const message = dissectHandshake(m.raw);
      const note = `reassembled: its first ${byteCount(earlier)} came in earlier records`;
      out.push(earlier ? { ...message, note } : message);
    }
    const pending = Math.min(this.#joiner.buffered, fragment.length);
    if (pending > 0) {
      const note = "part of a message that continues in the next record";
      out.push(field("handshake fragment", fragment.subarray(fragment.length - pending), note));
    }
    return out;
  }
}

/** The fields `decode` reads from `bytes` (a message called `what`), described; a refusal shown as `malformed`. */
function read(bytes: Uint8Array, what: string, decode: (tree: FieldTree) => unknown): Field[] {
  const tree = new FieldTree();
  try {
    decode(tree);
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    tree.malformed(e.message, bytes);
  }
  return describeFields(tree.fields, what);
}

/** The fields of one whole handshake message (type, length, body), as the engine's decoders read it. */
export function dissectHandshake(message: Uint8Array): Field {
  const name = nameOfMessage(message);
  let known = true;
  const fields = read(message, name, (tree) => (known = recordHandshake(message, tree)));
  const body = message.subarray(4);
  if (!known && body.length) fields.push({ name: "body", bytes: body, note: "not dissected here" });
  return field(`handshake message ${name}`, EMPTY, undefined, fields);
}
