/**
 * Record protection (RFC 8446 §5.2–§5.4): wraps content into
 * TLSPlaintext or TLSCiphertext records and opens received ones, with the
 * inner content type, padding, sequence numbers and size limits.
 *
 * @module
 */

import { AlertDescription, TlsError } from "../errors.ts";
import { ContentType } from "../codepoints.ts";
import type { RecordCipher } from "../crypto/aead.ts";
import type { MaybePromise } from "../crypto/provider.ts";
import type { FieldRecorder } from "../wire/reader.ts";
import { HEADER_LENGTH, MAX_PLAINTEXT, type RawRecord } from "./deframer.ts";

/** Which keys protect a direction, for traces and errors. */
export type Epoch = "plaintext" | "early" | "handshake" | "application";

/** A record's content after removing protection. */
export interface OpenedRecord {
  readonly type: number;
  readonly content: Uint8Array;
  /** Whether the record was encrypted. */
  readonly encrypted: boolean;
}

/** One direction's protection state. */
export class Direction {
  cipher?: RecordCipher;
  epoch: Epoch = "plaintext";
  /** The traffic secret in use (for KeyUpdate), if encrypted. */
  secret?: Uint8Array;

  /** Goes back to plaintext (a client's second ClientHello after its 0-RTT data, RFC 8446 §4.1.4). */
  clear(): void {
    this.cipher = undefined;
    this.secret = undefined;
    this.epoch = "plaintext";
  }

  /** Installs new keys; the sequence number starts again at zero (RFC 8446 §5.3). */
  set(cipher: RecordCipher, secret: Uint8Array, epoch: Epoch): void {
    this.cipher = cipher;
    this.secret = secret;
    this.epoch = epoch;
  }
}

function header(type: number, length: number): Uint8Array {
  // RFC 8446 §5.1: legacy_record_version 0x0303 for all records but the first ClientHello (may be 0x0301).
  return new Uint8Array([type, 3, 3, length >> 8, length & 0xff]);
}

/**
 * Seals content of `type` into records of at most 2^14 bytes of content
 * each. With keys, the content type goes inside (TLSInnerPlaintext) and the
 * outer type is application_data. An asynchronous AEAD seals the records
 * concurrently; they come back in order, as consecutive views of one buffer
 * (so that they can be sent with one write and no further copy). With a
 * synchronous AEAD the result is not a Promise; one that seals in place
 * seals into memory from `allocate` (which may hand out used memory: every
 * byte of it is written).
 */
export function sealRecords(
  dir: Direction,
  type: number,
  content: Uint8Array,
  maxFragment = MAX_PLAINTEXT,
  allocate: (length: number) => Uint8Array = (n) => new Uint8Array(n),
): MaybePromise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let at = 0;
  do {
    chunks.push(content.subarray(at, at + maxFragment));
    at += maxFragment;
  } while (at < content.length);
  const cipher = dir.cipher;
  if (!cipher) {
    return chunks.map((c) => {
      const rec = new Uint8Array(HEADER_LENGTH + c.length);
      rec.set(header(type, c.length));
      rec.set(c, HEADER_LENGTH);
      return rec;
    });
  }
  if (cipher.sealsInPlace) return sealInPlace(cipher, type, chunks, allocate);
  // Every TLSInnerPlaintext of this call (the content, then its type) in one buffer of its own:
  // the AEAD reads its input before it returns, but nothing here counts on more than that.
  const inners = new Uint8Array(content.length + chunks.length);
  const headers: Uint8Array[] = [];
  const bodies: MaybePromise<Uint8Array>[] = [];
  let pending = false;
  for (let i = 0, pos = 0; i < chunks.length; i++) {
    const c = chunks[i];
    const inner = inners.subarray(pos, pos + c.length + 1);
    pos += inner.length;
    inner.set(c);
    inner[c.length] = type;
    const aad = header(ContentType.application_data, inner.length + cipher.tagLength);
    headers.push(aad);
    const body = cipher.seal(inner, aad);
    pending ||= body instanceof Promise;
    bodies.push(body);
  }
  return pending
    ? Promise.all(bodies).then((b) => assemble(headers, b))
    : assemble(headers, bodies as Uint8Array[]);
}

/**
 * The records of `chunks`, each assembled where it will be sent (header,
 * content, inner type) and sealed there: one buffer (from `allocate`) and
 * one copy of the content for the whole call.
 */
function sealInPlace(
  cipher: RecordCipher,
  type: number,
  chunks: Uint8Array[],
  allocate: (length: number) => Uint8Array,
): Uint8Array[] {
  const overhead = HEADER_LENGTH + 1 + cipher.tagLength;
  let total = 0;
  for (const c of chunks) total += c.length + overhead;
  const out = allocate(total);
  const records: Uint8Array[] = [];
  for (let i = 0, pos = 0; i < chunks.length; i++) {
    const c = chunks[i];
    const innerLength = c.length + 1;
    const bodyLength = innerLength + cipher.tagLength;
    const aad = out.subarray(pos, pos + HEADER_LENGTH);
    aad[0] = ContentType.application_data;
    aad[1] = aad[2] = 3; // legacy_record_version 0x0303 (RFC 8446 §5.1)
    aad[3] = bodyLength >> 8;
    aad[4] = bodyLength & 0xff;
    const body = out.subarray(pos + HEADER_LENGTH, pos + HEADER_LENGTH + bodyLength);
    body.set(c);
    body[c.length] = type;
    cipher.sealInPlace(aad, body, innerLength);
    records.push(out.subarray(pos, pos + HEADER_LENGTH + bodyLength));
    pos += HEADER_LENGTH + bodyLength;
  }
  return records;
}

