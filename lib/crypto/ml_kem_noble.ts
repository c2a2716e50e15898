/**
 * ML-KEM-768 in JavaScript (`@noble/post-quantum`), synchronous: the
 * webcrypto provider's, as WebCrypto has no ML-KEM, and the openssl
 * provider's on a libcrypto without one (OpenSSL before 3.5).
 *
 * @module
 */

import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import type { MlKem768, MlKemDecapsulator } from "./ml_kem.ts";

class Decapsulator implements MlKemDecapsulator {
  readonly encapsulationKey: Uint8Array;
  readonly #decapsulationKey: Uint8Array;

  constructor(encapsulationKey: Uint8Array, decapsulationKey: Uint8Array) {
    this.encapsulationKey = encapsulationKey;
    this.#decapsulationKey = decapsulationKey;
  }

  decapsulate(ciphertext: Uint8Array): Uint8Array {
    return ml_kem768.decapsulate(ciphertext, this.#decapsulationKey).slice();
  }
}

/** ML-KEM-768 from `@noble/post-quantum`. */
export const nobleMlKem768: MlKem768 = {
  source: "@noble/post-quantum",
  generate(seed) {
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    return new Decapsulator(publicKey, secretKey);
  },
  encapsulate(encapsulationKey, message) {
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(encapsulationKey, message);
    return { ciphertext: cipherText, sharedSecret: sharedSecret.slice() };
  },
};
