/**
 * What kind of key a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) holds, read
 * from its DER without a certificate library, so that the handshake can
 * match signature schemes to keys and refuse weak ones.
 *
 * @module
 */

import { DerError, DerReader, Tag } from "../wire/der.ts";
import { curveOfOid } from "./sizes.ts";

/** Object identifiers of the key types met here, and of P-192 (the NIST curves' are in sizes.ts). */
export const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsassaPss: "1.2.840.113549.1.1.10",
  ed25519: "1.3.101.112",
  ed448: "1.3.101.113",
  x25519: "1.3.101.110",
  p192: "1.2.840.10045.3.1.1",
} as const;

/** A public key's type and size. */
export type PublicKeyInfo =
  | { type: "ecdsa"; curve: "P-192" | "P-256" | "P-384" | "P-521" | string }
  | { type: "ed25519" }
  | { type: "rsa"; bits: number }
  | { type: "rsa-pss"; bits: number }
  | { type: "unknown"; oid: string };

/** The curve a key names: one of the NIST curves we use, or P-192 (named to refuse it). */
function curveName(oid: string): string | undefined {
  return oid === OID.p192 ? "P-192" : curveOfOid(oid);
}

/** Reads the algorithm (and curve or modulus size) of a DER SubjectPublicKeyInfo. */
export function inspectPublicKey(spki: Uint8Array): PublicKeyInfo {
  const outer = new DerReader(spki);
  const seq = outer.sequence();
  outer.end();
  const alg = seq.sequence();
  const oid = alg.oid();
  const key = seq.read(Tag.BIT_STRING);
  seq.end();
  switch (oid) {
    case OID.ecPublicKey: {
      const curve = alg.peekTag() === Tag.OID ? alg.oid() : "";
      return { type: "ecdsa", curve: curveName(curve) ?? (curve || "unnamed curve") };
    }
    case OID.ed25519:
      return { type: "ed25519" };
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      if (key[0] !== 0) throw new DerError("RSA key BIT STRING has unused bits");
      const rsa = new DerReader(key.subarray(1)).sequence();
      const modulus = rsa.unsignedInteger();
      const bits = modulus.length * 8 - Math.clz32(modulus[0]) + 24;
      return { type: oid === OID.rsaEncryption ? "rsa" : "rsa-pss", bits };
    }
    default:
      return { type: "unknown", oid };
  }
}

/** A short human description, e.g. "ECDSA P-256", "RSA 2048". */
export function describePublicKey(info: PublicKeyInfo): string {
  switch (info.type) {
    case "ecdsa":
      return `ECDSA ${info.curve}`;
    case "ed25519":
      return "Ed25519";
    case "rsa":
      return `RSA ${info.bits}`;
    case "rsa-pss":
      return `RSA-PSS ${info.bits}`;
    default:
      return `unknown key type (${info.oid})`;
  }
}
