/**
 * The `openssl` crypto provider: OpenSSL 3's libcrypto through Deno FFI,
 * every primitive synchronous. Deno only (`Deno.dlopen`, `--allow-ffi`);
 * the engine never imports this folder, the Deno adapter and CLI do when
 * asked for `--crypto openssl`. All pointer code lives in this folder.
 *
 * @module
 */

import { CipherSuite } from "../../codepoints.ts";
import { hybridGroup, SECP256R1_MLKEM768, X25519_MLKEM768 } from "../hybrid_mlkem.ts";
import { lazyNobleMlKem768 } from "../ml_kem.ts";
import type { CryptoProvider } from "../provider.ts";
import { makeSuite } from "../suites.ts";
import { AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305 } from "./aeads.ts";
import { SECP256R1, SECP384R1, X25519 } from "./groups.ts";
import { SHA256, SHA384 } from "./hashes.ts";
import { libcrypto } from "./libcrypto.ts";
import { randomBytes } from "./random.ts";
import { verifySignature } from "./signature.ts";
import { loadSigningKey } from "./signing_key.ts";

export { LibcryptoUnavailableError, libcryptoVersion } from "./libcrypto.ts";
export { liveNativeObjects } from "./native.ts";

let provider: CryptoProvider | undefined;

/**
 * The openssl provider, with the same suites and groups as `webcrypto`
 * (its hybrid groups' ML-KEM-768 half in JavaScript, `../ml_kem_noble.ts`).
 * Loads libcrypto on first use; throws LibcryptoUnavailableError (whose
 * message names `--crypto webcrypto`) where it cannot be loaded.
 */
export function opensslProvider(): CryptoProvider {
  if (provider) return provider;
  libcrypto();
  provider = {
    name: "openssl",
    suites: [
      makeSuite(CipherSuite.TLS_AES_128_GCM_SHA256, SHA256, AES_128_GCM),
      makeSuite(CipherSuite.TLS_AES_256_GCM_SHA384, SHA384, AES_256_GCM),
      makeSuite(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, SHA256, CHACHA20_POLY1305),
    ],
    // OpenSSL 3.0 has no ML-KEM (3.5 has): its half of the hybrids is the same JavaScript as webcrypto's.
    groups: [
      hybridGroup(X25519_MLKEM768, lazyNobleMlKem768, X25519),
      X25519,
      SECP256R1,
      SECP384R1,
      hybridGroup(SECP256R1_MLKEM768, lazyNobleMlKem768, SECP256R1),
    ],
    hashes: { "SHA-256": SHA256, "SHA-384": SHA384 },
    loadSigningKey,
    verify: verifySignature,
    randomBytes,
  };
  return provider;
}
