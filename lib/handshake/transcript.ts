/**
 * The handshake transcript (RFC 8446 §4.4.1) as a running hash, forked
 * whenever a Transcript-Hash is needed. Until the hash function is known (a
 * client learns it from the ServerHello), messages are held and hashed when
 * it is. When observed (for `--trace`), it reports the transcript hash after
 * every message, as soon as it can.
 *
 * @module
 */

import { HandshakeType } from "../codepoints.ts";
import type { Hash, HashContext, HashName } from "../crypto/provider.ts";
import type { Side } from "../trace.ts";
import { nameOfMessage } from "./messages.ts";

/** Receives the transcript hash after each message, e.g. `after` = "ServerHello". */
export type TranscriptObserver = (hash: HashName, value: Uint8Array, after: string) => void;

/** The running hash of one connection's handshake messages. */
export class Transcript {
  readonly #observe?: TranscriptObserver;
  #context?: HashContext;
  #hashName?: HashName;
  /** Messages added before the hash is known, with their labels (for the observer). */
  #held: { message: Uint8Array; after: string }[] = [];

  constructor(observe?: TranscriptObserver) {
    this.#observe = observe;
  }

  /** Adds one handshake message (header and body) that `from` sent. */
  add(message: Uint8Array, from: Side): void {
    const after = this.#observe ? label(message, from) : "";
    if (this.#context) this.#update(message, after);
    else this.#held.push({ message: message.slice(), after });
  }

  /** Sets the hash of the negotiated suite and hashes the messages held until now. */
  useHash(hash: Hash): void {
    if (this.#context) return;
    this.#context = hash.start();
    this.#hashName = hash.name;
    for (const { message, after } of this.#held.splice(0)) this.#update(message, after);
  }

  /** Transcript-Hash of everything added so far (after `useHash`). */
  hash(): Uint8Array {
    if (!this.#context) throw new Error("the transcript hash is not chosen yet");
    return this.#context.digest();
  }

  /**
   * Transcript-Hash of everything added so far followed by `partial`, which
   * is not added: RFC 8446 §4.2.11.2's hash for a PSK binder, over a
   * ClientHello truncated before its binders.
   */
  hashWith(partial: Uint8Array): Uint8Array {
    if (!this.#context) throw new Error("the transcript hash is not chosen yet");
    const fork = this.#context.fork();
    fork.update(partial);
    return fork.digest();
  }

  /**
   * RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
   * a synthetic message_hash message holding Hash(ClientHello1).
   */
  replaceWithMessageHash(hash: Hash): void {
    this.useHash(hash);
    const h = this.hash();
    this.#context = hash.start();
    this.#update(
      new Uint8Array([HandshakeType.message_hash, 0, 0, h.length, ...h]),
      "message_hash (in place of ClientHello1)",
    );
  }

  #update(message: Uint8Array, after: string): void {
    this.#context!.update(message);
    if (this.#observe) this.#observe(this.#hashName!, this.#context!.digest(), after);
  }
}

/** "ClientHello", "HelloRetryRequest", "server Certificate", ... */
function label(message: Uint8Array, from: Side): string {
  const both = [
    HandshakeType.certificate,
    HandshakeType.certificate_verify,
    HandshakeType.finished,
  ];
  const name = nameOfMessage(message);
  return both.includes(message[0]) ? `${from} ${name}` : name;
}
