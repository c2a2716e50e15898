/**
 * Building EVP_PKEYs from the bytes TLS and X.509 carry. OpenSSL 3.0's DER
 * decoders (`d2i_PUBKEY`, `d2i_AutoPrivateKey`) cost 50–350 µs per key,
 * more than the operations the keys are for, so the common public keys are
 * built from their parts instead: raw X25519/Ed25519 values, EC points and
 * RSA moduli (EVP_PKEY_fromdata). Anything else goes through the decoders.
 * Every function returns a new EVP_PKEY that the caller frees.
 *
 * @module
 */

import { DerError, DerReader, Tag } from "../../wire/der.ts";
import {
  CURVE25519_KEY_LENGTH,
  curveOfOid,
  curveOfOpensslName,
  type NistCurve,
  uncompressedPointLength,
} from "../sizes.ts";
import { libcrypto } from "./libcrypto.ts";
import { check, cString, drainErrors, nonNull, outPointer, outWord } from "./native.ts";
import { ParamBlock } from "./params.ts";

/** `EVP_PKEY_*` type numbers (openssl/evp.h, the NIDs of openssl/obj_mac.h). */
export const EVP_PKEY = {
  RSA: 6,
  RSA_PSS: 912,
  EC: 408,
  X25519: 1034,
  ED25519: 1087,
} as const;

/** `EVP_PKEY_PUBLIC_KEY` (openssl/evp.h): domain parameters and the public key. */
const EVP_PKEY_PUBLIC_KEY = 0x86;

/** Object identifiers of the SubjectPublicKeyInfo algorithms built by hand. */
const OID_EC = "1.2.840.10045.2.1";
const OID_RSA = "1.2.840.113549.1.1.1";
const OID_ED25519 = "1.3.101.112";

/** What kind of key an EVP_PKEY holds. */
export type KeyKind =
  | { readonly type: "ecdsa"; readonly curve: string }
  | { readonly type: "ed25519" }
  | { readonly type: "rsa"; readonly bits: number }
  | { readonly type: "rsa-pss"; readonly bits: number }
  | { readonly type: "other"; readonly id: number };

const groupName = new Uint8Array(64);

/** The kind (and curve or size) of the key `pkey`. */
export function keyKind(pkey: Deno.PointerObject): KeyKind {
  const lib = libcrypto();
  const id = lib.EVP_PKEY_get_base_id(pkey);
  switch (id) {
    case EVP_PKEY.EC: {
      let curve = "unnamed curve";
      if (lib.EVP_PKEY_get_group_name(pkey, groupName, BigInt(groupName.length), outWord) === 1) {
        const name = new TextDecoder().decode(groupName.subarray(0, Number(outWord[0])));
        curve = curveOfOpensslName(name) ?? name;
      } else {
        drainErrors();
      }
      return { type: "ecdsa", curve };
    }
    case EVP_PKEY.ED25519:
      return { type: "ed25519" };
    case EVP_PKEY.RSA:
      return { type: "rsa", bits: lib.EVP_PKEY_get_bits(pkey) };
    case EVP_PKEY.RSA_PSS:
      return { type: "rsa-pss", bits: lib.EVP_PKEY_get_bits(pkey) };
    default:
      return { type: "other", id };
  }
}

/** The largest RSA modulus (and exponent) built by hand: 16384 bits. */
const RSA_MAX_BYTES = 2048;

/**
 * Decodes a DER SubjectPublicKeyInfo (`d2i_PUBKEY`) or PKCS#8 private key
 * (`d2i_AutoPrivateKey`). The DER must be exactly one structure: trailing
 * bytes are refused. Returns an Error (with OpenSSL's reasons) on failure.
 */
export function decodeKey(
  kind: "public" | "private",
  der: Uint8Array,
): Deno.PointerObject | Error {
  if (der.length === 0) return new Error("the key is empty");
  const lib = libcrypto();
  // A copy in a buffer of its own, over 64 bytes so that it lives outside V8's
  // heap and its address cannot change while OpenSSL holds it in `*pp`.
  const copy = new Uint8Array(Math.max(der.length, 128));
  copy.set(der);
  const start = Deno.UnsafePointer.value(Deno.UnsafePointer.of(copy));
  const slot = new BigUint64Array([start]); // const unsigned char **pp, advanced by the decoder
  const length = Deno.build.os === "windows" ? der.length : BigInt(der.length);
  try {
    const pkey = kind === "public"
      ? lib.d2i_PUBKEY(null, slot, length)
      : lib.d2i_AutoPrivateKey(null, slot, length);
    if (!pkey) return new Error(drainErrors() || "not a key OpenSSL can read");
    const read = Number(slot[0] - start);
    if (read !== der.length) {
      lib.EVP_PKEY_free(pkey);
      return new Error(`${der.length - read} bytes follow the key`);
    }
    return pkey;
  } finally {
    copy.fill(0);
  }
}

const RAW_KEY_LENGTH = BigInt(CURVE25519_KEY_LENGTH);

/** An X25519 or Ed25519 key from its 32 raw bytes (RFC 7748, RFC 8032). */
export function rawKey(
  kind: "public" | "private",
  type: typeof EVP_PKEY.X25519 | typeof EVP_PKEY.ED25519,
  bytes: Uint8Array,
): Deno.PointerObject | Error {
  if (bytes.length !== CURVE25519_KEY_LENGTH) {
    return new Error(`a raw key is ${CURVE25519_KEY_LENGTH} bytes, got ${bytes.length}`);
  }
  const lib = libcrypto();
  const pkey = kind === "public"
    ? lib.EVP_PKEY_new_raw_public_key(type, null, bytes, RAW_KEY_LENGTH)
    : lib.EVP_PKEY_new_raw_private_key(type, null, bytes, RAW_KEY_LENGTH);
  return pkey ?? new Error(drainErrors() || "the raw key was refused");
}

