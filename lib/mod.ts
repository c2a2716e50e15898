/**
 * handshake: TLS 1.3 (RFC 8446) written in TypeScript, over a pluggable
 * crypto provider (`webcrypto` by default).
 *
 * - `connect()` / `listen()` give `TlsConn`s over Deno's TCP, shaped like
 *   `Deno.TlsConn`.
 * - `Connection` is the sans-IO engine underneath: bytes in, bytes and
 *   events out, usable over any transport (see `TlsConn` for a driver).
 *
 * @example
 * ```ts
 * import { connect } from "./lib/mod.ts";
 * const conn = await connect({ hostname: "127.0.0.1", port: 8443, serverName: "localhost", verifier });
 * await conn.write(new TextEncoder().encode("hi\n"));
 * ```
 *
 * @module
 */

export {
  connect,
  type ConnectOptions,
  listen,
  type ListenOptions,
  type PerConnection,
  TlsListener,
} from "./net.ts";
export { TlsConn, type TlsConnOptions, type Transport } from "./tls_conn.ts";
export { Connection, type ConnectionEvent } from "./connection.ts";
export type {
  CertificateVerifier,
  CertifiedKey,
  ClientConfig,
  CommonConfig,
  HandshakeInfo,
  ServerConfig,
  VerifyContext,
} from "./config.ts";
export {
  AlertDescription,
  PeerAlert,
  StalledPeerError,
  TlsError,
  TruncationError,
} from "./errors.ts";
export { CipherSuite, NamedGroup, SignatureScheme } from "./codepoints.ts";
export type {
  CryptoProvider,
  KeyExchangeGroup,
  MaybePromise,
  SigningKey,
  Suite,
} from "./crypto/provider.ts";
export { webcrypto } from "./crypto/webcrypto/mod.ts";
export {
  cryptoProvider,
  PROVIDER_NAMES,
  type ProviderName,
  ProviderUnavailableError,
} from "./providers.ts";
export { PathVerifier, type PathVerifierOptions } from "./x509/verify.ts";
export { loadTrustAnchors, SYSTEM_BUNDLE, TrustStoreError } from "./x509/anchors.ts";
export { parsePin, PinnedKeyVerifier, spkiPin } from "./x509/pin.ts";
export { InsecureVerifier } from "./x509/insecure.ts";
export { CertifiedKeyError, loadCertifiedKey } from "./x509/certified_key.ts";
export type { TraceEvent } from "./trace.ts";
