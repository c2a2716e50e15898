/**
 * Our private key on WebCrypto: imported once per algorithm (RSA-PSS binds
 * the hash to the key, so an RSA key has one import per hash), then used
 * for CertificateVerify (RFC 8446 §4.4.3).
 *
 * @module
 */

import type { PublicKeyInfo } from "../public_key.ts";
import type { SigningKey } from "../provider.ts";
import { schemeAlgorithm } from "../signature.ts";
import { checkSchemeOfKey, signingKeyProfile } from "../signing_key.ts";
import { ecdsaRawToDer } from "./ecdsa_der.ts";

class WebCryptoSigningKey implements SigningKey {
  readonly info: PublicKeyInfo;
  readonly schemes: readonly number[];
  readonly #pkcs8: Uint8Array;
  readonly #imported = new Map<number, Promise<CryptoKey>>();

  constructor(pkcs8: Uint8Array) {
    ({ info: this.info, schemes: this.schemes } = signingKeyProfile(pkcs8));
    this.#pkcs8 = pkcs8.slice();
  }

  async sign(scheme: number, message: Uint8Array): Promise<Uint8Array> {
    checkSchemeOfKey(this, scheme);
    const alg = schemeAlgorithm(scheme)!;
    const key = await this.key(scheme);
    const params = alg.kind === "ecdsa"
      ? { name: "ECDSA", hash: alg.hash }
      : alg.kind === "rsa-pss"
      ? { name: "RSA-PSS", saltLength: alg.saltLength }
      : { name: "Ed25519" };
    const sig = new Uint8Array(await crypto.subtle.sign(params, key, message as BufferSource));
    return alg.kind === "ecdsa" ? ecdsaRawToDer(sig) : sig;
  }

  /** The WebCrypto key for `scheme`, imported on first use. */
  key(scheme: number): Promise<CryptoKey> {
    const alg = schemeAlgorithm(scheme)!;
    const slot = alg.kind === "ecdsa" || alg.kind === "ed25519" ? 0 : scheme;
    let k = this.#imported.get(slot);
    if (!k) {
      const info = this.info;
      const params = alg.kind === "ecdsa" && info.type === "ecdsa"
        ? { name: "ECDSA", namedCurve: info.curve }
        : alg.kind === "rsa-pss"
        ? { name: "RSA-PSS", hash: alg.hash }
        : { name: "Ed25519" };
      k = crypto.subtle.importKey("pkcs8", this.#pkcs8 as BufferSource, params, false, ["sign"]);
      this.#imported.set(slot, k);
    }
    return k;
  }
}

/** `CryptoProvider.loadSigningKey` on WebCrypto: imports now, so that a bad key fails at start. */
export async function loadSigningKey(pkcs8: Uint8Array): Promise<SigningKey> {
  const key = new WebCryptoSigningKey(pkcs8);
  await key.key(key.schemes[0]);
  return key;
}
