/**
 * Ephemeral (EC)DH through libcrypto's EVP_PKEY: X25519 (RFC 7748) and
 * ECDH on P-256 and P-384 (SEC 1), with public values in TLS 1.3's wire
 * form (RFC 8446 §4.2.8.2: 32 raw bytes for X25519, uncompressed points
 * for the NIST curves).
 *
 * @module
 */

import { decodeKey, ecPublicKey, EVP_PKEY, keyKind, rawKey } from "./keys.ts";
import { libcrypto } from "./libcrypto.ts";
import {
  check,
  cString,
  drainErrors,
  NativeOwner,
  nonNull,
  outPointer,
  outWord,
} from "./native.ts";
import { CURVE25519_KEY_LENGTH, NIST_CURVES, uncompressedPointLength } from "../sizes.ts";
import { randomBytes } from "./random.ts";

/** The groups this folder runs. */
export type GroupName = "X25519" | "P-256" | "P-384";

interface GroupParams {
  /** Length of the public value on the wire. */
  publicLength: number;
  /** Length of the private scalar and of the shared secret. */
  scalarLength: number;
  /** DER PKCS#8 PrivateKeyInfo up to the private key bytes (RFC 5915, RFC 8410). */
  pkcs8Prefix: Uint8Array;
  /** The order of the base point, for NIST curves (SEC 2 §2.4.2, §2.5.1). */
  order?: bigint;
  /** OpenSSL's group name, for key generation on a NIST curve. */
  opensslGroup?: "P-256" | "P-384";
}

const GROUPS: Record<GroupName, GroupParams> = {
  "X25519": {
    publicLength: CURVE25519_KEY_LENGTH,
    scalarLength: CURVE25519_KEY_LENGTH,
    pkcs8Prefix: Uint8Array.fromHex("302e020100300506032b656e04220420"),
  },
  "P-256": {
    publicLength: uncompressedPointLength("P-256"),
    scalarLength: NIST_CURVES["P-256"].size,
    pkcs8Prefix: Uint8Array.fromHex(
      "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420",
    ),
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    opensslGroup: "P-256",
  },
  "P-384": {
    publicLength: uncompressedPointLength("P-384"),
    scalarLength: NIST_CURVES["P-384"].size,
    pkcs8Prefix: Uint8Array.fromHex(
      "304e020100301006072a8648ce3d020106052b81040022043730350201010430",
    ),
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    opensslGroup: "P-384",
  },
};

function groupParams(group: GroupName): GroupParams {
  const p = GROUPS[group];
  if (!p) throw new TypeError(`unknown group ${group}`);
  return p;
}

/**
 * The peer's public value was refused: wrong length or form, not on the
 * curve, or a low-order X25519 point (the caller answers illegal_parameter).
 */
export class InvalidPeerKeyError extends Error {
  /** What is wrong with it, e.g. "is not a point on the curve". */
  readonly why: string;

  constructor(group: GroupName, why: string) {
    super(`the ${group} public value ${why}`);
    this.name = "InvalidPeerKeyError";
    this.why = why;
  }
}

const owner = new NativeOwner<KeyExchangeKey>(
  "EVP_PKEY (key exchange)",
  (pkey) => libcrypto().EVP_PKEY_free(pkey),
);

/** One EVP_PKEY_CTX per NIST curve, set up for key generation once and reused. */
const keygenContexts = new Map<GroupName, Deno.PointerObject>();

