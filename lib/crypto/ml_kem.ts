/**
 * ML-KEM-768 (FIPS 203) as the hybrid key exchange groups use it, and the
 * input check FIPS 203 §7.2 asks of an encapsulation key before it is used,
 * made here for every implementation alike.
 *
 * @module
 */

import type { MaybePromise } from "./provider.ts";

/** FIPS 203 §8, Table 3: ML-KEM-768's sizes in bytes. */
export const ML_KEM_768 = {
  /** The encapsulation key: ByteEncode12 of k = 3 polynomials (384 × 3) and the 32-byte seed ρ. */
  encapsulationKey: 1184,
  /** The ciphertext: 32 × (du·k + dv) = 32 × (10·3 + 4). */
  ciphertext: 1088,
  /** The shared secret. */
  sharedSecret: 32,
} as const;

/** The prime modulus q of ML-KEM (FIPS 203 §2.4). */
const Q = 3329;

/** A decapsulation key, waiting for the peer's ciphertext. */
export interface MlKemDecapsulator {
  /** The encapsulation key to send (1184 bytes). */
  readonly encapsulationKey: Uint8Array;
  /**
   * ML-KEM.Decaps (FIPS 203 §7.3) of a ciphertext of the right length: the
   * shared secret (an altered ciphertext gives an unrelated one: implicit rejection).
   */
  decapsulate(ciphertext: Uint8Array): MaybePromise<Uint8Array>;
}

/** An ML-KEM-768 implementation. */
export interface MlKem768 {
  /** Where it comes from, for traces and tests (e.g. "@noble/post-quantum"). */
  readonly source: string;
  /**
   * ML-KEM.KeyGen (FIPS 203 §7.1). `seed` (d ‖ z, 64 bytes) makes it
   * ML-KEM.KeyGen_internal (§6.1), for known-answer tests only.
   */
  generate(seed?: Uint8Array): MaybePromise<MlKemDecapsulator>;
  /**
   * ML-KEM.Encaps (FIPS 203 §7.2) to an encapsulation key that has passed
   * `encapsulationKeyProblem`: the ciphertext to send and the shared secret.
   * `message` (m, 32 bytes) makes it ML-KEM.Encaps_internal (§6.2), for
   * known-answer tests only.
   */
  encapsulate(
    encapsulationKey: Uint8Array,
    message?: Uint8Array,
  ): MaybePromise<{ ciphertext: Uint8Array; sharedSecret: Uint8Array }>;
}

/**
 * FIPS 203 §7.2, "input checking": what is wrong with an ML-KEM-768
 * encapsulation key, or undefined when it may be used. The type check: 1184
 * bytes. The modulus check: every 12-bit coefficient of the 3 × 256 that
 * ByteDecode12 reads from the first 1152 bytes is below q = 3329, which is
 * what ByteEncode12(ByteDecode12(ek)) = ek asks.
 */
export function encapsulationKeyProblem(ek: Uint8Array): string | undefined {
  if (ek.length !== ML_KEM_768.encapsulationKey) {
    return `is ${ek.length} bytes, not ${ML_KEM_768.encapsulationKey}`;
  }
  const end = ML_KEM_768.encapsulationKey - 32;
  for (let i = 0; i < end; i += 3) {
    // Three bytes hold two little-endian 12-bit coefficients (FIPS 203 Algorithm 6).
    const a = ek[i] | ((ek[i + 1] & 0x0f) << 8);
    const b = (ek[i + 1] >> 4) | (ek[i + 2] << 4);
    if (a >= Q || b >= Q) {
      const at = a >= Q ? 2 * (i / 3) : 2 * (i / 3) + 1;
      return `fails the FIPS 203 modulus check (coefficient ${at} is ${
        a >= Q ? a : b
      }, not below ${Q})`;
    }
  }
  return undefined;
}

/**
 * `@noble/post-quantum`'s ML-KEM-768 (`./ml_kem_noble.ts`), loaded on first
 * use: a process that never meets a hybrid group (a server whose clients
 * offer X25519 alone, a client told `--groups x25519`) does not load it.
 */
export const lazyNobleMlKem768: MlKem768 = (() => {
  let kem: MlKem768 | undefined;
  const load = async () => kem ??= (await import("./ml_kem_noble.ts")).nobleMlKem768;
  return {
    source: "@noble/post-quantum",
    generate: (seed) => kem ? kem.generate(seed) : load().then((k) => k.generate(seed)),
    encapsulate: (key, message) =>
      kem ? kem.encapsulate(key, message) : load().then((k) => k.encapsulate(key, message)),
  };
})();
