/**
 * The record layer's own wire structures, each decoded in one place for
 * the engine and the byte view: the record header (RFC 8446 §5.1),
 * TLSInnerPlaintext (§5.2), Alert (§6) and ChangeCipherSpec (§5). Given a
 * FieldRecorder, each decoder reports the fields it reads; the view shows
 * the engine's own refusal of a malformed body, with its bytes.
 */

import assert from "node:assert/strict";
import { ContentType } from "../lib/codepoints.ts";
import { TlsError, type TlsErrorCode } from "../lib/errors.ts";
import { RecordDissector } from "../lib/inspect/dissect.ts";
import { type Field, FieldTree } from "../lib/inspect/fields.ts";
import { decodeAlert } from "../lib/record/alert.ts";
import { decodeChangeCipherSpec } from "../lib/record/change_cipher_spec.ts";
import { readRecordHeader } from "../lib/record/deframer.ts";
import { unpad } from "../lib/record/record_layer.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

/** The fields a decoder recorded: name, bytes as hex, value. */
const recorded = (tree: FieldTree) => tree.fields.map((f) => [f.name, f.bytes.toHex(), f.value]);

function refused(f: () => unknown, code: TlsErrorCode): void {
  assert.throws(f, (e) => e instanceof TlsError && e.code === code);
}

Deno.test("record codec: the header's three fields are recorded where they lie, then checked", () => {
  const b = bytes(0xff, 0x16, 0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb);
  const tree = new FieldTree();
  assert.deepEqual(readRecordHeader(b, 1, tree), { type: 22, version: 0x0303, length: 2 });
  assert.deepEqual(recorded(tree), [
    ["type", "16", 22],
    ["legacy_record_version", "0303", 0x0303],
    ["length", "0002", 2],
  ]);
  assert.equal(tree.fields[0].bytes.byteOffset, 1);
  const garbage = new FieldTree();
  refused(
    () => readRecordHeader(bytes(0x47, 0x45, 0x54, 0x20, 0x2f), 0, garbage),
    "record_unknown_content_type",
  );
  assert.equal(garbage.fields.length, 3, "recorded before the check");
  refused(() => readRecordHeader(bytes(22, 2, 0, 0, 1), 0), "record_bad_version");
  refused(() => readRecordHeader(bytes(23, 3, 3, 0x41, 0x01), 0), "record_overflow");
});

Deno.test("record codec: TLSInnerPlaintext is content, the last non-zero byte as type, then zeros", () => {
  const tree = new FieldTree();
  const opened = unpad(bytes(0x68, 0x69, 0x00, 0x17, 0x00, 0x00), tree);
  assert.equal(opened.type, ContentType.application_data);
  assert.deepEqual(opened.content, bytes(0x68, 0x69, 0x00));
  assert.deepEqual(recorded(tree), [
    ["content", "686900", undefined],
    ["type", "17", 23],
    ["padding", "0000", undefined],
  ]);
  const unpadded = new FieldTree();
  unpad(bytes(0x01, 0x16), unpadded);
  assert.deepEqual(unpadded.fields.map((f) => f.name), ["content", "type"]);
  refused(() => unpad(bytes(0, 0, 0)), "record_only_padding");
  refused(() => unpad(new Uint8Array((1 << 14) + 2).fill(1)), "inner_plaintext_overflow");
});

Deno.test("record codec: an alert is two bytes; a ChangeCipherSpec the single byte 0x01", () => {
  const tree = new FieldTree();
  assert.deepEqual(decodeAlert(bytes(2, 40), tree), { level: 2, description: 40 });
  assert.deepEqual(recorded(tree), [["level", "02", 2], ["description", "28", 40]]);
  refused(() => decodeAlert(bytes()), "empty_alert_record");
  refused(() => decodeAlert(bytes(2)), "alert_record_wrong_length");
  refused(() => decodeAlert(bytes(2, 40, 0)), "alert_record_wrong_length");
  assert.deepEqual(
    decodeAlert(bytes(9, 0)),
    { level: 9, description: 0 },
    "the level is the caller's to check",
  );
  const ccs = new FieldTree();
  decodeChangeCipherSpec(bytes(1), ccs);
  assert.deepEqual(recorded(ccs), [["change_cipher_spec", "01", 1]]);
  for (const body of [bytes(), bytes(2), bytes(1, 1)]) {
    refused(() => decodeChangeCipherSpec(body), "invalid_change_cipher_spec");
  }
});

/** Each field as `name: note` (bytes as hex), children indented. */
const lines = (fields: readonly Field[], indent = ""): string[] =>
  fields.flatMap((f) => [
    `${indent}${f.name} [${f.bytes.toHex()}]: ${f.note ?? ""}`,
    ...lines(f.children ?? [], indent + "  "),
  ]);

Deno.test("record codec: the byte view of a padded record and of refused alerts comes from the decoders", () => {
  // An encrypted alert with 3 bytes of padding: 2 + 1 + 3 inside, a 16-byte tag after.
  const sealed = new Uint8Array(5 + 6 + 16);
  sealed.set([23, 3, 3, 0, 22]);
  const view = lines(new RecordDissector().dissect({
    epoch: "application",
    bytes: sealed,
    contentType: ContentType.alert,
    content: bytes(1, 0),
  }));
  assert.deepEqual(view.slice(0, 3), [
    "opaque_type [17]: application_data: always, for encrypted records; the real type is inside",
    "legacy_record_version [0303]: TLS 1.2",
    "length [0016]: 22 bytes",
  ]);
  assert.deepEqual(view.slice(5), [
    "TLSInnerPlaintext, decrypted []: ",
    "  content []: 2 bytes",
    "    level [01]: warning",
    "    description [00]: close_notify",
    "  type [15]: alert: the real content type",
    "  padding [000000]: zeros",
  ]);
  const plain = (type: number, content: Uint8Array) =>
    lines(new RecordDissector().dissect({
      epoch: "plaintext",
      bytes: new Uint8Array([type, 3, 3, 0, content.length, ...content]),
      contentType: type,
      content,
    })).slice(3);
  assert.deepEqual(plain(ContentType.alert, bytes(2, 40, 7)), [
    "malformed [022807]: received an alert record of 3 bytes, not 2",
  ]);
  assert.deepEqual(plain(ContentType.change_cipher_spec, bytes(2)), [
    "change_cipher_spec [02]: 2: invalid",
    "malformed []: received a ChangeCipherSpec record whose body is not the single byte 0x01",
  ]);
});
