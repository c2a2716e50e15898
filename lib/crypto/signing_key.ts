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
import { DerError, DerReader, Tag } from "../wire/der.ts";
import { OID, type PublicKeyInfo } from "./public_key.ts";
import type { SigningKey } from "./provider.ts";
import { HANDSHAKE_SCHEMES, schemeFitsKey } from "./signature.ts";

export type { SigningKey } from "./provider.ts";

const CURVE_BY_OID: Record<string, "P-256" | "P-384" | "P-521"> = {
  [OID.p256]: "P-256",
  [OID.p384]: "P-384",
  [OID.p521]: "P-521",
};

/**
 * Reads what a PKCS#8 key is and which TLS 1.3 schemes it signs with,
 * refusing with a readable Error the keys this engine does not use: what
 * every provider checks before loading a key.
 */
export function signingKeyProfile(pkcs8: Uint8Array): {
  info: PublicKeyInfo;
  schemes: readonly number[];
} {
  let info: PublicKeyInfo;
  try {
    info = inspectPrivateKey(pkcs8);
  } catch (e) {
    throw new Error(`not a PKCS#8 private key (${(e as Error).message})`);
  }
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

/** Reads the key type (curve, RSA modulus size) from a PKCS#8 PrivateKeyInfo. */
export function inspectPrivateKey(der: Uint8Array): PublicKeyInfo {
  const outer = new DerReader(der);
  const seq = outer.sequence();
  outer.end();
  seq.read(Tag.INTEGER);
  const alg = seq.sequence();
  const oid = alg.oid();
  const body = seq.read(Tag.OCTET_STRING);
  switch (oid) {
    case OID.ecPublicKey: {
      if (alg.peekTag() !== Tag.OID) throw new DerError("EC key without a named curve");
      const curve = alg.oid();
      return { type: "ecdsa", curve: CURVE_BY_OID[curve] ?? curve };
    }
    case OID.ed25519:
      return { type: "ed25519" };
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      const rsa = new DerReader(body).sequence();
      rsa.read(Tag.INTEGER);
      const n = rsa.unsignedInteger();
      const bits = n.length * 8 - Math.clz32(n[0]) + 24;
      return { type: oid === OID.rsaEncryption ? "rsa" : "rsa-pss", bits };
    }
    default:
      return { type: "unknown", oid };
  }
}
