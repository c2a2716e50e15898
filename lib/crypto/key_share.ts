/**
 * What RFC 8446 §4.2.8.2 and §7.4 ask of a peer's (EC)DHE share, checked the
 * same way whichever provider computes the secret: the right length and
 * form, a point on the curve, and no all-zero X25519 result. Also the
 * server's one-step completion for groups that are Diffie-Hellman, not KEMs.
 *
 * @module
 */

import { NamedGroup } from "../codepoints.ts";
import { then } from "./maybe.ts";
import {
  type ActiveKeyExchange,
  type CompletedKeyExchange,
  invalidKeyShare,
  type MaybePromise,
} from "./provider.ts";
import { CURVE25519_KEY_LENGTH, uncompressedPointLength } from "./sizes.ts";

/** Curve parameters for the on-curve check: y² = x³ − 3x + b over GF(p). */
interface Curve {
  p: bigint;
  b: bigint;
}

const P256: Curve = {
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
};
const P384: Curve = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
  b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
};

/** The (EC)DHE groups whose shares are checked here: share length and curve. */
const DH_GROUPS = new Map<number, { length: number; curve?: Curve }>([
  [NamedGroup.x25519, { length: CURVE25519_KEY_LENGTH }],
  [NamedGroup.secp256r1, { length: uncompressedPointLength("P-256"), curve: P256 }],
  [NamedGroup.secp384r1, { length: uncompressedPointLength("P-384"), curve: P384 }],
]);

/**
 * RFC 8446 §4.2.8.2: a peer's share for `group` has the right length and,
 * for the NIST curves, is an uncompressed point on the curve. Throws
 * `invalidKeyShare` (illegal_parameter) otherwise.
 */
export function checkPeerShare(group: number, share: Uint8Array): void {
  const g = DH_GROUPS.get(group);
  if (!g) throw new Error(`no share checks for group ${NamedGroup.name(group)}`);
  if (share.length !== g.length) {
    throw invalidKeyShare(group, `is ${share.length} bytes, expected ${g.length}`);
  }
  if (g.curve) {
    if (share[0] !== 4) {
      throw invalidKeyShare(group, "is not an uncompressed point (first byte is not 0x04)");
    }
    if (!onCurve(share, g.curve)) throw invalidKeyShare(group, "is not a point on the curve");
  }
}

/** RFC 8446 §7.4.2: an all-zero X25519 shared secret means a low-order point. */
export function checkSharedSecret(group: number, secret: Uint8Array): Uint8Array {
  if (secret.every((b) => b === 0)) {
    throw invalidKeyShare(group, "gives an all-zero shared secret (low-order point)");
  }
  return secret;
}

/**
 * The server's side of a Diffie-Hellman group in one step: check the
 * client's share, start our own exchange and complete it.
 */
export function completeDiffieHellman(
  group: number,
  start: () => MaybePromise<ActiveKeyExchange>,
  peerShare: Uint8Array,
): MaybePromise<CompletedKeyExchange> {
  checkPeerShare(group, peerShare);
  return then(
    start(),
    (ours) => then(ours.complete(peerShare), (secret) => ({ share: ours.share, secret })),
  );
}

/** Whether the uncompressed point `0x04 || x || y` lies on the curve. */
function onCurve(point: Uint8Array, { p, b }: Curve): boolean {
  const n = (point.length - 1) / 2;
  const x = BigInt("0x" + point.subarray(1, 1 + n).toHex());
  const y = BigInt("0x" + point.subarray(1 + n).toHex());
  if (x >= p || y >= p) return false;
  const mod = (v: bigint) => ((v % p) + p) % p;
  return mod(y * y) === mod(x * x * x - 3n * x + b);
}
