/**
 * Which signature algorithms and public keys a certificate may use. The
 * accepted set is the CA/Browser Forum's (Baseline Requirements §6.1.5,
 * §7.1.3): RSA of at least 2048 bits with PKCS#1 v1.5 or PSS over SHA-2,
 * ECDSA on P-256, P-384 or P-521 with SHA-2, and Ed25519 (RFC 8410). SHA-1,
 * MD5, DSA, small RSA keys, P-192 and explicit curve parameters are refused.
 *
 * @module
 */

import type {
  SignatureAlgorithm as CertificateSignatureParams,
  SignatureHash as CertificateHash,
} from "../crypto/provider.ts";
import { describePublicKey, inspectPublicKey, OID } from "../crypto/public_key.ts";
import { isNistCurve } from "../crypto/sizes.ts";
import { contextTag, DerError, DerReader, Tag } from "../wire/der.ts";

/** A signature algorithm this engine checks, or why it will not. */
export type SignatureAlgorithm =
  | { readonly name: string; readonly params: CertificateSignatureParams }
  | { readonly name: string; readonly refused: string };

const HASHES: Record<string, CertificateHash | "SHA-1"> = {
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

const SIMPLE: Record<string, [string, CertificateSignatureParams | string]> = {
  "1.2.840.113549.1.1.11": ["sha256WithRSAEncryption", { kind: "rsa-pkcs1", hash: "SHA-256" }],
  "1.2.840.113549.1.1.12": ["sha384WithRSAEncryption", { kind: "rsa-pkcs1", hash: "SHA-384" }],
  "1.2.840.113549.1.1.13": ["sha512WithRSAEncryption", { kind: "rsa-pkcs1", hash: "SHA-512" }],
  "1.2.840.10045.4.3.2": ["ecdsa-with-SHA256", { kind: "ecdsa", hash: "SHA-256" }],
  "1.2.840.10045.4.3.3": ["ecdsa-with-SHA384", { kind: "ecdsa", hash: "SHA-384" }],
  "1.2.840.10045.4.3.4": ["ecdsa-with-SHA512", { kind: "ecdsa", hash: "SHA-512" }],
  [OID.ed25519]: ["Ed25519", { kind: "ed25519" }],
  "1.2.840.113549.1.1.2": ["md2WithRSAEncryption", "MD2 is broken"],
  "1.2.840.113549.1.1.4": ["md5WithRSAEncryption", "MD5 is broken"],
  "1.2.840.113549.1.1.5": ["sha1WithRSAEncryption", "SHA-1 signatures are forgeable"],
  "1.2.840.113549.1.1.14": ["sha224WithRSAEncryption", "SHA-224 is not accepted"],
  "1.2.840.10045.4.1": ["ecdsa-with-SHA1", "SHA-1 signatures are forgeable"],
  "1.2.840.10045.4.3.1": ["ecdsa-with-SHA224", "SHA-224 is not accepted"],
  "1.2.840.10040.4.3": ["dsa-with-sha1", "DSA is not accepted"],
  "2.16.840.1.101.3.4.3.2": ["dsa-with-sha256", "DSA is not accepted"],
  [OID.ed448]: ["Ed448", "Ed448 is not supported"],
};

const RSA_PSS = "1.2.840.113549.1.1.10";

/** Names of key types refused, for messages. */
const KEY_TYPES: Record<string, string> = {
  "1.2.840.10040.4.1": "DSA",
  [OID.ed448]: "Ed448",
  [OID.x25519]: "X25519",
  "1.3.101.111": "X448",
};
const MGF1 = "1.2.840.113549.1.1.8";

/** Identifies the signature AlgorithmIdentifier (DER) of a certificate. */
export function signatureAlgorithm(der: Uint8Array): SignatureAlgorithm {
  try {
    const outer = new DerReader(der);
    const alg = outer.sequence();
    outer.end();
    const oid = alg.oid();
    if (oid === RSA_PSS) return pss(alg);
    const known = SIMPLE[oid];
    if (!known) return { name: oid, refused: "the algorithm is not supported" };
    const [name, params] = known;
    if (typeof params === "string") return { name, refused: params };
    // RFC 4055 §5: NULL parameters for PKCS#1 v1.5 (tolerated when absent);
    // RFC 5758 §3.2 and RFC 8410 §3: no parameters for ECDSA and EdDSA.
    if (params.kind === "rsa-pkcs1") alg.optional(Tag.NULL);
    if (!alg.done) return { name, refused: "its parameters are malformed" };
    return { name, params };
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    return { name: "malformed AlgorithmIdentifier", refused: e.message };
  }
}

/** RFC 4055 §3.1: RSASSA-PSS-params, with MGF1 over the same hash and trailerField 1. */
function pss(alg: DerReader): SignatureAlgorithm {
  const params = alg.sequence();
  alg.end();
  const hashOf = (r: DerReader): CertificateHash | "SHA-1" | undefined => {
    const a = r.sequence();
    const h = HASHES[a.oid()];
    a.optional(Tag.NULL);
    a.end();
    return h;
  };
  let hash: CertificateHash | "SHA-1" | undefined = "SHA-1";
  let mgfHash: CertificateHash | "SHA-1" | undefined = "SHA-1";
  let saltLength = 20;
  const h = params.optional(contextTag(0, true));
  if (h) hash = hashOf(new DerReader(h));
  const m = params.optional(contextTag(1, true));
  if (m) {
    const mgf = new DerReader(m).sequence();
    if (mgf.oid() !== MGF1) {
      return { name: "RSASSA-PSS", refused: "its mask generation is not MGF1" };
    }
    mgfHash = hashOf(mgf);
    mgf.end();
  }
  const s = params.optional(contextTag(2, true));
  if (s) {
    const n = new DerReader(s).unsignedInteger();
    saltLength = n.length > 2 ? 0x10000 : n.reduce((a, b) => a * 256 + b, 0);
  }
  const t = params.optional(contextTag(3, true));
  if (t) {
    const n = new DerReader(t).unsignedInteger();
    if (n.length !== 1 || n[0] !== 1) {
      return { name: "RSASSA-PSS", refused: "trailerField is not 1" };
    }
  }
  params.end();
  const name = `RSASSA-PSS (${hash ?? "unknown hash"}, salt ${saltLength})`;
  if (hash === undefined) return { name, refused: "its hash is not supported" };
  if (hash === "SHA-1") return { name, refused: "SHA-1 signatures are forgeable" };
  if (mgfHash !== hash) return { name, refused: "MGF1 uses a different hash than the signature" };
  return { name, params: { kind: "rsa-pss", hash, saltLength } };
}

/**
 * Why the key in `spki` is refused, or undefined if it is acceptable:
 * CABF Baseline Requirements §6.1.5 (RSA: at least 2048 bits, a multiple of
 * 8; ECDSA: P-256, P-384 or P-521 as a named curve) plus Ed25519.
 */
export function keyProblem(spki: Uint8Array): string | undefined {
  let key;
  try {
    key = inspectPublicKey(spki);
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    return `its public key cannot be parsed (${e.message})`;
  }
  switch (key.type) {
    case "rsa":
      if (key.bits < 2048) return `its RSA key has ${key.bits} bits (at least 2048 are required)`;
      if (key.bits % 8 !== 0) {
        return `its RSA key has ${key.bits} bits, not a multiple of 8 (CABF Baseline Requirements §6.1.5)`;
      }
      return undefined;
    case "ecdsa":
      if (isNistCurve(key.curve)) return undefined;
      if (key.curve === "P-192") return "its key is on curve P-192, which is too weak";
      if (key.curve === "unnamed curve") {
        return "its EC key has explicit curve parameters (RFC 5480 §2.1.1 requires a named curve)";
      }
      return `its key is on an unsupported curve (${key.curve})`;
    case "ed25519":
      return undefined;
    case "unknown":
      return `its key type (${KEY_TYPES[key.oid] ?? key.oid}) is not supported`;
    default:
      return `its key type (${describePublicKey(key)}) is not supported`;
  }
}
