/**
 * (EC)DHE key shares (RFC 8446 §4.2.8) for x25519, secp256r1 and secp384r1,
 * with the checks §4.2.8.2 and §7.4 ask of a peer's share: the right length
 * and form, a point on the curve, and no all-zero X25519 result.
 *
 * @module
 */

import { AlertDescription, TlsError } from "../errors.ts";
import { NamedGroup } from "../codepoints.ts";

/** The groups implemented here, in this engine's default order of preference. */
export const GROUPS: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
];

/** One side's ephemeral key pair for a group. */
export interface KeyShare {
  /** The NamedGroup code point. */
  readonly group: number;
  /** The public value as sent in key_share (RFC 8446 §4.2.8.2). */
  readonly publicKey: Uint8Array;
  /** Computes the shared secret with the peer's public value, after validating it. */
  deriveSecret(peerPublic: Uint8Array): Promise<Uint8Array>;
}

/** Creates key shares; injectable so that tests can fix the keys. */
export type KeyShareFactory = (group: number) => Promise<KeyShare>;

interface GroupParams {
  /** WebCrypto algorithm for import and generation. */
  algorithm: { name: "X25519" } | { name: "ECDH"; namedCurve: "P-256" | "P-384" };
  /** Length of the public value on the wire. */
  publicLength: number;
  /** Length of the shared secret in bits. */
  bits: number;
  /** Curve parameters for the on-curve check (NIST curves only). */
  curve?: { p: bigint; b: bigint };
}

const P256 = {
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
};
const P384 = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
  b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
};

const PARAMS = new Map<number, GroupParams>([
  [NamedGroup.x25519, { algorithm: { name: "X25519" }, publicLength: 32, bits: 256 }],
  [NamedGroup.secp256r1, {
    algorithm: { name: "ECDH", namedCurve: "P-256" },
    publicLength: 65,
    bits: 256,
    curve: P256,
  }],
  [NamedGroup.secp384r1, {
    algorithm: { name: "ECDH", namedCurve: "P-384" },
    publicLength: 97,
    bits: 384,
    curve: P384,
  }],
]);

/** Whether `group` is implemented here. */
export function isSupportedGroup(group: number): boolean {
  return PARAMS.has(group);
}

function params(group: number): GroupParams {
  const p = PARAMS.get(group);
  if (!p) {
    throw new TlsError(
      AlertDescription.internal_error,
      `group ${NamedGroup.name(group)} is not implemented`,
    );
  }
  return p;
}

/** Generates a fresh ephemeral key share for `group`. */
export const generateKeyShare: KeyShareFactory = async (group) => {
  const p = params(group);
  const pair = await crypto.subtle.generateKey(p.algorithm, true, ["deriveBits"]) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return makeShare(group, pair.privateKey, publicKey);
};

/**
 * A key share from a fixed X25519 private key (32 raw bytes), for
 * reproducing published traces (RFC 8448, The Illustrated TLS 1.3 Connection).
 */
export async function x25519ShareFromPrivate(
  privateKey: Uint8Array,
  publicKey: Uint8Array,
): Promise<KeyShare> {
  // RFC 8410 §7: PKCS#8 OneAsymmetricKey for X25519 with a 32-byte CurvePrivateKey.
  const pkcs8 = new Uint8Array([
    ...Uint8Array.fromHex("302e020100300506032b656e04220420"),
    ...privateKey,
  ]);
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pkcs8 as BufferSource,
    { name: "X25519" },
    false,
    ["deriveBits"],
  );
  return makeShare(NamedGroup.x25519, key, publicKey);
}

/**
 * A key share from an existing WebCrypto private key and its public value,
 * for tests that replay a connection with fixed keys in any group.
 */
export function keyShareFromKeys(
  group: number,
  privateKey: CryptoKey,
  publicKey: Uint8Array,
): KeyShare {
  return makeShare(group, privateKey, publicKey);
}

function makeShare(group: number, privateKey: CryptoKey, publicKey: Uint8Array): KeyShare {
  const p = params(group);
  return {
    group,
    publicKey,
    async deriveSecret(peerPublic) {
      const peer = await importPeerShare(group, peerPublic);
      let secret: Uint8Array;
      try {
        secret = new Uint8Array(
          await crypto.subtle.deriveBits(
            { name: p.algorithm.name, public: peer },
            privateKey,
            p.bits,
          ),
        );
      } catch (e) {
        throw new TlsError(
          AlertDescription.illegal_parameter,
          `the ${NamedGroup.name(group)} key share is not usable: ${(e as Error).message}`,
        );
      }
      // RFC 8446 §7.4.2: an all-zero X25519 shared secret means a low-order point.
      if (secret.every((b) => b === 0)) {
        throw new TlsError(
          AlertDescription.illegal_parameter,
          `the ${
            NamedGroup.name(group)
          } key share gives an all-zero shared secret (low-order point)`,
        );
      }
      return secret;
    },
  };
}

/**
 * Checks a peer's public value (RFC 8446 §4.2.8.2: uncompressed points only,
 * on the curve) and imports it.
 */
async function importPeerShare(group: number, value: Uint8Array): Promise<CryptoKey> {
  const p = params(group);
  const bad = (why: string) =>
    new TlsError(
      AlertDescription.illegal_parameter,
      `the ${NamedGroup.name(group)} key share ${why}`,
    );
  if (value.length !== p.publicLength) {
    throw bad(`is ${value.length} bytes, expected ${p.publicLength}`);
  }
  if (p.curve) {
    if (value[0] !== 4) throw bad("is not an uncompressed point (first byte is not 0x04)");
    if (!onCurve(value, p.curve)) throw bad("is not a point on the curve");
  }
  try {
    return await crypto.subtle.importKey("raw", value as BufferSource, p.algorithm, true, []);
  } catch (e) {
    throw bad(`was refused: ${(e as Error).message}`);
  }
}

/** Whether the uncompressed point `0x04 || x || y` lies on y² = x³ − 3x + b over GF(p). */
function onCurve(point: Uint8Array, { p, b }: { p: bigint; b: bigint }): boolean {
  const n = (point.length - 1) / 2;
  const x = BigInt("0x" + point.subarray(1, 1 + n).toHex());
  const y = BigInt("0x" + point.subarray(1 + n).toHex());
  if (x >= p || y >= p) return false;
  const mod = (v: bigint) => ((v % p) + p) % p;
  return mod(y * y) === mod(x * x * x - 3n * x + b);
}