function keygenContext(group: GroupName, curve: string): Deno.PointerObject {
  let ctx = keygenContexts.get(group);
  if (ctx) return ctx;
  const lib = libcrypto();
  ctx = nonNull(lib.EVP_PKEY_CTX_new_from_name(null, cString("EC"), null), "EVP_PKEY_CTX_new(EC)");
  try {
    check(lib.EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init");
    check(lib.EVP_PKEY_CTX_set_group_name(ctx, cString(curve)), `set group ${curve}`);
  } catch (e) {
    lib.EVP_PKEY_CTX_free(ctx);
    throw e;
  }
  keygenContexts.set(group, ctx);
  return ctx;
}

/** `OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY` (openssl/core_names.h). */
const ENCODED_PUBLIC_KEY = cString("encoded-pub-key");

/** Reads a key's public value in wire form into a new array. */
function encodedPublicKey(pkey: Deno.PointerObject, length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  check(
    libcrypto().EVP_PKEY_get_octet_string_param(
      pkey,
      ENCODED_PUBLIC_KEY,
      out,
      BigInt(out.length),
      outWord,
    ),
    "EVP_PKEY_get_octet_string_param(encoded-pub-key)",
  );
  if (Number(outWord[0]) !== length) {
    throw new Error(`OpenSSL gave a ${outWord[0]}-byte public value, expected ${length}`);
  }
  return out;
}

/**
 * One side's ephemeral key pair. `derive` computes the shared secret with
 * a peer's public value; `free` releases the private key at once (a dropped
 * key is freed when it is collected).
 */
export class KeyExchangeKey {
  /** The group. */
  readonly group: GroupName;
  /** The public value in wire form. */
  readonly publicKey: Uint8Array<ArrayBuffer>;
  #pkey: Deno.PointerObject | null;

  private constructor(group: GroupName, pkey: Deno.PointerObject) {
    this.group = group;
    this.#pkey = pkey;
    owner.track(this, pkey);
    try {
      this.publicKey = encodedPublicKey(pkey, groupParams(group).publicLength);
    } catch (e) {
      this.free();
      throw e;
    }
  }

  /** A fresh key pair from OpenSSL's generator. */
  static generate(group: GroupName): KeyExchangeKey {
    const p = groupParams(group);
    if (!p.opensslGroup) {
      const secret = randomBytes(p.scalarLength);
      try {
        return KeyExchangeKey.fromPrivate(group, secret);
      } finally {
        secret.fill(0);
      }
    }
    outWord[0] = 0n; // EVP_PKEY_generate fills *ppkey only if it is NULL
    check(libcrypto().EVP_PKEY_generate(keygenContext(group, p.opensslGroup), outWord), "keygen");
    return new KeyExchangeKey(group, nonNull(outPointer(), `EVP_PKEY_generate(${group})`));
  }

  /**
   * A key pair from a fixed private value: 32 bytes for X25519 (RFC 7748
   * §5, clamped by the function), a big-endian scalar between 1 and the
   * group order for P-256 (32 bytes) and P-384 (48 bytes). For tests that
   * replay published or recorded connections.
   */
  static fromPrivate(group: GroupName, privateKey: Uint8Array): KeyExchangeKey {
    const p = groupParams(group);
    if (privateKey.length !== p.scalarLength) {
      throw new RangeError(
        `a ${group} private key is ${p.scalarLength} bytes, got ${privateKey.length}`,
      );
    }
    if (!p.opensslGroup) {
      const pkey = rawKey("private", EVP_PKEY.X25519, privateKey);
      if (pkey instanceof Error) {
        throw new Error(`the X25519 private key was refused: ${pkey.message}`);
      }
      return new KeyExchangeKey(group, pkey);
    }
    const d = BigInt("0x" + privateKey.toHex());
    if (d === 0n || d >= p.order!) {
      throw new RangeError(`a ${group} private key must be between 1 and the group order`);
    }
    const der = new Uint8Array(p.pkcs8Prefix.length + privateKey.length);
    der.set(p.pkcs8Prefix);
    der.set(privateKey, p.pkcs8Prefix.length);
    try {
      return KeyExchangeKey.fromPkcs8(group, der);
    } finally {
      der.fill(0);
    }
  }

  /**
   * A key pair from a PKCS#8 private key (RFC 8410 for X25519, RFC 5915
   * for EC), for the same replays. EC keys go through OpenSSL's DER decoder,
   * which is slow but only meets fixed test keys.
   */
  static fromPkcs8(group: GroupName, pkcs8: Uint8Array): KeyExchangeKey {
    const p = groupParams(group);
    const prefix = p.pkcs8Prefix;
    if (
      !p.opensslGroup && pkcs8.length === prefix.length + p.scalarLength &&
      prefix.every((b, i) => pkcs8[i] === b)
    ) {
      return KeyExchangeKey.fromPrivate(group, pkcs8.subarray(prefix.length));
    }
    const pkey = decodeKey("private", pkcs8);
    if (pkey instanceof Error) {
      throw new Error(`the ${group} private key was refused: ${pkey.message}`);
    }
    const kind = keyKind(pkey);
    const fits = p.opensslGroup
      ? kind.type === "ecdsa" && kind.curve === p.opensslGroup
      : kind.type === "other" && kind.id === EVP_PKEY.X25519;
    if (!fits) {
      libcrypto().EVP_PKEY_free(pkey);
      throw new Error(`the private key is not a ${group} key`);
    }
    return new KeyExchangeKey(group, pkey);
  }

  /**
   * The shared secret with the peer's public value `peerPublic` (checked:
   * length, uncompressed form, on the curve; X25519 refuses low-order points
   * whose secret is all zeros, RFC 7748 §6.1). Throws InvalidPeerKeyError.
   */
  derive(peerPublic: Uint8Array): Uint8Array<ArrayBuffer> {
    if (!this.#pkey) throw new Error(`this ${this.group} key has been freed`);
    const p = groupParams(this.group);
    if (peerPublic.length !== p.publicLength) {
      throw new InvalidPeerKeyError(
        this.group,
        `is ${peerPublic.length} bytes, expected ${p.publicLength}`,
      );
    }
    if (p.opensslGroup && peerPublic[0] !== 4) {
      throw new InvalidPeerKeyError(
        this.group,
        "is not an uncompressed point (first byte is not 0x04)",
      );
    }
    const lib = libcrypto();
    const peer = p.opensslGroup
      ? ecPublicKey(p.opensslGroup, peerPublic)
      : rawKey("public", EVP_PKEY.X25519, peerPublic);
    if (peer instanceof Error) {
      // EVP_PKEY_fromdata refuses coordinates of p or more and points off the curve.
      throw new InvalidPeerKeyError(
        this.group,
        p.opensslGroup ? "is not a point on the curve" : `was refused (${peer.message})`,
      );
    }
    let ctx: Deno.PointerValue = null;
    try {
      ctx = nonNull(lib.EVP_PKEY_CTX_new_from_pkey(null, this.#pkey, null), "EVP_PKEY_CTX_new");
      check(lib.EVP_PKEY_derive_init(ctx), "EVP_PKEY_derive_init");
      // No second validation of the peer key (it would cost a scalar
      // multiplication): building it from its point already checked the
      // coordinates are below p and on the curve, which is all a public key
      // needs on P-256 and P-384 (cofactor 1, and the point at infinity has
      // no uncompressed form); X25519 takes any 32 bytes, and OpenSSL refuses
      // the all-zero secret of a low-order point when deriving.
      if (lib.EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) !== 1) {
        throw new InvalidPeerKeyError(this.group, `was refused (${drainErrors()})`);
      }
      const secret = new Uint8Array(p.scalarLength);
      outWord[0] = BigInt(secret.length);
      if (lib.EVP_PKEY_derive(ctx, secret, outWord) !== 1) {
        const reasons = drainErrors();
        // OpenSSL's X25519 fails exactly when the result is all zeros (RFC 7748 §6.1).
        throw new InvalidPeerKeyError(
          this.group,
          p.opensslGroup
            ? `gives no shared secret (${reasons})`
            : "gives an all-zero shared secret (low-order point)",
        );
      }
      if (Number(outWord[0]) !== secret.length) {
        throw new Error(`${this.group} gave a ${outWord[0]}-byte secret`);
      }
      return secret;
    } finally {
      if (ctx) lib.EVP_PKEY_CTX_free(ctx);
      lib.EVP_PKEY_free(peer);
    }
  }

  /** Frees the private key now; the key cannot be used afterwards. Idempotent. */
  free(): void {
    if (!this.#pkey) return;
    owner.untrack(this);
    libcrypto().EVP_PKEY_free(this.#pkey);
    this.#pkey = null;
  }
}
