/**
 * Our own private key (PKCS#8, RFC 5208), imported once into WebCrypto and
 * used for CertificateVerify (RFC 8446 §4.4.3) with whichever scheme fits
 * both the key and what the peer accepts.
 *
 * @module
 */

import { SignatureScheme } from "../codepoints.ts";
import { DerError, DerReader, Tag } from "../wire/der.ts";
import { OID, type PublicKeyInfo } from "./public_key.ts";
import { ecdsaRawToDer, HANDSHAKE_SCHEMES, schemeFitsKey, schemeInfo } from "./signature.ts";

const CURVE_BY_OID: Record<string, "P-256" | "P-384" | "P-521"> = {
  [OID.p256]: "P-256",
  [OID.p384]: "P-384",
  [OID.p521]: "P-521",
};

/** A private key that signs handshakes. Non-extractable once imported. */
export class SigningKey {
  /** The key's type and size. */
  readonly info: PublicKeyInfo;
  /** The TLS 1.3 schemes this key can sign with, in order of preference. */
  readonly schemes: readonly number[];
  readonly #pkcs8: Uint8Array;
  readonly #imported = new Map<number, Promise<CryptoKey>>();

  private constructor(info: PublicKeyInfo, pkcs8: Uint8Array) {
    this.info = info;
    this.#pkcs8 = pkcs8;
    this.schemes = HANDSHAKE_SCHEMES.filter((s) => schemeFitsKey(s, info));
  }

  /**
   * Reads a PKCS#8 PrivateKeyInfo and imports it. Throws an Error with a
   * readable message for unsupported or malformed keys.
   */
  static async fromPkcs8(der: Uint8Array): Promise<SigningKey> {
    let info: PublicKeyInfo;
    try {
      info = inspectPrivateKey(der);
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
    const key = new SigningKey(info, der);
    await key.#key(key.schemes[0]); // import now, so a bad key fails at start
    return key;
  }

  /** The first of our schemes that the peer accepts, if any. */
  chooseScheme(peerSchemes: readonly number[]): number | undefined {
    return this.schemes.find((s) => peerSchemes.includes(s));
  }

  /** Signs `data` with `scheme`; ECDSA signatures come out DER-encoded, as TLS sends them. */
  async sign(scheme: number, data: Uint8Array): Promise<Uint8Array> {
    const s = schemeInfo(scheme);
    if (!s || !this.schemes.includes(scheme)) {
      throw new Error(`this key cannot sign with ${SignatureScheme.name(scheme)}`);
    }
    const key = await this.#key(scheme);
    const alg = s.key === "ecdsa" ? { name: "ECDSA", hash: s.hash! } : s.key === "rsa"
      ? {
        name: "RSA-PSS",
        saltLength: ({ "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 })[s.hash as "SHA-256"],
      }
      : { name: "Ed25519" };
    const sig = new Uint8Array(await crypto.subtle.sign(alg, key, data as BufferSource));
    return s.key === "ecdsa" ? ecdsaRawToDer(sig) : sig;
  }

  /** The WebCrypto key for `scheme` (RSA-PSS binds the hash to the key, so RSA has one per hash). */
  #key(scheme: number): Promise<CryptoKey> {
    const s = schemeInfo(scheme)!;
    const slot = s.key === "rsa" ? scheme : 0;
    let k = this.#imported.get(slot);
    if (!k) {
      const alg = s.key === "ecdsa"
        ? { name: "ECDSA", namedCurve: s.curve! }
        : s.key === "rsa"
        ? { name: "RSA-PSS", hash: s.hash! }
        : { name: "Ed25519" };
      k = crypto.subtle.importKey("pkcs8", this.#pkcs8 as BufferSource, alg, false, ["sign"]);
      this.#imported.set(slot, k);
    }
    return k;
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
