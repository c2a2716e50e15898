/**
 * Our own private key (PKCS#8, RFC 5208) as every provider sees it: what
 * kind of key it is, the TLS 1.3 schemes it can sign CertificateVerify with
 * (RFC 8446 §4.4.3), and the choice of one that the peer accepts. Loading
 * and signing are the provider's (`CryptoProvider.loadSigningKey`).
 *
 * @module
 */

import { SignatureScheme } from "../codepoints.ts";
import { ApiMisuseError } from "../errors.ts";
import { readPkcs8 } from "./pkcs8.ts";
import type { PublicKeyInfo } from "./public_key.ts";
import type { SigningKey } from "./provider.ts";
import { HANDSHAKE_SCHEMES, schemeFitsKey } from "./signature.ts";

export type { SigningKey } from "./provider.ts";

/**
 * Reads what a PKCS#8 key is and which TLS 1.3 schemes it signs with,
 * refusing with a readable Error the keys this engine does not use: what
 * every provider checks before loading a key.
 */
export function signingKeyProfile(pkcs8: Uint8Array): {
  info: PublicKeyInfo;
  schemes: readonly number[];
} {
  const info = readPkcs8(pkcs8);
  if (info.type === "unknown") throw new Error(`unsupported private key type (OID ${info.oid})`);
  if (info.type === "rsa-pss") {
    throw new Error("RSASSA-PSS-only keys are not supported; use an rsaEncryption RSA key");
  }
  if (info.type === "ecdsa" && !["P-256", "P-384"].includes(info.curve)) {
    throw new Error(`ECDSA keys on ${info.curve} are not supported; use P-256 or P-384`);
  }
  return { info, schemes: HANDSHAKE_SCHEMES.filter((s) => schemeFitsKey(s, info)) };
}

/** The first of the key's schemes that the peer accepts, if any. */
export function chooseScheme(key: SigningKey, peerSchemes: readonly number[]): number | undefined {
  return key.schemes.find((s) => peerSchemes.includes(s));
}

/** Throws unless `key` can sign with `scheme` (a scheme it did not offer is a bug, not input). */
export function checkSchemeOfKey(key: SigningKey, scheme: number): void {
  if (!key.schemes.includes(scheme)) {
    throw new ApiMisuseError(
      "key_cannot_sign_scheme",
      `this key cannot sign with ${SignatureScheme.name(scheme)}`,
    );
  }
}
