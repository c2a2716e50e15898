/**
 * Our private key for the openssl provider (`SigningKey` of
 * ../provider.ts): decoded once from PKCS#8, kept in libcrypto, and used
 * for CertificateVerify (RFC 8446 §4.4.3) synchronously.
 *
 * @module
 */

import type { PublicKeyInfo } from "../public_key.ts";
import type { SigningKey } from "../provider.ts";
import { schemeAlgorithm } from "../signature.ts";
import { checkSchemeOfKey, signingKeyProfile } from "../signing_key.ts";
import { PrivateKey } from "./signature.ts";

class OpensslSigningKey implements SigningKey {
  readonly info: PublicKeyInfo;
  readonly schemes: readonly number[];
  readonly #key: PrivateKey;

  constructor(pkcs8: Uint8Array) {
    ({ info: this.info, schemes: this.schemes } = signingKeyProfile(pkcs8));
    this.#key = PrivateKey.fromPkcs8(pkcs8);
  }

  sign(scheme: number, message: Uint8Array): Uint8Array {
    checkSchemeOfKey(this, scheme);
    return this.#key.sign(schemeAlgorithm(scheme)!, message);
  }
}

/** `CryptoProvider.loadSigningKey` on libcrypto: a bad key fails here, at start. */
export function loadSigningKey(pkcs8: Uint8Array): SigningKey {
  return new OpensslSigningKey(pkcs8);
}