/** Header and body of each record, in order, as consecutive views of one buffer. */
function assemble(headers: Uint8Array[], bodies: Uint8Array[]): Uint8Array[] {
  let total = 0;
  for (const b of bodies) total += HEADER_LENGTH + b.length;
  const out = new Uint8Array(total);
  const records: Uint8Array[] = [];
  for (let i = 0, pos = 0; i < bodies.length; i++) {
    const start = pos;
    out.set(headers[i], pos);
    out.set(bodies[i], pos + HEADER_LENGTH);
    pos += HEADER_LENGTH + bodies[i].length;
    records.push(out.subarray(start, pos));
  }
  return records;
}

/**
 * RFC 8446 §4.2.10: opens an encrypted record if it opens under the keys in
 * force; when it does not, returns undefined and leaves the sequence number
 * as it was (for a server skipping early data it declined).
 */
export async function tryOpenRecord(
  dir: Direction,
  rec: RawRecord,
): Promise<OpenedRecord | undefined> {
  const seq = dir.cipher!.seq;
  try {
    return await openRecord(dir, rec);
  } catch (e) {
    if (!(e instanceof TlsError) || e.alert !== AlertDescription.bad_record_mac) throw e;
    dir.cipher!.seq = seq;
    return undefined;
  }
}

/**
 * Opens one received record. Plaintext records pass through (a copy of the
 * fragment, since the deframer reuses its buffer); encrypted ones are
 * decrypted and their inner type and padding removed (RFC 8446 §5.4).
 * With `inPlace`, the caller lets the record's bytes be overwritten: a key
 * that opens in place (synchronously) decrypts the fragment where it lies,
 * and the content is a view of it.
 */
export function openRecord(
  dir: Direction,
  rec: RawRecord,
  inPlace = false,
): MaybePromise<OpenedRecord> {
  const cipher = dir.cipher;
  if (!cipher || rec.type !== ContentType.application_data) {
    if (rec.fragment.length > MAX_PLAINTEXT) {
      throw new TlsError(
        "plaintext_record_overflow",
        `received a plaintext record of ${rec.fragment.length} bytes, more than 2^14`,
      );
    }
    return { type: rec.type, content: rec.fragment.slice(), encrypted: false };
  }
  if (rec.fragment.length < cipher.tagLength + 1) {
    throw new TlsError(
      "record_too_short_for_tag",
      "received an encrypted record too short to hold a tag",
    );
  }
  const failed = () =>
    new TlsError(
      "bad_record_mac",
      `a record failed to decrypt (bad_record_mac) under the ${dir.epoch} keys`,
    );
  let opened: MaybePromise<Uint8Array>;
  const viewed = inPlace && cipher.opensInPlace;
  try {
    opened = viewed
      ? cipher.openInPlace(rec.fragment, rec.header)
      : cipher.open(rec.fragment, rec.header);
  } catch {
    throw failed();
  }
  if (viewed) return ownUnlessData(unpad(opened as Uint8Array));
  return opened instanceof Promise
    ? opened.then(unpad, () => Promise.reject(failed()))
    : unpad(opened);
}

/**
 * A record opened in place: application data stays a view of the received
 * bytes (the caller's to keep), anything else (handshake messages, which may
 * be held across reads; alerts) gets memory of its own.
 */
function ownUnlessData(opened: OpenedRecord): OpenedRecord {
  if (opened.type === ContentType.application_data) return opened;
  return { type: opened.type, content: opened.content.slice(), encrypted: true };
}

/** RFC 8446 §5.4: the TLSInnerPlaintext's content and type, padding removed. */
export function unpad(inner: Uint8Array, recorder?: FieldRecorder): OpenedRecord {
  // RFC 8446 §5.4: the content type is the last non-zero byte; zeros after it are padding.
  let end = inner.length - 1;
  while (end >= 0 && inner[end] === 0) end--;
  if (end < 0) {
    throw new TlsError(
      "record_only_padding",
      "a decrypted record holds only padding, no content type",
    );
  }
  // RFC 8446 §5.4: "The full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets."
  if (inner.length > MAX_PLAINTEXT + 1) {
    throw new TlsError(
      "inner_plaintext_overflow",
      `a decrypted record holds ${inner.length} bytes, more than 2^14 + 1`,
    );
  }
  // For the byte view: the TLSInnerPlaintext's fields (§5.2), once they are checked.
  if (recorder) {
    recorder.field("content", inner.subarray(0, end));
    recorder.field("type", inner.subarray(end, end + 1), inner[end]);
    if (end + 1 < inner.length) recorder.field("padding", inner.subarray(end + 1));
  }
  return { type: inner[end], content: inner.subarray(0, end), encrypted: true };
}
