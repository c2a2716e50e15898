/**
 * The byte reader (lib/wire/reader.ts) on its own: every read checks that
 * its bytes are there, vectors are read through their length prefix with a
 * minimum, `end()` refuses trailing bytes, and every malformed input is a
 * TlsError carrying decode_error (RFC 8446 §6.2), never a RangeError; and
 * given a FieldRecorder, it reports every field it reads, where it lies.
 */

import assert from "node:assert/strict";
import { AlertDescription, TlsError, type TlsErrorCode } from "../lib/errors.ts";
import { type FieldRecorder, Reader } from "../lib/wire/reader.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

/**
 * Asserts that `f` throws a decode_error TlsError with `code`, whose message
 * (naming the message and field) matches `message`.
 */
function decodeError(f: () => unknown, code: TlsErrorCode, message: RegExp): void {
  assert.throws(f, (e) => {
    assert.ok(e instanceof TlsError, `a TlsError, not ${e}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.alert, AlertDescription.decode_error);
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("reader: integers are big-endian and advance the offset", () => {
  const r = new Reader(bytes(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xff, 0xfe, 0xfd, 0xfc));
  assert.equal(r.u8(), 0x01);
  assert.equal(r.u16(), 0x0203);
  assert.equal(r.u24(), 0x040506);
  assert.equal(r.offset, 6);
  assert.equal(r.remaining, 4);
  assert.equal(r.u24(), 0xfffefd, "24 bits stay unsigned");
  assert.deepEqual(r.rest(), bytes(0xfc));
  r.end();
});

Deno.test("reader: every read past the end is decode_error naming the context and field", () => {
  decodeError(
    () => new Reader(bytes(), "ServerHello").u8("legacy_version"),
    "message_truncated",
    /^ServerHello: legacy_version needs 1 bytes, only 0 left$/,
  );
  decodeError(
    () => new Reader(bytes(1)).u16(),
    "message_truncated",
    /u16 needs 2 bytes, only 1 left/,
  );
  decodeError(
    () => new Reader(bytes(1, 2)).u24(),
    "message_truncated",
    /u24 needs 3 bytes, only 2 left/,
  );
  decodeError(
    () => new Reader(bytes(1, 2, 3)).bytes(4, "random"),
    "message_truncated",
    /random needs 4 bytes, only 3 left/,
  );
});

Deno.test("reader: a failed read consumes nothing", () => {
  const r = new Reader(bytes(0xaa));
  decodeError(() => r.u16(), "message_truncated", /needs 2 bytes/);
  assert.equal(r.offset, 0);
  assert.equal(r.u8(), 0xaa);
});

Deno.test("reader: bytes() and vectors are views of the input, not copies", () => {
  const input = bytes(0x00, 0x02, 0x10, 0x20, 0x30);
  const r = new Reader(input);
  const v = r.vec16("cookie");
  assert.deepEqual(v, bytes(0x10, 0x20));
  assert.equal(v.buffer, input.buffer);
  assert.equal(v.byteOffset, 2);
  assert.equal(r.u8(), 0x30);
});

Deno.test("reader: vec8/vec16/vec24 read their length prefix, and refuse one longer than the input", () => {
  const r = new Reader(bytes(1, 0xa, 0, 2, 0xb, 0xc, 0, 0, 1, 0xd));
  assert.deepEqual(r.vec8(), bytes(0xa));
  assert.deepEqual(r.vec16(), bytes(0xb, 0xc));
  assert.deepEqual(r.vec24(), bytes(0xd));
  r.end();
  decodeError(
    () => new Reader(bytes(3, 1, 2)).vec8("session id"),
    "message_truncated",
    /session id needs 3 bytes, only 2 left/,
  );
  decodeError(
    () => new Reader(bytes(0, 5, 1)).vec16("extensions"),
    "message_truncated",
    /extensions needs 5 bytes, only 1 left/,
  );
  decodeError(
    () => new Reader(bytes(0, 0)).vec24("certificate"),
    "message_truncated",
    /certificate length needs 3 bytes, only 2 left/,
  );
});

Deno.test("reader: a vector shorter than its minimum is decode_error", () => {
  decodeError(
    () => new Reader(bytes(0)).vec8("compression methods", 1),
    "vector_too_short",
    /compression methods is 0 bytes, at least 1 required/,
  );
  decodeError(
    () => new Reader(bytes(0, 1, 9)).vec16("key_exchange", 2),
    "vector_too_short",
    /key_exchange is 1 bytes, at least 2 required/,
  );
  assert.deepEqual(new Reader(bytes(0, 0, 1, 7)).vec24("x", 1), bytes(7));
});

Deno.test("reader: sub-readers are bounded by their vector and name it in errors", () => {
  const r = new Reader(bytes(0, 2, 0xaa, 0xbb, 0xcc), "ClientHello");
  const sub = r.sub16("key_share");
  assert.equal(sub.context, "ClientHello: key_share");
  assert.equal(sub.u8(), 0xaa);
  decodeError(
    () => sub.u16("group"),
    "message_truncated",
    /^ClientHello: key_share: group needs 2 bytes, only 1 left$/,
  );
  assert.equal(r.u8(), 0xcc, "the outer reader is past the vector");
  r.end();
  assert.equal(new Reader(bytes(1, 5)).sub8("a").u8(), 5);
  assert.equal(new Reader(bytes(0, 0, 1, 6)).sub24("b").u8(), 6);
  decodeError(
    () => new Reader(bytes(0, 0, 2, 6)).sub24("c"),
    "message_truncated",
    /c needs 2 bytes, only 1 left/,
  );
});

Deno.test("reader: u16List reads pairs, refusing an odd length, too few items or a short input", () => {
  assert.deepEqual(new Reader(bytes(0, 4, 0x13, 0x01, 0x13, 0x02)).u16List("cipher_suites"), [
    0x1301,
    0x1302,
  ]);
  decodeError(
    () => new Reader(bytes(0, 3, 0x13, 0x01, 0x13)).u16List("cipher_suites"),
    "vector_odd_length",
    /cipher_suites has an odd length/,
  );
  decodeError(
    () => new Reader(bytes(0, 0)).u16List("supported_groups"),
    "vector_too_short",
    /supported_groups is 0 bytes, at least 2 required/,
  );
  assert.deepEqual(new Reader(bytes(0, 0)).u16List("empty", 0), []);
  decodeError(
    () => new Reader(bytes(0, 4, 0, 1)).u16List("groups"),
    "message_truncated",
    /groups needs 4 bytes, only 2 left/,
  );
});

Deno.test("reader: end() refuses trailing bytes, at the top and in a sub-reader", () => {
  const r = new Reader(bytes(1, 2, 3), "EncryptedExtensions");
  r.u8();
  decodeError(
    () => r.end(),
    "trailing_bytes",
    /^EncryptedExtensions: 2 unexpected trailing bytes$/,
  );
  r.bytes(2);
  r.end();
  const sub = new Reader(bytes(0, 2, 1, 2)).sub16("alpn");
  sub.u8();
  decodeError(() => sub.end(), "trailing_bytes", /alpn: 1 unexpected trailing bytes/);
});

Deno.test("reader: no truncation of a well-formed structure is anything but decode_error", () => {
  // supported_versions-like: u16 type, vec16 body holding a vec8 list of u16s, then end().
  const whole = bytes(0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03);
  const parse = (b: Uint8Array) => {
    const r = new Reader(b, "extension");
    r.u16("type");
    const body = r.sub16("body");
    const list = body.sub8("versions", 2);
    while (list.remaining) list.u16("version");
    body.end();
    r.end();
  };
  parse(whole);
  for (let n = 0; n < whole.length; n++) {
    decodeError(() => parse(whole.subarray(0, n)), "message_truncated", /^extension/);
  }
  decodeError(() => parse(bytes(...whole, 0)), "trailing_bytes", /1 unexpected trailing bytes/);
});

Deno.test("reader: u32 is unsigned big-endian", () => {
  const r = new Reader(bytes(0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0));
  assert.equal(r.u32(), 0xfffffffe);
  assert.equal(r.u32(), 256);
  decodeError(
    () => r.u32("ticket_lifetime"),
    "message_truncated",
    /ticket_lifetime needs 4 bytes, only 0 left/,
  );
});

Deno.test("reader: u8List reads one-byte items, at least `min`", () => {
  assert.deepEqual(new Reader(bytes(2, 0, 1)).u8List("ke_modes", 1, "mode"), bytes(0, 1));
  decodeError(
    () => new Reader(bytes(0)).u8List("ke_modes", 1, "mode"),
    "vector_too_short",
    /ke_modes is 0 bytes, at least 1 required/,
  );
});

/** A recorder that writes down each call, with offsets in the input. */
function recording(input: Uint8Array): { calls: string[]; recorder: FieldRecorder } {
  const calls: string[] = [];
  const at = (b: Uint8Array) => {
    assert.equal(b.buffer, input.buffer, "a view of the input, not a copy");
    return `${b.byteOffset - input.byteOffset}+${b.length}`;
  };
  const recorder: FieldRecorder = {
    field: (name, b, value) =>
      calls.push(`field ${name} ${at(b)}${value === undefined ? "" : ` =${value}`}`),
    vector: (name, prefix, contents) => calls.push(`vector ${name} ${at(prefix)} ${at(contents)}`),
    open: (name, offset) => calls.push(`open ${name} @${offset - input.byteOffset}`),
    close: () => calls.push("close"),
    malformed: (reason) => calls.push(`malformed ${reason}`),
  };
  return { calls, recorder };
}

Deno.test("reader: a recorder hears every field, vector and structure, with where its bytes lie", () => {
  // Padding in front: offsets are the views' own, into the buffer being read.
  const input = bytes(0xee, 0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x7f, 0x1c, 0x01, 0xaa)
    .subarray(1);
  const { calls, recorder } = recording(input);
  const r = new Reader(input, "extension", recorder);
  r.open("extension");
  assert.equal(r.u16("extension_type"), 0x2b);
  const body = r.sub16("extension_data");
  const list = body.sub8("versions", 2);
  while (list.remaining) list.u16("version");
  r.close();
  assert.deepEqual(r.vec8("session id"), bytes(0xaa));
  r.end();
  assert.deepEqual(calls, [
    "open extension @0",
    "field extension_type 0+2 =43",
    "vector extension_data 2+2 4+5",
    "vector versions 4+1 5+4",
    "field version 5+2 =772",
    "field version 7+2 =32540",
    "close",
    // A vector read whole: the vector, then its contents as its value.
    "vector session id 9+1 10+1",
    "field session id 10+1",
  ]);
});

Deno.test("reader: without a recorder, or with one, the same values come out", () => {
  const input = bytes(0, 4, 0x13, 0x01, 0x13, 0x02, 1, 0, 0, 0, 0, 7);
  const read = (
    r: Reader,
  ) => [r.u16List("cipher_suites", 1, "cipher_suite"), r.u8List("m", 1, "method"), r.u32("n")];
  const { calls, recorder } = recording(input);
  assert.deepEqual(read(new Reader(input, "x", recorder)), read(new Reader(input)));
  assert.deepEqual(calls, [
    "vector cipher_suites 0+2 2+4",
    "field cipher_suite 2+2 =4865",
    "field cipher_suite 4+2 =4866",
    "vector m 6+1 7+1",
    "field m 7+1",
    "field method 7+1 =0",
    "field n 8+4 =7",
  ]);
});
