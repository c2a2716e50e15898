/**
 * The handshake transcript (RFC 8446 §4.4.1): every handshake message in
 * order, kept as one growing buffer and hashed when a hash is needed
 * (WebCrypto has no incremental digest). When observed (for `--trace`), it
 * reports the transcript hash after every message, as soon as the hash
 * function is known (a client learns it from the ServerHello).
 *
 * @module
 */

import { HandshakeType } from "../codepoints.ts";
import { digest } from "../crypto/hkdf.ts";
import type { HashName } from "../crypto/suites.ts";
import type { Side } from "../trace.ts";
import { HELLO_RETRY_REQUEST_RANDOM, messageName } from "./messages.ts";

/** Receives the transcript hash after each message, e.g. `after` = "ServerHello". */
export type TranscriptObserver = (hash: HashName, value: Uint8Array, after: string) => void;

/** The concatenated handshake messages of one connection. */
export class Transcript {
  #buf = new Uint8Array(4096);
  #len = 0;
  #hash?: HashName;
  readonly #observe?: TranscriptObserver;
  /** Messages whose hash is not reported yet: the label, and the transcript length after it. */
  #unreported: { after: string; length: number }[] = [];

  constructor(observe?: TranscriptObserver) {
    this.#observe = observe;
  }

  /** Appends one handshake message (header and body) that `from` sent. */
  async add(message: Uint8Array, from: Side): Promise<void> {
    this.#append(message);
    if (!this.#observe) return;
    this.#unreported.push({ after: label(message, from), length: this.#len });
    await this.#report();
  }

  /** Sets the hash of the negotiated suite, reporting the hashes held back until now. */
  async useHash(hash: HashName): Promise<void> {
    this.#hash = hash;
    await this.#report();
  }

  /** Transcript-Hash of everything added so far. */
  hash(hash: HashName): Promise<Uint8Array> {
    return digest(hash, this.#buf.subarray(0, this.#len));
  }

  /**
   * RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
   * a synthetic message_hash message holding Hash(ClientHello1).
   */
  async replaceWithMessageHash(hash: HashName): Promise<void> {
    await this.useHash(hash);
    const h = await this.hash(hash);
    this.#len = 0;
    this.#append(new Uint8Array([HandshakeType.message_hash, 0, 0, h.length, ...h]));
    if (!this.#observe) return;
    this.#unreported.push({ after: "message_hash (in place of ClientHello1)", length: this.#len });
    await this.#report();
  }

  #append(message: Uint8Array): void {
    if (this.#len + message.length > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + message.length));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(message, this.#len);
    this.#len += message.length;
  }

  async #report(): Promise<void> {
    const hash = this.#hash;
    if (!this.#observe || !hash) return;
    for (const { after, length } of this.#unreported.splice(0)) {
      this.#observe(hash, await digest(hash, this.#buf.subarray(0, length)), after);
    }
  }
}

/** "ClientHello", "HelloRetryRequest", "server Certificate", ... */
function label(message: Uint8Array, from: Side): string {
  const type = message[0];
  // RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with a special random (after type,
  // length and legacy_version).
  if (
    type === HandshakeType.server_hello &&
    HELLO_RETRY_REQUEST_RANDOM.every((b, i) => message[6 + i] === b)
  ) {
    return "HelloRetryRequest";
  }
  const both = [
    HandshakeType.certificate,
    HandshakeType.certificate_verify,
    HandshakeType.finished,
  ];
  return both.includes(type) ? `${from} ${messageName(type)}` : messageName(type);
}
