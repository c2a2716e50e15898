/**
 * SHA-256 and SHA-384 with their HMAC and HKDF, synchronously in pure
 * JavaScript (`@noble/hashes`): each call costs microseconds where a
 * WebCrypto call costs a thread hand-off, and WebCrypto has no incremental
 * hash to fork for the transcript.
 *
 * @module
 */

import { sha256, sha384 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import type { Hash, HashContext, HashName } from "../provider.ts";

type Noble = typeof sha256 | typeof sha384;
type NobleContext = ReturnType<Noble["create"]>;

/** A running noble hash; `digest()` finishes a clone, so the context goes on. */
class NobleContextWrapper implements HashContext {
  readonly #h: NobleContext;

  constructor(h: NobleContext) {
    this.#h = h;
  }

  update(data: Uint8Array): void {
    this.#h.update(data);
  }

  fork(): HashContext {
    return new NobleContextWrapper(this.#h.clone());
  }

  digest(): Uint8Array {
    return this.#h.clone().digest();
  }
}

function nobleHash(name: HashName, h: Noble): Hash {
  return {
    name,
    outputLength: h.outputLen,
    start: () => new NobleContextWrapper(h.create()),
    digest: (data) => h(data),
    hmac: (key, data) => hmac(h, key, data),
    // RFC 5869 §2.2: an absent salt is HashLen zeros; HMAC pads an empty key with zeros alike.
    hkdfExtract: (salt, ikm) => extract(h, ikm, salt),
    hkdfExpand: (prk, info, length) => expand(h, prk, info, length),
  };
}

/** SHA-256 (FIPS 180-4) with HMAC and HKDF. */
export const SHA256: Hash = nobleHash("SHA-256", sha256);

/** SHA-384 (FIPS 180-4) with HMAC and HKDF. */
export const SHA384: Hash = nobleHash("SHA-384", sha384);
