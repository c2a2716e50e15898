/**
 * The serializer (lib/wire/writer.ts) on its own: big-endian integers,
 * length-prefixed scopes that fill in their length after the body, nested
 * scopes, growth past the initial capacity, and the limit of each prefix
 * width (a body one byte too long is refused, never truncated); and what the
 * reader makes of what the writer wrote.
 */

import assert from "node:assert/strict";
import { Reader } from "../lib/wire/reader.ts";
import { concat, constantTimeEqual, Writer } from "../lib/wire/writer.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

Deno.test("writer: integers are big-endian, truncated to their width", () => {
  const w = new Writer().u8(0x01).u16(0x0203).u24(0x040506).u8(0x1ff).u16(0x12345);
  assert.deepEqual(w.finish(), bytes(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xff, 0x23, 0x45));
  assert.equal(w.length, 9);
});

Deno.test("writer: vec8/vec16/vec24 write a length prefix of their width", () => {
  const w = new Writer().vec8(bytes(0xa)).vec16(bytes(0xb, 0xc)).vec24(bytes()).vec8(bytes());
  assert.deepEqual(w.finish(), bytes(1, 0xa, 0, 2, 0xb, 0xc, 0, 0, 0, 0));
});

Deno.test("writer: prefixed scopes fill in their length after the body, nested", () => {
  // An extension: u16 type, u16-prefixed body holding a u8-prefixed list.
  const w = new Writer();
  w.u16(0x002b).u16Prefixed(() => w.u8Prefixed(() => w.u16(0x0304).u16(0x0303)));
  w.u24Prefixed(() => w.u24Prefixed(() => w.u8(7)));
  assert.deepEqual(
    w.finish(),
    bytes(0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03, 0, 0, 4, 0, 0, 1, 7),
  );
});

Deno.test("writer: grows past its capacity, also while a scope is open", () => {
  const big = new Uint8Array(1000).map((_, i) => i % 251);
  const w = new Writer(4);
  w.u8(0x16).u24Prefixed(() => w.bytes(big).u8(0xee));
  const out = w.finish();
  assert.equal(out.length, 1 + 3 + 1001);
  assert.deepEqual(out.subarray(0, 4), bytes(0x16, 0, 0x03, 0xe9));
  assert.deepEqual(out.subarray(4, 1004), big);
  assert.equal(out[1004], 0xee);
});

Deno.test("writer: each prefix width takes its largest body and refuses one byte more", () => {
  const cases: [string, 1 | 2 | 3, (w: Writer, b: () => void) => Writer][] = [
    ["u8Prefixed", 1, (w, b) => w.u8Prefixed(b)],
    ["u16Prefixed", 2, (w, b) => w.u16Prefixed(b)],
    ["u24Prefixed", 3, (w, b) => w.u24Prefixed(b)],
  ];
  for (const [name, width, scope] of cases) {
    const max = 2 ** (8 * width) - 1;
    const w = new Writer();
    scope(w, () => w.bytes(new Uint8Array(max)));
    const out = w.finish();
    assert.equal(out.length, width + max, name);
    assert.ok(out.subarray(0, width).every((b) => b === 0xff), `${name}: prefix all ones`);
    assert.throws(
      () => {
        const w = new Writer();
        scope(w, () => w.bytes(new Uint8Array(max + 1)));
      },
      (e) =>
        e instanceof RangeError &&
        e.message === `vector of ${max + 1} bytes does not fit a ${width}-byte length`,
      name,
    );
  }
  assert.throws(() => new Writer().vec8(new Uint8Array(256)), RangeError);
  assert.throws(() => new Writer().vec16(new Uint8Array(65536)), RangeError);
});

Deno.test("writer: an inner scope too long for its prefix is refused even when the outer fits", () => {
  const w = new Writer();
  assert.throws(
    () => w.u16Prefixed(() => w.u8Prefixed(() => w.bytes(new Uint8Array(300)))),
    /vector of 300 bytes does not fit a 1-byte length/,
  );
});

Deno.test("writer: finish() is a copy: writing on does not change it", () => {
  const w = new Writer(2).u16(0x0102);
  const first = w.finish();
  w.u16(0x0304);
  assert.deepEqual(first, bytes(1, 2));
  assert.deepEqual(w.finish(), bytes(1, 2, 3, 4));
});

Deno.test("writer → reader: what one writes the other reads back, to the end", () => {
  const key = new Uint8Array(65).map((_, i) => i);
  const w = new Writer();
  w.u16(0x0033).u16Prefixed(() =>
    w.u16Prefixed(() => w.u16(0x0017).vec16(key).u16(0x001d).vec16(bytes(9, 9)))
  );
  const r = new Reader(w.finish(), "extension");
  assert.equal(r.u16(), 0x0033);
  const body = r.sub16("body");
  const shares = body.sub16("client_shares");
  assert.equal(shares.u16(), 0x0017);
  assert.deepEqual(shares.vec16("key_exchange"), key);
  assert.equal(shares.u16(), 0x001d);
  assert.deepEqual(shares.vec16("key_exchange"), bytes(9, 9));
  shares.end();
  body.end();
  r.end();
});

Deno.test("concat and constantTimeEqual", () => {
  assert.deepEqual(concat(), bytes());
  assert.deepEqual(concat(bytes(1), bytes(), bytes(2, 3)), bytes(1, 2, 3));
  assert.equal(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 3)), true);
  assert.equal(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 4)), false);
  assert.equal(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2)), false);
  assert.equal(constantTimeEqual(bytes(), bytes()), true);
});
