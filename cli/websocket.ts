/**
 * The server side of WebSocket (RFC 6455), as much as `/bridge` needs: the
 * opening handshake's accept key, a reader that turns the client's masked
 * frames into data and control messages as the bytes arrive (a large
 * message is passed on in pieces, never held whole), and unmasked frames
 * to send. No extensions are negotiated.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** RFC 6455 §1.3: the GUID appended to the client's key. */
const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** RFC 6455 §5.2: opcodes. */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** RFC 6455 §7.4.1: the close codes this side sends. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  policyViolation: 1008,
  internalError: 1011,
} as const;

/** RFC 6455 §4.2.2: Sec-WebSocket-Accept for the client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + ACCEPT_GUID).digest("base64");
}

/** A client that broke RFC 6455; `code` is the close code to answer with. */
export class WebSocketError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = "WebSocketError";
    this.code = code;
  }
}

/** What the reader found: payload bytes of a binary message, or a whole control frame. */
export type WebSocketEvent =
  | { type: "data"; bytes: Uint8Array }
  | { type: "close"; code?: number; reason: string }
  | { type: "ping"; payload: Uint8Array }
  | { type: "pong" };

/** Control frames carry at most 125 bytes (RFC 6455 §5.5). */
const MAX_CONTROL = 125;

/** Turns the bytes a client sends into events, checking each frame as RFC 6455 §5 says. */
export class FrameReader {
  #pending: Uint8Array = new Uint8Array(0);
  /** The data frame being passed on: its mask, bytes left, and where in the mask we are. */
  #data?: { mask: Uint8Array; left: number; at: number; fin: boolean };
  /** Whether a fragmented binary message is open (continuation frames may follow). */
  #inMessage = false;

  /** Adds received bytes; returns the events they complete. Throws `WebSocketError`. */
  push(bytes: Uint8Array): WebSocketEvent[] {
    this.#pending = this.#pending.length ? concat(this.#pending, bytes) : bytes;
    const events: WebSocketEvent[] = [];
    while (true) {
      if (this.#data) {
        const d = this.#data;
        const n = Math.min(d.left, this.#pending.length);
        if (n === 0 && d.left > 0) break;
        const bytes = this.#pending.slice(0, n);
        for (let i = 0; i < n; i++) bytes[i] ^= d.mask[(d.at + i) & 3];
        this.#pending = this.#pending.subarray(n);
        d.at += n;
        d.left -= n;
        if (n > 0) events.push({ type: "data", bytes });
        if (d.left > 0) break;
        this.#inMessage = !d.fin;
        this.#data = undefined;
        continue;
      }
      const frame = this.#header();
      if (!frame) break;
      if (frame.opcode === Opcode.binary || frame.opcode === Opcode.continuation) {
        if ((frame.opcode === Opcode.continuation) !== this.#inMessage) {
          throw new WebSocketError(
            CloseCode.protocolError,
            frame.opcode === Opcode.continuation
              ? "a continuation frame without a message to continue"
              : "a new message before the previous one ended",
          );
        }
        this.#inMessage = true;
        this.#data = { mask: frame.mask, left: frame.length, at: 0, fin: frame.fin };
        continue;
      }
      if (frame.opcode === Opcode.text) {
        throw new WebSocketError(CloseCode.unsupportedData, "text messages are not TLS bytes");
      }
      // A control frame: wait for all of it.
      if (this.#pending.length < frame.length) {
        this.#pending = concat(frame.raw, this.#pending);
        break;
      }
      const payload = this.#pending.slice(0, frame.length);
      for (let i = 0; i < payload.length; i++) payload[i] ^= frame.mask[i & 3];
      this.#pending = this.#pending.subarray(frame.length);
      events.push(control(frame.opcode, payload));
    }
    return events;
  }

  /** Parses and removes a frame header, or returns undefined until it is all there. */
  #header():
    | { fin: boolean; opcode: number; mask: Uint8Array; length: number; raw: Uint8Array }
    | undefined {
    const b = this.#pending;
    if (b.length < 2) return undefined;
    const fin = (b[0] & 0x80) !== 0;
    const opcode = b[0] & 0x0f;
    if (b[0] & 0x70) {
      throw new WebSocketError(
        CloseCode.protocolError,
        "RSV bits set, no extension was negotiated",
      );
    }
    // RFC 6455 §5.1: a server must close the connection on an unmasked client frame.
    if (!(b[1] & 0x80)) {
      throw new WebSocketError(CloseCode.protocolError, "an unmasked client frame");
    }
    const short = b[1] & 0x7f;
    const extra = short === 126 ? 2 : short === 127 ? 8 : 0;
    if (b.length < 2 + extra + 4) return undefined;
    const view = new DataView(b.buffer, b.byteOffset, b.length);
    const length = short === 126
      ? view.getUint16(2)
      : short === 127
      ? Number(view.getBigUint64(2))
      : short;
    if (!Number.isSafeInteger(length)) {
      throw new WebSocketError(CloseCode.protocolError, "a frame length over 2^53");
    }
    if (opcode >= 0x8) {
      if (!fin || length > MAX_CONTROL) {
        throw new WebSocketError(
          CloseCode.protocolError,
          "a fragmented or oversized control frame",
        );
      }
      if (opcode !== Opcode.close && opcode !== Opcode.ping && opcode !== Opcode.pong) {
        throw new WebSocketError(
          CloseCode.protocolError,
          `unknown opcode 0x${opcode.toString(16)}`,
        );
      }
    } else if (opcode > Opcode.binary) {
      throw new WebSocketError(CloseCode.protocolError, `unknown opcode 0x${opcode.toString(16)}`);
    }
    const size = 2 + extra + 4;
    const raw = b.slice(0, size);
    const mask = raw.slice(size - 4);
    this.#pending = b.subarray(size);
    return { fin, opcode, mask, length, raw };
  }
}

function control(opcode: number, payload: Uint8Array): WebSocketEvent {
  if (opcode === Opcode.ping) return { type: "ping", payload };
  if (opcode === Opcode.pong) return { type: "pong" };
  if (payload.length === 1) {
    throw new WebSocketError(CloseCode.protocolError, "a one-byte close payload");
  }
  const code = payload.length >= 2 ? (payload[0] << 8) | payload[1] : undefined;
  return { type: "close", code, reason: new TextDecoder().decode(payload.subarray(2)) };
}

/** An unmasked server frame (RFC 6455 §5.2) with FIN set. */
export function frame(opcode: number, payload: Uint8Array): Uint8Array {
  const extra = payload.length < 126 ? 0 : payload.length < 0x10000 ? 2 : 8;
  const out = new Uint8Array(2 + extra + payload.length);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | opcode;
  if (extra === 0) out[1] = payload.length;
  else if (extra === 2) {
    out[1] = 126;
    view.setUint16(2, payload.length);
  } else {
    out[1] = 127;
    view.setBigUint64(2, BigInt(payload.length));
  }
  out.set(payload, 2 + extra);
  return out;
}

/** A close frame with `code` and a short reason. */
export function closeFrame(code: number, reason = ""): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, MAX_CONTROL - 2);
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return frame(Opcode.close, payload);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
