/**
 * The crypto providers by name, for Deno programs (the CLI, the bench,
 * applications choosing at run time): `webcrypto`, the default, and
 * `openssl`, OpenSSL 3's libcrypto through Deno FFI. The openssl provider
 * is imported only when it is asked for (each is), so the engine and this module load
 * without FFI (in Node or a browser `webcrypto` is the only choice).
 *
 * @module
 */

import type { CryptoProvider } from "./crypto/provider.ts";

/** The names `cryptoProvider` knows, the default first. */
export const PROVIDER_NAMES = ["webcrypto", "openssl"] as const;

/** A provider name: `webcrypto` or `openssl`. */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** A provider that cannot run here, e.g. `openssl` without libcrypto or `--allow-ffi`. */
export class ProviderUnavailableError extends Error {
  /** The provider asked for. */
  readonly provider: ProviderName;

  /** `provider` could not be loaded; `message` says why and what to do. */
  constructor(provider: ProviderName, message: string) {
    super(message);
    this.name = "ProviderUnavailableError";
    this.provider = provider;
  }
}

/** Whether `name` is one of PROVIDER_NAMES. */
export function isProviderName(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name);
}

/**
 * The provider called `name`. For `openssl`, loads libcrypto (the path in
 * HANDSHAKE_LIBCRYPTO, else the platform's OpenSSL 3); where that fails,
 * throws ProviderUnavailableError with a message that names the fix and
 * `--crypto webcrypto`.
 */
export async function cryptoProvider(name: ProviderName): Promise<CryptoProvider> {
  if (name === "webcrypto") return (await import("./crypto/webcrypto/mod.ts")).webcrypto;
  const openssl = await import("./crypto/openssl/mod.ts");
  try {
    return openssl.opensslProvider();
  } catch (e) {
    if (e instanceof openssl.LibcryptoUnavailableError) {
      throw new ProviderUnavailableError(name, e.message);
    }
    throw e;
  }
}
