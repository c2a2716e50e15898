/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) for the webcrypto provider, which
 * WebCrypto does not have: `@noble/ciphers`, synchronous JavaScript. Each
 * seal and open reads its inputs before it returns and gives back a new
 * array the caller owns, as `AeadKey` asks. `@noble/ciphers` is loaded
 * when the first key is made: a process that never negotiates this suite
 * does not load it.
 *
 * @module
 */

import type { Aead, AeadKey } from "../provider.ts";

type Cipher = typeof import("@noble/ciphers/chacha.js").chacha20poly1305;
let chacha20poly1305: Cipher | undefined;

class ChaChaKey implements AeadKey {
  readonly #key: Uint8Array;
  readonly #cipher: Cipher;

  constructor(key: Uint8Array, cipher: Cipher) {
    this.#key = key;
    this.#cipher = cipher;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return this.#cipher(this.#key, nonce, aad).encrypt(plaintext);
  }

  /** Throws when the tag does not verify (the record layer's bad_record_mac). */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    return this.#cipher(this.#key, nonce, aad).decrypt(ciphertext);
  }
}

/** ChaCha20-Poly1305: 32-byte key, 12-byte nonce, 16-byte tag (RFC 8439 §2.8). */
export const CHACHA20_POLY1305: Aead = {
  name: "ChaCha20-Poly1305",
  keyLength: 32,
  nonceLength: 12,
  tagLength: 16,
  key(raw) {
    if (raw.length !== 32) {
      throw new Error(`a ChaCha20-Poly1305 key is 32 bytes, not ${raw.length}`);
    }
    const key = raw.slice();
    if (chacha20poly1305) return new ChaChaKey(key, chacha20poly1305);
    return import("@noble/ciphers/chacha.js").then((m) =>
      new ChaChaKey(key, chacha20poly1305 = m.chacha20poly1305)
    );
  },
};
