/**
 * Stateless session tickets (RFC 8446 §4.6.1, in the manner of RFC 5077
 * §4): the resumption state sealed with AES-256-GCM under a named ticket
 * key, through the crypto provider. A ticket is
 *
 *   key_name (16) ‖ nonce (12) ‖ AES-256-GCM(key, nonce, aad = key_name, state)
 *
 * Several keys can be held: the newest seals, every one opens, so keys can
 * be rotated without breaking live tickets, and servers that share the keys
 * (`serve --ticket-keys FILE`) resume each other's sessions. A ticket that
 * names no held key or does not open is simply not resumed.
 *
 * @module
 */

import { CipherSuite } from "../codepoints.ts";
import type { AeadKey, CryptoProvider, MaybePromise } from "../crypto/provider.ts";
import { suiteById } from "../crypto/suites.ts";
import { ApiMisuseError } from "../errors.ts";
import { constantTimeEqual } from "../wire/writer.ts";

/** One ticket key: its name (sent in every ticket it seals) and its AES-256 key. */
export interface TicketKey {
  /** 16 bytes that name the key in the tickets it seals. */
  readonly name: Uint8Array;
  /** 32 bytes of AES-256-GCM key. */
  readonly key: Uint8Array;
  /** When it was made, in milliseconds since the epoch. */
  readonly created: number;
}

const NAME = 16, NONCE = 12, KEY = 32, TAG = 16;
/** The largest ticket this server opens (its own hold a client's leaf certificate at most). */
const MAX_TICKET = 8192;

/** The ticket keys of a server (or of several sharing them). */
export class TicketKeys {
  readonly #crypto: CryptoProvider;
  readonly #keys: readonly TicketKey[];
  readonly #aead = new Map<TicketKey, MaybePromise<AeadKey>>();

  /** Keys in order of creation: the last one seals. At least one. */
  constructor(crypto: CryptoProvider, keys: readonly TicketKey[]) {
    if (!keys.length) {
      throw new ApiMisuseError("ticket_keys_empty", "TicketKeys needs at least one key");
    }
    for (const k of keys) {
      if (k.name.length !== NAME || k.key.length !== KEY) {
        throw new ApiMisuseError(
          "ticket_key_wrong_size",
          `a ticket key has a ${NAME}-byte name and a ${KEY}-byte key`,
        );
      }
    }
    this.#crypto = crypto;
    this.#keys = keys;
  }

  /** A fresh key, from the provider's randomness. */
  static newKey(crypto: CryptoProvider, now: number = Date.now()): TicketKey {
    return { name: crypto.randomBytes(NAME), key: crypto.randomBytes(KEY), created: now };
  }

  /** One fresh key, held in memory only. */
  static generate(crypto: CryptoProvider): TicketKeys {
    return new TicketKeys(crypto, [TicketKeys.newKey(crypto)]);
  }

  /** The keys, oldest first. */
  get keys(): readonly TicketKey[] {
    return this.#keys;
  }

  /** Seals `state` under the newest key. */
  async seal(state: Uint8Array): Promise<Uint8Array> {
    const k = this.#keys[this.#keys.length - 1];
    const nonce = this.#crypto.randomBytes(NONCE);
    const sealed = await (await this.#aeadKey(k)).seal(nonce, k.name, state);
    const out = new Uint8Array(NAME + NONCE + sealed.length);
    out.set(k.name);
    out.set(nonce, NAME);
    out.set(sealed, NAME + NONCE);
    return out;
  }

  /** The state sealed in `ticket`, or undefined if no held key opens it (why, in `reason`). */
  async open(ticket: Uint8Array): Promise<{ state?: Uint8Array; reason?: string }> {
    if (ticket.length < NAME + NONCE + TAG || ticket.length > MAX_TICKET) {
      return { reason: `a ${ticket.length}-byte identity is not one of this server's tickets` };
    }
    const name = ticket.subarray(0, NAME);
    const k = this.#keys.find((k) => constantTimeEqual(k.name, name));
    if (!k) return { reason: "the ticket names a key this server does not hold" };
    try {
      const state = await (await this.#aeadKey(k)).open(
        ticket.subarray(NAME, NAME + NONCE),
        name,
        ticket.subarray(NAME + NONCE),
      );
      return { state };
    } catch {
      return { reason: "the ticket does not open under its key (forged or damaged)" };
    }
  }

  #aeadKey(k: TicketKey): MaybePromise<AeadKey> {
    let key = this.#aead.get(k);
    if (!key) {
      const suite = suiteById(this.#crypto, CipherSuite.TLS_AES_256_GCM_SHA384);
      if (!suite) {
        throw new ApiMisuseError(
          "ticket_aead_unavailable",
          `${this.#crypto.name} has no AES-256-GCM for tickets`,
        );
      }
      key = suite.aead.key(k.key);
      this.#aead.set(k, key);
    }
    return key;
  }

  /**
   * The text form of a key file: one line per key, oldest first,
   * `ticket-key NAME KEY CREATED` (hex, hex, ISO 8601 time).
   */
  toText(): string {
    return this.#keys.map((k) =>
      `ticket-key ${k.name.toHex()} ${k.key.toHex()} ${new Date(k.created).toISOString()}\n`
    ).join("");
  }

  /** Reads the text form; throws an Error naming the bad line. */
  static fromText(crypto: CryptoProvider, text: string): TicketKeys {
    const keys: TicketKey[] = [];
    text.split("\n").forEach((line, i) => {
      const t = line.trim();
      if (!t || t.startsWith("#")) return;
      const m = t.match(/^ticket-key ([0-9a-f]{32}) ([0-9a-f]{64}) (\S+)$/i);
      const created = m ? Date.parse(m[3]) : NaN;
      if (!m || Number.isNaN(created)) {
        throw new Error(
          `line ${i + 1} is not "ticket-key NAME(32 hex) KEY(64 hex) CREATED(ISO time)"`,
        );
      }
      keys.push({ name: Uint8Array.fromHex(m[1]), key: Uint8Array.fromHex(m[2]), created });
    });
    if (!keys.length) throw new Error("it holds no ticket-key line");
    return new TicketKeys(crypto, keys);
  }

  /** These keys with a fresh one added (which then seals), keeping the `keep` newest in all. */
  rotate(keep: number = 3, now: number = Date.now()): TicketKeys {
    const keys = [...this.#keys, TicketKeys.newKey(this.#crypto, now)];
    return new TicketKeys(this.#crypto, keys.slice(-Math.max(1, keep)));
  }
}
