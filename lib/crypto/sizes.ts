/**
 * The one table of hash output lengths and curve sizes that the providers,
 * the key schedule, the key share checks and X.509 read, so that "SHA-384
 * is 48 bytes" and "a P-256 point is 65 bytes" are written once.
 *
 * @module
 */

/** Output length in bytes of each hash met here (FIPS 180-4 §1; SHA-1 only to name it in refusals). */
export const HASH_LENGTH = {
  "SHA-1": 20,
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
} as const;

/** A hash named as WebCrypto names it. */
export type HashAlgorithm = keyof typeof HASH_LENGTH;

/** The output length of `hash`; a TypeError for a hash not in the table. */
export function hashLength(hash: HashAlgorithm): number {
  const n = HASH_LENGTH[hash];
  if (n === undefined) throw new TypeError(`unknown hash ${hash}`);
  return n;
}

/**
 * The NIST curves of TLS and the Web PKI (FIPS 186-5, SEC 2 §2.4–2.6): the
 * OID that names the curve in a key (RFC 5480 §2.1.1.1), OpenSSL's name
 * for it, and the byte width of a coordinate, a scalar and an ECDH shared
 * secret (all the same).
 */
export const NIST_CURVES = {
  "P-256": { oid: "1.2.840.10045.3.1.7", opensslName: "prime256v1", size: 32 },
  "P-384": { oid: "1.3.132.0.34", opensslName: "secp384r1", size: 48 },
  "P-521": { oid: "1.3.132.0.35", opensslName: "secp521r1", size: 66 },
} as const;

/** A curve of NIST_CURVES. */
export type NistCurve = keyof typeof NIST_CURVES;

/** Whether `name` is one of NIST_CURVES ("P-256", "P-384", "P-521"). */
export function isNistCurve(name: string): name is NistCurve {
  return Object.hasOwn(NIST_CURVES, name);
}

/** The curve an OID names, if it is one of NIST_CURVES. */
export function curveOfOid(oid: string): NistCurve | undefined {
  return (Object.keys(NIST_CURVES) as NistCurve[]).find((c) => NIST_CURVES[c].oid === oid);
}

/** The curve OpenSSL calls `name` ("prime256v1", or "P-256" itself), if it is one of NIST_CURVES. */
export function curveOfOpensslName(name: string): NistCurve | undefined {
  if (isNistCurve(name)) return name;
  return (Object.keys(NIST_CURVES) as NistCurve[]).find((c) => NIST_CURVES[c].opensslName === name);
}

/** An uncompressed point (SEC 1 §2.3.3: 0x04 ‖ x ‖ y), as TLS 1.3 key shares carry it (RFC 8446 §4.2.8.2). */
export function uncompressedPointLength(curve: NistCurve): number {
  return 1 + 2 * NIST_CURVES[curve].size;
}

/**
 * X25519 (RFC 7748 §5) and Ed25519 (RFC 8032 §5.1.5): private keys, public
 * keys and X25519's shared secret are all 32 bytes.
 */
export const CURVE25519_KEY_LENGTH = 32;
