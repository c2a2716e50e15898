/**
 * SHA-256 and SHA-384 with their HMAC and HKDF for the openssl provider
 * (`Hash` of ../provider.ts), on libcrypto's EVP_MD and EVP_MAC.
 *
 * @module
 */

import type { Hash, HashContext, HashName } from "../provider.ts";
import { hashLength } from "../sizes.ts";
import { digest, IncrementalHash } from "./digest.ts";
import { hkdfExpand, hkdfExtract, hmac } from "./hmac.ts";

function opensslHash(name: HashName): Hash {
  return {
    name,
    outputLength: hashLength(name),
    start: (): HashContext => IncrementalHash.create(name),
    digest: (data) => digest(name, data),
    hmac: (key, data) => hmac(name, key, data),
    hkdfExtract: (salt, ikm) => hkdfExtract(name, salt, ikm),
    hkdfExpand: (prk, info, length) => hkdfExpand(name, prk, info, length),
  };
}

/** SHA-256 (FIPS 180-4) with HMAC and HKDF. */
export const SHA256: Hash = opensslHash("SHA-256");

/** SHA-384 (FIPS 180-4) with HMAC and HKDF. */
export const SHA384: Hash = opensslHash("SHA-384");
