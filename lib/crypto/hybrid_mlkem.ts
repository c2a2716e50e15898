/**
 * The hybrid post-quantum key exchange groups of draft-ietf-tls-ecdhe-mlkem
 * (X25519MLKEM768, 0x11EC; SecP256r1MLKEM768, 0x11EB): ML-KEM-768 beside
 * an (EC)DHE group, each share and the shared secret the two halves joined,
 * built from any provider's ML-KEM and classical group. The layouts are also
 * what traces and byte dissections label.
 *
 * @module
 */

import { NamedGroup } from "../codepoints.ts";
import { ApiMisuseError, TlsError } from "../errors.ts";
import {
  encapsulationKeyProblem,
  ML_KEM_768,
  type MlKem768,
  type MlKemDecapsulator,
} from "./ml_kem.ts";
import {
  type ActiveKeyExchange,
  type CompletedKeyExchange,
  invalidKeyShare,
  type KeyExchangeGroup,
} from "./provider.ts";
import { CURVE25519_KEY_LENGTH, NIST_CURVES, uncompressedPointLength } from "./sizes.ts";

/** How one hybrid group joins ML-KEM-768 and its (EC)DHE half (draft-ietf-tls-ecdhe-mlkem §3). */
export interface HybridLayout {
  /** The hybrid's NamedGroup. */
  readonly group: number;
  /** The (EC)DHE half's NamedGroup. */
  readonly classical: number;
  /** The (EC)DHE half's name in the parts' labels, e.g. "X25519". */
  readonly classicalName: string;
  /** Its public key's length in bytes (the same in both shares). */
  readonly classicalShare: number;
  /** Its shared secret's length in bytes. */
  readonly classicalSecret: number;
  /** Whether the ML-KEM half comes first (X25519MLKEM768) or second (SecP256r1MLKEM768). */
  readonly kemFirst: boolean;
}

/** X25519MLKEM768: ML-KEM-768 first, then X25519 (draft-ietf-tls-ecdhe-mlkem §3). */
export const X25519_MLKEM768: HybridLayout = {
  group: NamedGroup.X25519MLKEM768,
  classical: NamedGroup.x25519,
  classicalName: "X25519",
  classicalShare: CURVE25519_KEY_LENGTH,
  classicalSecret: CURVE25519_KEY_LENGTH,
  kemFirst: true,
};

/** SecP256r1MLKEM768: the P-256 point first (uncompressed, 65 bytes), then ML-KEM-768. */
export const SECP256R1_MLKEM768: HybridLayout = {
  group: NamedGroup.SecP256r1MLKEM768,
  classical: NamedGroup.secp256r1,
  classicalName: "P-256",
  classicalShare: uncompressedPointLength("P-256"),
  classicalSecret: NIST_CURVES["P-256"].size,
  kemFirst: false,
};

const LAYOUTS = new Map([X25519_MLKEM768, SECP256R1_MLKEM768].map((l) => [l.group, l]));

/** The layout of hybrid `group`, or undefined for any other group. */
export function hybridLayout(group: number): HybridLayout | undefined {
  return LAYOUTS.get(group);
}

/** One half of a hybrid share or secret. */
export interface HybridPart {
  readonly name: string;
  readonly length: number;
}

/** What a hybrid value is: the client's share, the server's share or the shared secret. */
export type HybridValue = "client share" | "server share" | "shared secret";

/** The two halves of a hybrid group's `value`, in wire order. */
export function hybridParts(layout: HybridLayout, value: HybridValue): [HybridPart, HybridPart] {
  const kem: HybridPart = value === "client share"
    ? { name: "ML-KEM-768 encapsulation key", length: ML_KEM_768.encapsulationKey }
    : value === "server share"
    ? { name: "ML-KEM-768 ciphertext", length: ML_KEM_768.ciphertext }
    : { name: "ML-KEM-768 shared secret", length: ML_KEM_768.sharedSecret };
  const classical: HybridPart = value === "shared secret"
    ? { name: `${layout.classicalName} shared secret`, length: layout.classicalSecret }
    : { name: `${layout.classicalName} public key`, length: layout.classicalShare };
  return layout.kemFirst ? [kem, classical] : [classical, kem];
}

