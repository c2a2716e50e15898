/**
 * The `webcrypto` crypto provider, the default: runs wherever WebCrypto
 * does (Deno, Node, browsers). Key exchange, signatures and AES-GCM on
 * `crypto.subtle`; hashes, HMAC and HKDF synchronously in JavaScript
 * (`@noble/hashes`), and ChaCha20-Poly1305, which WebCrypto lacks
 * (`@noble/ciphers`), as is ML-KEM-768 for the hybrid post-quantum groups
 * (`@noble/post-quantum`); randomness from `crypto.getRandomValues`.
 *
 * @module
 */

import { CipherSuite } from "../../codepoints.ts";
import { hybridGroup, SECP256R1_MLKEM768, X25519_MLKEM768 } from "../hybrid_mlkem.ts";
import { lazyNobleMlKem768 } from "../ml_kem.ts";
import type { CryptoProvider } from "../provider.ts";
import { makeSuite } from "../suites.ts";
import { AES_128_GCM, AES_256_GCM } from "./aes_gcm.ts";
import { CHACHA20_POLY1305 } from "./chacha.ts";
import { SHA256, SHA384 } from "./hashes.ts";
import { SECP256R1, SECP384R1, X25519 } from "./key_exchange.ts";
import { loadSigningKey } from "./signing_key.ts";
import { verify } from "./verify.ts";

/** The WebCrypto provider. */
export const webcrypto: CryptoProvider = {
  name: "webcrypto",
  suites: [
    makeSuite(CipherSuite.TLS_AES_128_GCM_SHA256, SHA256, AES_128_GCM),
    makeSuite(CipherSuite.TLS_AES_256_GCM_SHA384, SHA384, AES_256_GCM),
    makeSuite(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, SHA256, CHACHA20_POLY1305),
  ],
  groups: [
    hybridGroup(X25519_MLKEM768, lazyNobleMlKem768, X25519),
    X25519,
    SECP256R1,
    SECP384R1,
    hybridGroup(SECP256R1_MLKEM768, lazyNobleMlKem768, SECP256R1),
  ],
  hashes: { "SHA-256": SHA256, "SHA-384": SHA384 },
  loadSigningKey,
  verify,
  randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
};
