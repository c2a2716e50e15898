/**
 * `--crypto webcrypto|openssl`, shared by `serve`, `connect` and `demo`:
 * which crypto provider does the work.
 *
 * @module
 */

import type { CryptoProvider } from "../lib/crypto/provider.ts";
import { cryptoProvider, isProviderName, ProviderUnavailableError } from "../lib/providers.ts";
import { UsageError } from "./common.ts";

/** The flag, for parseArgs. */
export const CRYPTO_FLAGS = {
  crypto: { type: "string", default: "webcrypto" },
} as const;

/** Its lines in a mode's --help. */
export const CRYPTO_HELP =
  `  --crypto NAME       the cryptography: webcrypto (default; WebCrypto, portable) or openssl
                      (OpenSSL 3's libcrypto through FFI, faster; HANDSHAKE_LIBCRYPTO=PATH picks it)`;

/**
 * The provider named by --crypto. An unknown name, or an openssl provider
 * that cannot be loaded, is a UsageError (one line, exit status 2).
 */
export async function loadCrypto(name: string): Promise<CryptoProvider> {
  if (!isProviderName(name)) {
    throw new UsageError(`unknown --crypto "${name}"`, "use webcrypto or openssl");
  }
  try {
    return await cryptoProvider(name);
  } catch (e) {
    if (e instanceof ProviderUnavailableError) throw new UsageError(e.message);
    throw e;
  }
}
