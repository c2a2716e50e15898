/**
 * handshake for Deno: everything of the runtime-neutral entry point, plus
 * `connect()` and `listen()` over Deno's TCP sockets,
 * `loadTrustAnchors()` for PEM files and the system bundle, and
 * `cryptoProvider()`, which also offers `openssl` (OpenSSL 3's libcrypto
 * through FFI, loaded only when asked for).
 *
 * @example
 * ```ts
 * import { connect, loadTrustAnchors, PathVerifier } from "./mod.ts";
 * const verifier = new PathVerifier(await loadTrustAnchors("certs/ca.pem"));
 * const conn = await connect({ hostname: "127.0.0.1", port: 8443, serverName: "localhost", verifier });
 * await conn.write(new TextEncoder().encode("hi\n"));
 * await conn.close();
 * ```
 *
 * @module
 */

export * from "../mod.ts";
export {
  connect,
  type ConnectOptions,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_HANDSHAKES,
  DEFAULT_WRITE_TIMEOUT_MS,
  listen,
  type ListenOptions,
  type PerConnection,
  TlsListener,
} from "../net.ts";
export { loadTrustAnchors, SYSTEM_BUNDLE } from "./trust_files.ts";
export {
  cryptoProvider,
  PROVIDER_NAMES,
  type ProviderName,
  ProviderUnavailableError,
} from "../providers.ts";
