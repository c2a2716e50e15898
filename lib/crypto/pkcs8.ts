/**
 * The one reader of private keys: a PKCS#8 PrivateKeyInfo (RFC 5208 §5,
 * RFC 5958 §2) from the PEM blocks of a key file, and what kind of key it
 * holds. Every provider, the `ca` mode and the certificate/key loader go
 * through it, so a key file is refused the same way everywhere.
 *
 * @module
 */

import { DerError, DerReader, Tag } from "../wire/der.ts";
import { OID, type PublicKeyInfo } from "./public_key.ts";
import { curveOfOid } from "./sizes.ts";

/** One decoded PEM block (lib/x509/pem.ts `decodePem` gives these). */
export interface PemBlockLike {
  readonly label: string;
  readonly der: Uint8Array;
}

/** A key file that holds no usable PKCS#8 key; the message says what it holds and what to do. */
export class Pkcs8Error extends Error {
  /** `message` completes "the key file ...": "it is encrypted; ...". */
  constructor(message: string) {
    super(message);
    this.name = "Pkcs8Error";
  }
}

/** The labels of the keys that predate PKCS#8, and the standard that defines each. */
const LEGACY_LABELS: Record<string, string> = {
  "EC PRIVATE KEY": "SEC 1",
  "RSA PRIVATE KEY": "PKCS#1",
};

/**
 * The DER of the first `PRIVATE KEY` block (RFC 7468 §10). Throws a
 * Pkcs8Error for a file without one: an encrypted key (§11), a SEC 1 or
 * PKCS#1 key, or no key at all.
 */
export function pkcs8FromPem(blocks: readonly PemBlockLike[]): Uint8Array {
  const block = blocks.find((b) => b.label === "PRIVATE KEY");
  if (block) return block.der;
  const other = blocks.find((b) => b.label.endsWith("PRIVATE KEY"));
  if (other?.label === "ENCRYPTED PRIVATE KEY") {
    throw new Pkcs8Error("it is encrypted; decrypt it with `openssl pkcs8 -in KEY -out KEY8`");
  }
  if (other && LEGACY_LABELS[other.label]) {
    throw new Pkcs8Error(
      `it is a ${LEGACY_LABELS[other.label]} key; convert it to PKCS#8 with ` +
        "`openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY8`",
    );
  }
  if (other) {
    throw new Pkcs8Error(`it holds a "${other.label}" PEM block, not a PKCS#8 PRIVATE KEY`);
  }
  throw new Pkcs8Error("it holds no PRIVATE KEY PEM block");
}

/**
 * What a DER PrivateKeyInfo holds: the key type and its curve or modulus
 * size. Throws a Pkcs8Error ("not a PKCS#8 private key (...)") when the
 * DER is not a PrivateKeyInfo.
 */
export function readPkcs8(der: Uint8Array): PublicKeyInfo {
  try {
    return privateKeyInfo(der);
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    throw new Pkcs8Error(`not a PKCS#8 private key (${e.message})`);
  }
}

/**
 * RFC 5958 §2: SEQUENCE { version, privateKeyAlgorithm, privateKey OCTET
 * STRING, [0] attributes, [1] publicKey }; what follows the key is not read.
 */
function privateKeyInfo(der: Uint8Array): PublicKeyInfo {
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
      return { type: "ecdsa", curve: curveOfOid(curve) ?? curve };
    }
    case OID.ed25519:
      return { type: "ed25519" };
    case OID.rsaEncryption:
    case OID.rsassaPss: {
      // RFC 8017 §A.1.2: RSAPrivateKey ::= SEQUENCE { version, modulus, ... }
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
