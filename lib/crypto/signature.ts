/**
 * Signature schemes (RFC 8446 §4.2.3) on WebCrypto: which key each scheme
 * needs, verification with a peer's SubjectPublicKeyInfo, and signing with
 * our own private key. ECDSA signatures travel DER-encoded in TLS and X.509
 * (RFC 3279 §2.2.3) while WebCrypto speaks raw r‖s, so both directions are
 * converted here.
 *
 * @module
 */

import { SignatureScheme } from "../codepoints.ts";
import { DerError, derItem, DerReader, derUnsignedInteger, Tag } from "../wire/der.ts";
import type { HashName } from "./suites.ts";
import { inspectPublicKey, type PublicKeyInfo } from "./public_key.ts";

/** What a signature scheme requires of the key and how WebCrypto runs it. */
export interface SchemeInfo {
  readonly key: "ecdsa" | "ed25519" | "rsa";
  /** For ECDSA: the curve the key must be on (TLS 1.3 binds curve and hash). */
  readonly curve?: "P-256" | "P-384" | "P-521";
  readonly hash?: HashName | "SHA-512" | "SHA-1";
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

/** What `scheme` needs, if it is implemented. */
export function schemeInfo(scheme: number): SchemeInfo | undefined {
  return SCHEMES.get(scheme);
}

/** Whether a key of this kind can make signatures of `scheme`. */
export function schemeFitsKey(scheme: number, key: PublicKeyInfo): boolean {
  const s = SCHEMES.get(scheme);
  if (!s) return false;
  if (s.key === "ecdsa") return key.type === "ecdsa" && key.curve === s.curve;
  if (s.key === "rsa") return key.type === "rsa";
  return key.type === s.key;
}

const COORDINATE: Record<string, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/** Verifies `signature` over `data` with the key in `spki`. Returns false on any mismatch. */
export async function verifySignature(
  scheme: number,
  spki: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const s = SCHEMES.get(scheme);
  if (!s) return false;
  let info: PublicKeyInfo;
  try {
    info = inspectPublicKey(spki);
  } catch {
    return false;
  }
  if (!schemeFitsKey(scheme, info)) return false;
  try {
    const { importAlg, verifyAlg } = webCryptoParams(s);
    const key = await crypto.subtle.importKey("spki", spki as BufferSource, importAlg, false, [
      "verify",
    ]);
    const sig = s.key === "ecdsa" ? ecdsaDerToRaw(signature, COORDINATE[s.curve!]) : signature;
    return await crypto.subtle.verify(verifyAlg, key, sig as BufferSource, data as BufferSource);
  } catch (e) {
    if (e instanceof DerError || e instanceof DOMException) return false;
    throw e;
  }
}

function webCryptoParams(s: SchemeInfo): {
  importAlg: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams;
  verifyAlg: AlgorithmIdentifier | EcdsaParams | RsaPssParams;
} {
  switch (s.key) {
    case "ecdsa":
      return {
        importAlg: { name: "ECDSA", namedCurve: s.curve! },
        verifyAlg: { name: "ECDSA", hash: s.hash! },
      };
    case "ed25519":
      return { importAlg: { name: "Ed25519" }, verifyAlg: { name: "Ed25519" } };
    case "rsa":
      return s.padding === "pss"
        ? {
          importAlg: { name: "RSA-PSS", hash: s.hash! },
          // RFC 8446 §4.2.3: the salt is as long as the digest.
          verifyAlg: { name: "RSA-PSS", saltLength: hashBytes(s.hash!) },
        }
        : {
          importAlg: { name: "RSASSA-PKCS1-v1_5", hash: s.hash! },
          verifyAlg: { name: "RSASSA-PKCS1-v1_5" },
        };
  }
}

function hashBytes(hash: string): number {
  return ({ "SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 } as Record<string, number>)[
    hash
  ];
}

/** ECDSA-Sig-Value (DER SEQUENCE of r, s) → WebCrypto's fixed-width r‖s. */
export function ecdsaDerToRaw(der: Uint8Array, width: number): Uint8Array {
  const outer = new DerReader(der);
  const seq = outer.sequence();
  outer.end();
  const r = seq.unsignedInteger(), s = seq.unsignedInteger();
  seq.end();
  if (r.length > width || s.length > width) throw new DerError("ECDSA value too long for curve");
  const raw = new Uint8Array(2 * width);
  raw.set(r, width - r.length);
  raw.set(s, 2 * width - s.length);
  return raw;
}

/** WebCrypto's r‖s → DER ECDSA-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const w = raw.length / 2;
  const r = derUnsignedInteger(raw.subarray(0, w));
  const s = derUnsignedInteger(raw.subarray(w));
  const body = new Uint8Array(r.length + s.length);
  body.set(r);
  body.set(s, r.length);
  return derItem(Tag.SEQUENCE, body);
}
