/**
 * Record protection with AES-GCM (RFC 8446 §5.2, §5.3): traffic keys and
 * IVs from a traffic secret (§7.3), and the per-record nonce, the IV XOR
 * the 64-bit record sequence number.
 *
 * @module
 */

import { hkdfExpandLabel, releaseKey } from "./hkdf.ts";
import type { Suite } from "./suites.ts";

/** AES-GCM authentication tag length (RFC 5116). */
export const TAG_LENGTH = 16;

/** The write key and IV of RFC 8446 §7.3, derived from one traffic secret. */
export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

/** RFC 8446 §7.3: [sender]_write_key and [sender]_write_iv from a traffic secret. */
export async function trafficKeys(suite: Suite, secret: Uint8Array): Promise<TrafficKeys> {
  const empty = new Uint8Array(0);
  const [key, iv] = await Promise.all([
    hkdfExpandLabel(suite.hash, secret, "key", empty, suite.keyLen),
    hkdfExpandLabel(suite.hash, secret, "iv", empty, 12),
  ]);
  // The secret is kept (for a KeyUpdate) but its HMAC key need not be: what else is derived
  // from it (a Finished key) has been started already.
  releaseKey(secret);
  return { key, iv };
}

/**
 * One direction's AEAD state: the imported key (imported once), the IV and
 * the sequence number of the next record.
 */
export class RecordCipher {
  readonly #key: CryptoKey;
  readonly #iv: Uint8Array;
  /** The sequence number of the next record (RFC 8446 §5.3). */
  seq = 0;

  private constructor(key: CryptoKey, iv: Uint8Array) {
    this.#key = key;
    this.#iv = iv;
  }

  /** Derives keys from `secret` and imports the AES-GCM key. */
  static async fromSecret(suite: Suite, secret: Uint8Array): Promise<RecordCipher> {
    const { key, iv } = await trafficKeys(suite, secret);
    return RecordCipher.fromKeys(key, iv);
  }

  /** Imports a raw AES-GCM key with its IV. */
  static async fromKeys(key: Uint8Array, iv: Uint8Array): Promise<RecordCipher> {
    const k = await crypto.subtle.importKey("raw", key as BufferSource, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    return new RecordCipher(k, iv);
  }

  /** RFC 8446 §5.3: the nonce for sequence number `seq`. */
  nonce(seq: number): Uint8Array {
    const n = this.#iv.slice();
    // The sequence number is a 64-bit big-endian value; numbers here stay below 2^53.
    let s = seq;
    for (let i = 11; i >= 4 && s > 0; i--) {
      n[i] ^= s & 0xff;
      s = Math.floor(s / 256);
    }
    return n;
  }

  /**
   * Encrypts one TLSInnerPlaintext with the given additional data (the record
   * header) and consumes a sequence number. Calls may overlap: the sequence
   * number is taken synchronously, so records keep the order of the calls.
   */
  async seal(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const iv = this.nonce(this.seq++);
    const params = { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 };
    return new Uint8Array(
      await crypto.subtle.encrypt(params, this.#key, plaintext as BufferSource),
    );
  }

  /**
   * Decrypts one record body and consumes a sequence number. Throws on a bad
   * tag (the caller turns this into bad_record_mac).
   */
  async open(ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const iv = this.nonce(this.seq++);
    const params = { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 };
    return new Uint8Array(
      await crypto.subtle.decrypt(params, this.#key, ciphertext as BufferSource),
    );
  }
}
