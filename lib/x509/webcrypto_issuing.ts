/**
 * The WebCrypto boundary of certificate issuing (`handshake ca`), outside
 * every crypto provider: `@peculiar/x509` signs with WebCrypto `CryptoKey`s,
 * so the keys of the certificates `ca` issues are generated on WebCrypto,
 * kept as PKCS#8 (RFC 5208), and imported again to sign certificates with
 * the algorithm a CA uses for that key: ECDSA with the hash that matches the
 * curve (RFC 5758 §3.2), Ed25519 (RFC 8410 §6), and RSA with
 * sha256WithRSAEncryption, PKCS#1 v1.5 (RFC 4055 §5). Also the SHA-256
 * fingerprints `ca` prints.
 *
 * This is the one place outside `lib/crypto/<provider>/` where keys meet
 * `crypto.subtle`; TLS connections never load it.
 *
 * @module
 */

import { readPkcs8 } from "../crypto/pkcs8.ts";
import { describePublicKey } from "../crypto/public_key.ts";

/** The key types `handshake ca` makes certificates for. */
export type KeyType =
  | "ecdsa-p256"
  | "ecdsa-p384"
  | "ed25519"
  | "rsa-2048"
  | "rsa-3072"
  | "rsa-4096";

/** Every KeyType, default first. */
export const KEY_TYPES: readonly KeyType[] = [
  "ecdsa-p256",
  "ecdsa-p384",
  "ed25519",
  "rsa-2048",
  "rsa-3072",
  "rsa-4096",
];

/** Whether `s` names a KeyType. */
export function isKeyType(s: string): s is KeyType {
  return (KEY_TYPES as readonly string[]).includes(s);
}

/** A key pair: the private key as PKCS#8 DER, the public key as SubjectPublicKeyInfo DER. */
export interface CertificateKey {
  readonly keyType: KeyType;
  readonly pkcs8: Uint8Array;
  readonly spki: Uint8Array;
}

const RSA_EXPONENT = new Uint8Array([1, 0, 1]);

/** The WebCrypto algorithm of a key type, as used to sign certificates. */
function algorithm(keyType: KeyType): EcKeyImportParams | RsaHashedImportParams | Algorithm {
  switch (keyType) {
    case "ecdsa-p256":
      return { name: "ECDSA", namedCurve: "P-256" };
    case "ecdsa-p384":
      return { name: "ECDSA", namedCurve: "P-384" };
    case "ed25519":
      return { name: "Ed25519" };
    default:
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  }
}

/**
 * The signature algorithm a certificate signed by a `keyType` key carries:
 * ecdsa-with-SHA256 for P-256 and ecdsa-with-SHA384 for P-384 (the hash
 * matches the curve's strength), Ed25519, or sha256WithRSAEncryption.
 */
export function signatureAlgorithm(keyType: KeyType): Algorithm | EcdsaParams {
  switch (keyType) {
    case "ecdsa-p256":
      return { name: "ECDSA", hash: "SHA-256" };
    case "ecdsa-p384":
      return { name: "ECDSA", hash: "SHA-384" };
    case "ed25519":
      return { name: "Ed25519" };
    default:
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  }
}

/** Generates a new key pair of `keyType`. */
export async function generateCertificateKey(keyType: KeyType): Promise<CertificateKey> {
  const alg = keyType.startsWith("rsa-")
    ? {
      ...algorithm(keyType),
      modulusLength: Number(keyType.slice(4)),
      publicExponent: RSA_EXPONENT,
    }
    : algorithm(keyType);
  const pair = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const [pkcs8, spki] = await Promise.all([
    crypto.subtle.exportKey("pkcs8", pair.privateKey),
    crypto.subtle.exportKey("spki", pair.publicKey),
  ]);
  return { keyType, pkcs8: new Uint8Array(pkcs8), spki: new Uint8Array(spki) };
}

/**
 * Reads a PKCS#8 private key made elsewhere (an existing CA's key): its type,
 * and its public key, derived from the private one (WebCrypto exports the
 * public parts in a private JWK, RFC 7518 §6). Throws an Error that says
 * what the key is when it is not one of the KeyTypes.
 */
export async function readCertificateKey(pkcs8: Uint8Array): Promise<CertificateKey> {
  const info = readPkcs8(pkcs8);
  const keyType: string = info.type === "ecdsa"
    ? `ecdsa-${info.curve.replace("-", "").toLowerCase()}`
    : info.type === "rsa"
    ? `rsa-${info.bits}`
    : info.type;
  if (!isKeyType(keyType)) {
    throw new Error(`the key is ${describePublicKey(info)}; supported: ${KEY_TYPES.join(", ")}`);
  }
  const alg = algorithm(keyType);
  let jwk: JsonWebKey;
  try {
    const key = await crypto.subtle.importKey("pkcs8", pkcs8 as BufferSource, alg, true, ["sign"]);
    jwk = await crypto.subtle.exportKey("jwk", key);
  } catch (e) {
    throw new Error(`the ${keyType} key cannot be used (${(e as Error).message})`);
  }
  const { kty, crv, n, e, x, y } = jwk;
  const pub = await crypto.subtle.importKey("jwk", { kty, crv, n, e, x, y }, alg, true, [
    "verify",
  ]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pub));
  return { keyType, pkcs8, spki };
}

/** Imports a CertificateKey's private half to sign certificates with signatureAlgorithm(). */
export function importSigningKey(
  key: Pick<CertificateKey, "keyType" | "pkcs8">,
): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "pkcs8",
    key.pkcs8 as BufferSource,
    algorithm(key.keyType),
    false,
    [
      "sign",
    ],
  );
}

/** SHA-256 of `data` (for the fingerprints `ca` prints). */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
}