/** One EVP_PKEY_CTX per key type, set up for EVP_PKEY_fromdata once and reused. */
const fromdataContexts = new Map<string, Deno.PointerObject>();

function fromdataContext(type: "EC" | "RSA"): Deno.PointerObject {
  let ctx = fromdataContexts.get(type);
  if (ctx) return ctx;
  const lib = libcrypto();
  ctx = nonNull(lib.EVP_PKEY_CTX_new_from_name(null, cString(type), null), `EVP_PKEY_CTX(${type})`);
  try {
    check(lib.EVP_PKEY_fromdata_init(ctx), `EVP_PKEY_fromdata_init(${type})`);
  } catch (e) {
    lib.EVP_PKEY_CTX_free(ctx);
    throw e;
  }
  fromdataContexts.set(type, ctx);
  return ctx;
}

function fromdata(type: "EC" | "RSA", params: ParamBlock): Deno.PointerObject | Error {
  outWord[0] = 0n; // EVP_PKEY_fromdata fills *ppkey only if it is NULL
  const ok = libcrypto().EVP_PKEY_fromdata(
    fromdataContext(type),
    outWord,
    EVP_PKEY_PUBLIC_KEY,
    params.params,
  );
  const pkey = outPointer();
  if (ok !== 1 || !pkey) return new Error(drainErrors() || `the ${type} key was refused`);
  return pkey;
}

const ecParams = new Map<string, ParamBlock>();
/** The longest encoded point: an uncompressed one on P-521. */
const MAX_POINT = uncompressedPointLength("P-521");

/**
 * An EC public key from its encoded point (SEC 1 §2.3.3) on a named curve.
 * OpenSSL refuses a point that is not on the curve.
 */
export function ecPublicKey(
  curve: NistCurve,
  point: Uint8Array,
): Deno.PointerObject | Error {
  let params = ecParams.get(curve);
  if (!params) {
    params = new ParamBlock([
      { key: "group", type: "utf8", value: curve },
      { key: "pub", type: "octets", capacity: MAX_POINT },
    ]);
    ecParams.set(curve, params);
  }
  if (point.length === 0 || point.length > MAX_POINT) {
    return new Error(`a ${point.length}-byte EC point is not possible`);
  }
  params.set(1, point);
  return fromdata("EC", params);
}

let rsaParams: ParamBlock | undefined;

/** An RSA public key from its modulus and exponent (big-endian magnitudes). */
function rsaPublicKey(n: Uint8Array, e: Uint8Array): Deno.PointerObject | Error {
  rsaParams ??= new ParamBlock([
    { key: "n", type: "uint", capacity: RSA_MAX_BYTES },
    { key: "e", type: "uint", capacity: RSA_MAX_BYTES },
  ]);
  rsaParams.set(0, n);
  rsaParams.set(1, e);
  return fromdata("RSA", rsaParams);
}

/**
 * A public key from a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): EC on
 * a named curve, Ed25519 and rsaEncryption keys are built from their parts;
 * anything else (or anything unusual about these) is left to `d2i_PUBKEY`.
 */
export function publicKeyFromSpki(spki: Uint8Array): Deno.PointerObject | Error {
  let parts: ReturnType<typeof spkiParts>;
  try {
    parts = spkiParts(spki);
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    return new Error(`malformed SubjectPublicKeyInfo: ${e.message}`);
  }
  switch (parts?.type) {
    case "ec":
      return ecPublicKey(parts.curve, parts.point);
    case "ed25519":
      return rawKey("public", EVP_PKEY.ED25519, parts.key);
    case "rsa":
      return rsaPublicKey(parts.n, parts.e);
    default:
      return decodeKey("public", spki);
  }
}

/** The parts of the SubjectPublicKeyInfos built by hand; undefined for others. */
function spkiParts(spki: Uint8Array):
  | { type: "ec"; curve: NistCurve; point: Uint8Array }
  | { type: "ed25519"; key: Uint8Array }
  | { type: "rsa"; n: Uint8Array; e: Uint8Array }
  | undefined {
  const outer = new DerReader(spki);
  const seq = outer.sequence();
  outer.end();
  const alg = seq.sequence();
  const oid = alg.oid();
  const bits = seq.read(Tag.BIT_STRING);
  seq.end();
  if (bits.length < 2 || bits[0] !== 0) return undefined; // unused bits: leave it to OpenSSL
  const key = bits.subarray(1);
  switch (oid) {
    case OID_EC: {
      if (alg.peekTag() !== Tag.OID) return undefined;
      const curve = curveOfOid(alg.oid());
      alg.end();
      return curve ? { type: "ec", curve, point: key } : undefined;
    }
    case OID_ED25519:
      alg.end();
      return key.length === CURVE25519_KEY_LENGTH ? { type: "ed25519", key } : undefined;
    case OID_RSA: {
      if (!alg.done && (alg.read(Tag.NULL).length !== 0 || !alg.done)) return undefined;
      const outer = new DerReader(key);
      const rsa = outer.sequence();
      outer.end();
      const n = rsa.unsignedInteger(), e = rsa.unsignedInteger();
      rsa.end();
      return n.length <= RSA_MAX_BYTES && e.length <= RSA_MAX_BYTES
        ? { type: "rsa", n, e }
        : undefined;
    }
    default:
      return undefined;
  }
}
