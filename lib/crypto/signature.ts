/**
 * Signature schemes (RFC 8446 §4.2.3): which key each scheme needs, which
 * ones the engine offers, and verification with a peer's
 * SubjectPublicKeyInfo through the crypto provider.
 *
 * @module
 */

import { SignatureScheme } from "../codepoints.ts";
import type { CryptoProvider, SignatureAlgorithm, SignatureHash } from "./provider.ts";
import { inspectPublicKey, type PublicKeyInfo } from "./public_key.ts";
import { HASH_LENGTH } from "./sizes.ts";

/** What a signature scheme requires of the key, and its hash and padding. */
interface SchemeInfo {
  readonly key: "ecdsa" | "ed25519" | "rsa";
  /** For ECDSA: the curve the key must be on (TLS 1.3 binds curve and hash). */
  readonly curve?: "P-256" | "P-384" | "P-521";
  readonly hash?: SignatureHash;
  /** RSA padding. */
  readonly padding?: "pss" | "pkcs1";
  /** Whether TLS 1.3 allows it in CertificateVerify (RFC 8446 §4.2.3: not PKCS#1, not SHA-1). */
  readonly handshake: boolean;
}

const SCHEMES = new Map<number, SchemeInfo>([
  [SignatureScheme.ecdsa_secp256r1_sha256, {
    key: "ecdsa",
    curve: "P-256",
    hash: "SHA-256",
    handshake: true,
  }],
  [SignatureScheme.ecdsa_secp384r1_sha384, {
    key: "ecdsa",
    curve: "P-384",
    hash: "SHA-384",
    handshake: true,
  }],
  [SignatureScheme.ed25519, { key: "ed25519", handshake: true }],
  [SignatureScheme.rsa_pss_rsae_sha256, {
    key: "rsa",
    hash: "SHA-256",
    padding: "pss",
    handshake: true,
  }],
  [SignatureScheme.rsa_pss_rsae_sha384, {
    key: "rsa",
    hash: "SHA-384",
    padding: "pss",
    handshake: true,
  }],
  [SignatureScheme.rsa_pss_rsae_sha512, {
    key: "rsa",
    hash: "SHA-512",
    padding: "pss",
    handshake: true,
  }],
  [SignatureScheme.rsa_pkcs1_sha256, {
    key: "rsa",
    hash: "SHA-256",
    padding: "pkcs1",
    handshake: false,
  }],
  [SignatureScheme.rsa_pkcs1_sha384, {
    key: "rsa",
    hash: "SHA-384",
    padding: "pkcs1",
    handshake: false,
  }],
  [SignatureScheme.rsa_pkcs1_sha512, {
    key: "rsa",
    hash: "SHA-512",
    padding: "pkcs1",
    handshake: false,
  }],
]);

/** The schemes this engine verifies in CertificateVerify, in order of preference. */
export const HANDSHAKE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ed25519,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
];

/** The schemes this engine verifies in certificates (signature_algorithms_cert). */
export const CERTIFICATE_SCHEMES: readonly number[] = [
  ...HANDSHAKE_SCHEMES,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/** Whether a key of this kind can make signatures of `scheme`. */
export function schemeFitsKey(scheme: number, key: PublicKeyInfo): boolean {
  const s = SCHEMES.get(scheme);
  if (!s) return false;
  if (s.key === "ecdsa") return key.type === "ecdsa" && key.curve === s.curve;
  if (s.key === "rsa") return key.type === "rsa";
  return key.type === s.key;
}

/**
 * How a provider checks a signature of `scheme`, for a key that fits it;
 * undefined for a scheme not implemented.
 */
export function schemeAlgorithm(scheme: number): SignatureAlgorithm | undefined {
  const s = SCHEMES.get(scheme);
  if (!s) return undefined;
  switch (s.key) {
    case "ecdsa":
      return { kind: "ecdsa", hash: s.hash! };
    case "ed25519":
      return { kind: "ed25519" };
    case "rsa":
      return s.padding === "pss"
        // RFC 8446 §4.2.3: the salt is as long as the digest.
        ? { kind: "rsa-pss", hash: s.hash!, saltLength: HASH_LENGTH[s.hash!] }
        : { kind: "rsa-pkcs1", hash: s.hash! };
  }
}

/**
 * Verifies `signature` over `data` with the key in `spki` under a TLS
 * SignatureScheme, through `crypto`. False on any mismatch, including a key
 * that does not fit the scheme (TLS 1.3 binds ECDSA curves to hashes).
 */
export async function verifySignature(
  crypto: CryptoProvider,
  scheme: number,
  spki: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const algorithm = schemeAlgorithm(scheme);
  if (!algorithm) return false;
  let info: PublicKeyInfo;
  try {
    info = inspectPublicKey(spki);
  } catch {
    return false;
  }
  if (!schemeFitsKey(scheme, info)) return false;
  return await crypto.verify(spki, algorithm, data, signature);
}