/** `value` split into its two halves, or undefined when its length is not theirs together. */
export function splitHybrid(
  layout: HybridLayout,
  value: HybridValue,
  bytes: Uint8Array,
): [Uint8Array, Uint8Array] | undefined {
  const [first, second] = hybridParts(layout, value);
  if (bytes.length !== first.length + second.length) return undefined;
  return [bytes.subarray(0, first.length), bytes.subarray(first.length)];
}

/** `kemPart` and `classicalPart` joined in the layout's order. */
function join(layout: HybridLayout, kemPart: Uint8Array, classicalPart: Uint8Array): Uint8Array {
  const [a, b] = layout.kemFirst ? [kemPart, classicalPart] : [classicalPart, kemPart];
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The peer's `value` as [ML-KEM half, classical half], copied (the halves
 * are used after an await, when the caller may have reused its buffer), or
 * illegal_parameter for a wrong length.
 */
function halves(layout: HybridLayout, value: HybridValue, share: Uint8Array): Uint8Array[] {
  const parts = splitHybrid(layout, value, share);
  if (!parts) {
    const [a, b] = hybridParts(layout, value);
    throw invalidKeyShare(
      layout.group,
      `is ${share.length} bytes, expected ${
        a.length + b.length
      } (${a.name} ${a.length} + ${b.name} ${b.length})`,
    );
  }
  const [kem, classical] = layout.kemFirst ? parts : [parts[1], parts[0]];
  return [kem.slice(), classical.slice()];
}

/** The classical half's own errors (a bad point, a low-order key), named as the hybrid's. */
async function classicalHalf<T>(layout: HybridLayout, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof TlsError) {
      throw invalidKeyShare(
        layout.group,
        `has an unusable ${layout.classicalName} half: ${e.message}`,
      );
    }
    throw e;
  }
}

/** The client's side: our decapsulation key and (EC)DHE key, waiting for the server's share. */
class HybridExchange implements ActiveKeyExchange {
  readonly group: number;
  readonly share: Uint8Array;
  readonly #layout: HybridLayout;
  readonly #kem: MlKemDecapsulator;
  readonly #classical: ActiveKeyExchange;

  constructor(layout: HybridLayout, kem: MlKemDecapsulator, classical: ActiveKeyExchange) {
    this.group = layout.group;
    this.#layout = layout;
    this.#kem = kem;
    this.#classical = classical;
    this.share = join(layout, kem.encapsulationKey, classical.share);
  }

  /** The server's ciphertext decapsulated, its public key agreed with, the secrets joined. */
  async complete(peerShare: Uint8Array): Promise<Uint8Array> {
    const [ciphertext, theirs] = halves(this.#layout, "server share", peerShare);
    const classical = await classicalHalf(this.#layout, () => this.#classical.complete(theirs));
    return join(this.#layout, await this.#kem.decapsulate(ciphertext), classical);
  }
}

/**
 * The hybrid group `layout` from an ML-KEM-768 implementation and the
 * provider's (EC)DHE group of `layout.classical`.
 */
export function hybridGroup(
  layout: HybridLayout,
  kem: MlKem768,
  classical: KeyExchangeGroup,
): KeyExchangeGroup {
  if (classical.id !== layout.classical) {
    throw new ApiMisuseError(
      "hybrid_group_mismatch",
      `${NamedGroup.name(layout.group)} needs ${NamedGroup.name(layout.classical)}`,
    );
  }
  return {
    id: layout.group,
    async start() {
      const [decapsulator, ours] = await Promise.all([kem.generate(), classical.start()]);
      return new HybridExchange(layout, decapsulator, ours);
    },
    /**
     * The server's side: the client's encapsulation key checked (FIPS 203
     * §7.2) and encapsulated to, its public key agreed with in one step.
     */
    async complete(peerShare): Promise<CompletedKeyExchange> {
      const [ek, theirs] = halves(layout, "client share", peerShare);
      const problem = encapsulationKeyProblem(ek);
      if (problem) {
        throw invalidKeyShare(layout.group, `has an ML-KEM-768 encapsulation key that ${problem}`);
      }
      const ours = await classicalHalf(layout, () => classical.complete(theirs));
      const { ciphertext, sharedSecret } = await kem.encapsulate(ek);
      return {
        share: join(layout, ciphertext, ours.share),
        secret: join(layout, sharedSecret, ours.secret),
      };
    },
  };
}
