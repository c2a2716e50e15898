/** The bridge's WebSocket codec (RFC 6455 §5): masked client frames in, server frames out. */

import assert from "node:assert/strict";
import {
  acceptKey,
  closeFrame,
  FrameReader,
  WebSocketError,
  type WebSocketEvent,
} from "../cli/websocket.ts";

/** A client frame: masked with `mask`, as RFC 6455 §5.3 requires. */
function clientFrame(byte0: number, payload: Uint8Array, mask = [0x37, 0xfa, 0x21, 0x3d]) {
  const extra = payload.length < 126
    ? [payload.length | 0x80]
    : [126 | 0x80, payload.length >> 8, payload.length & 0xff];
  const masked = payload.map((b, i) => b ^ mask[i & 3]);
  return new Uint8Array([byte0, ...extra, ...mask, ...masked]);
}

const data = (events: WebSocketEvent[]) =>
  events.flatMap((e) => e.type === "data" ? [...e.bytes] : []);

Deno.test("websocket: RFC 6455 §1.3's accept key", () => {
  assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("websocket: RFC 6455 §5.7's masked 'Hello' as binary, fed a byte at a time", () => {
  const hello = new Uint8Array([0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  const reader = new FrameReader();
  const events = [...hello].flatMap((b) => reader.push(new Uint8Array([b])));
  assert.equal(new TextDecoder().decode(new Uint8Array(data(events))), "Hello");
});

Deno.test("websocket: a fragmented message with a ping between, and a 16-bit length", () => {
  const big = new Uint8Array(300).map((_, i) => i & 0xff);
  const reader = new FrameReader();
  const bytes = [
    ...clientFrame(0x02, big.subarray(0, 200)), // binary, not FIN
    ...clientFrame(0x89, new Uint8Array([1, 2])), // ping in the middle (§5.4)
    ...clientFrame(0x80, big.subarray(200)), // continuation, FIN
    ...clientFrame(0x88, new Uint8Array([0x03, 0xe8, 0x62, 0x79, 0x65])), // close 1000 "bye"
  ];
  const events = [
    ...reader.push(new Uint8Array(bytes.slice(0, 150))),
    ...reader.push(new Uint8Array(bytes.slice(150))),
  ];
  assert.deepEqual(data(events), [...big]);
  assert.deepEqual(events.find((e) => e.type === "ping"), {
    type: "ping",
    payload: new Uint8Array([1, 2]),
  });
  assert.deepEqual(events.at(-1), { type: "close", code: 1000, reason: "bye" });
});

Deno.test("websocket: frames a server must refuse, with the close code to send", () => {
  const cases: [Uint8Array, number, RegExp][] = [
    [new Uint8Array([0x82, 0x01, 0x00]), 1002, /unmasked/],
    [clientFrame(0x81, new Uint8Array([0x68])), 1003, /text/],
    [clientFrame(0x80, new Uint8Array([1])), 1002, /continuation frame without a message/],
    [clientFrame(0xc2, new Uint8Array([1])), 1002, /RSV/],
    [clientFrame(0x09, new Uint8Array([1])), 1002, /fragmented or oversized control/],
    [clientFrame(0x83, new Uint8Array([1])), 1002, /unknown opcode 0x3/],
    [clientFrame(0x88, new Uint8Array([3])), 1002, /one-byte close payload/],
  ];
  for (const [bytes, code, message] of cases) {
    assert.throws(() => new FrameReader().push(bytes), (e) => {
      assert.ok(e instanceof WebSocketError);
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("websocket: server frames are unmasked, with the shortest length form", () => {
  assert.deepEqual([...closeFrame(1000, "ok")], [0x88, 0x04, 0x03, 0xe8, 0x6f, 0x6b]);
});
