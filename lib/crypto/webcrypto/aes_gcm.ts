/**
 * AES-GCM (RFC 5116, NIST SP 800-38D) on WebCrypto. WebCrypto copies its
 * inputs before `encrypt`/`decrypt` return (WebCrypto §14.3.1: "get a copy
 * of the bytes"), which is what `AeadKey` asks of every provider.
 *
 * @module
 */

import type { Aead, AeadKey } from "../provider.ts";

class AesGcmKey implements AeadKey {
  readonly #key: CryptoKey;

  constructor(key: CryptoKey) {
    this.#key = key;
  }

  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const params = { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 };
    return new Uint8Array(
      await crypto.subtle.encrypt(params, this.#key, plaintext as BufferSource),
    );
  }

  async open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
    const params = { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 };
    return new Uint8Array(
      await crypto.subtle.decrypt(params, this.#key, ciphertext as BufferSource),
    );
  }
}

function aesGcm(keyLength: 16 | 32): Aead {
  return {
    name: `AES-${keyLength * 8}-GCM`,
    keyLength,
    nonceLength: 12,
    tagLength: 16,
    async key(raw) {
      if (raw.length !== keyLength) {
        throw new Error(`an AES-${keyLength * 8}-GCM key is ${keyLength} bytes, not ${raw.length}`);
      }
      const key = await crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [
        "encrypt",
        "decrypt",
      ]);
      return new AesGcmKey(key);
    },
  };
}

/** AES-128-GCM. */
export const AES_128_GCM: Aead = aesGcm(16);

/** AES-256-GCM. */
export const AES_256_GCM: Aead = aesGcm(32);
