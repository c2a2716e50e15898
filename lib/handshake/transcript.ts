/**
 * The handshake transcript (RFC 8446 §4.4.1): every handshake message in
 * order, kept as one growing buffer and hashed when a hash is needed
 * (WebCrypto has no incremental digest).
 *
 * @module
 */

import { HandshakeType } from "../codepoints.ts";
import { digest } from "../crypto/hkdf.ts";
import type { HashName } from "../crypto/suites.ts";

/** The concatenated handshake messages of one connection. */
export class Transcript {
  #buf = new Uint8Array(4096);
  #len = 0;
  /** The last hash computed, kept until a message is added (several steps need the same one). */
  #last?: { len: number; hash: HashName; value: Promise<Uint8Array> };

  /** Appends one handshake message (header and body). */
  add(message: Uint8Array): void {
    if (this.#len + message.length > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + message.length));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(message, this.#len);
    this.#len += message.length;
    this.#last = undefined;
  }

  /** Transcript-Hash of everything added so far. */
  hash(hash: HashName): Promise<Uint8Array> {
    const last = this.#last;
    if (last && last.len === this.#len && last.hash === hash) return last.value;
    const value = digest(hash, this.#buf.subarray(0, this.#len));
    this.#last = { len: this.#len, hash, value };
    return value;
  }

  /**
   * RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
   * a synthetic message_hash message holding Hash(ClientHello1).
   */
  async replaceWithMessageHash(hash: HashName): Promise<void> {
    const h = await this.hash(hash);
    this.#len = 0;
    this.#last = undefined;
    this.add(new Uint8Array([HandshakeType.message_hash, 0, 0, h.length, ...h]));
  }
}
