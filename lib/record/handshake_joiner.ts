/**
 * Reassembles handshake messages from record fragments (RFC 8446 §5.1: a
 * message may span records and a record may hold several messages) and
 * enforces the largest message this side accepts.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { type HandshakeMessage, messageName, readHandshakeHeader } from "../handshake/messages.ts";

/** Collects handshake bytes and yields whole messages. */
export class HandshakeJoiner {
  #parts: Uint8Array[] = [];
  #length = 0;
  readonly #maxMessage: number;

  constructor(maxMessage: number) {
    this.#maxMessage = maxMessage;
  }

  /** Whether part of a message is buffered (RFC 8446 §5.1: must not be the case at a key change). */
  get pending(): boolean {
    return this.#length > 0;
  }

  /** Bytes buffered. */
  get buffered(): number {
    return this.#length;
  }

  /** Adds the content of one handshake record. */
  push(fragment: Uint8Array): void {
    // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types."
    if (fragment.length === 0) {
      throw new TlsError(
        "empty_handshake_record",
        "received a zero-length handshake record",
      );
    }
    this.#parts.push(fragment);
    this.#length += fragment.length;
  }

  /** The next whole message, or undefined when more records are needed. */
  next(): HandshakeMessage | undefined {
    if (this.#length < 4) return undefined;
    const { type, length: bodyLength } = readHandshakeHeader(this.#peek(4));
    // A length beyond what this side buffers is refused before any of the body is held
    // (decode_error, as rustls answers a handshake payload that is too large).
    if (bodyLength > this.#maxMessage) {
      throw new TlsError(
        "handshake_message_too_large",
        `received a ${messageName(type)} message of ${bodyLength} bytes, ` +
          `more than the ${this.#maxMessage} this side accepts`,
      );
    }
    if (this.#length < 4 + bodyLength) return undefined;
    const raw = this.#take(4 + bodyLength);
    return { type: raw[0], body: raw.subarray(4), raw };
  }

  #peek(n: number): Uint8Array {
    if (this.#parts[0].length >= n) return this.#parts[0].subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of this.#parts) {
      const k = Math.min(p.length, n - at);
      out.set(p.subarray(0, k), at);
      at += k;
      if (at === n) break;
    }
    return out;
  }

  #take(n: number): Uint8Array {
    const first = this.#parts[0];
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#parts.shift();
      else this.#parts[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let at = 0;
      while (at < n) {
        const p = this.#parts[0];
        const k = Math.min(p.length, n - at);
        out.set(p.subarray(0, k), at);
        at += k;
        if (k === p.length) this.#parts.shift();
        else this.#parts[0] = p.subarray(k);
      }
    }
    this.#length -= n;
    return out;
  }
}
