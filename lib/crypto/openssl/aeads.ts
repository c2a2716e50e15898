/**
 * The openssl provider's AEADs (`Aead` of ../provider.ts): AES-128-GCM,
 * AES-256-GCM and ChaCha20-Poly1305, synchronous. Each seal and open
 * returns a new array the caller owns; `sealInPlace` seals where the
 * record layer will send, and `openInPlace` opens where a record was received.
 *
 * @module
 */

import type { Aead, AeadKey as ProviderAeadKey } from "../provider.ts";
import { AeadKey, aeadKeyLength, type AeadName, NONCE_LENGTH, TAG_LENGTH } from "./aead.ts";

/** The provider's view of an AeadKey: its argument order (nonce, aad, data). */
class RecordKey implements ProviderAeadKey {
  readonly #key: AeadKey;

  constructor(key: AeadKey) {
    this.#key = key;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return this.#key.seal(nonce, plaintext, aad);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    return this.#key.open(nonce, ciphertext, aad);
  }

  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buffer: Uint8Array, plaintextLength: number) {
    this.#key.sealInPlace(nonce, buffer, plaintextLength, aad);
  }

  openInPlace(nonce: Uint8Array, aad: Uint8Array, buffer: Uint8Array): Uint8Array {
    return this.#key.openInPlace(nonce, buffer, aad);
  }
}

function opensslAead(name: AeadName): Aead {
  return {
    name,
    keyLength: aeadKeyLength(name),
    nonceLength: NONCE_LENGTH,
    tagLength: TAG_LENGTH,
    key: (raw) => new RecordKey(AeadKey.create(name, raw)),
  };
}

/** AES-128-GCM (NIST SP 800-38D). */
export const AES_128_GCM: Aead = opensslAead("AES-128-GCM");

/** AES-256-GCM (NIST SP 800-38D). */
export const AES_256_GCM: Aead = opensslAead("AES-256-GCM");

/** ChaCha20-Poly1305 (RFC 8439), ready for TLS_CHACHA20_POLY1305_SHA256. */
export const CHACHA20_POLY1305: Aead = opensslAead("ChaCha20-Poly1305");
