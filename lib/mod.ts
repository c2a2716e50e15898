/**
 * handshake: TLS 1.3 (RFC 8446) written in TypeScript over a pluggable
 * crypto provider (`webcrypto`, the default, runs wherever WebCrypto
 * does), for any runtime. This entry point touches no socket, file,
 * environment or FFI:
 *
 * - `Connection` is the sans-IO engine: bytes in, bytes and events out.
 * - `TlsConn` drives it over any `Transport` (`read`/`write`/`close`),
 *   shaped like `Deno.TlsConn`; `WebSocketTransport` is one for pages and
 *   workers.
 * - `PathVerifier`, `parseTrustAnchors`, `PinnedKeyVerifier` decide whom to
 *   trust; `loadCertifiedKey` reads a certificate and key from PEM text.
 *
 * Sockets are the adapters' business: `./deno` (`connect`/`listen` over
 * Deno's TCP, and trust files) and `./node` (the same over `node:net`).
 *
 * @example
 * ```ts
 * import { Connection, parseTrustAnchors, PathVerifier } from "./mod.ts";
 * const caPem = await (await fetch("/ca.pem")).text(); // the CA certificate, PEM
 * const verifier = new PathVerifier(parseTrustAnchors(caPem));
 * const client = Connection.client({ serverName: "localhost", verifier });
 * await client.start();
 * const clientHello = client.takeOutput(); // send these bytes to the server
 * ```
 *
 * @module
 */

// First: on runtimes without ES2026 hex/base64 (Node 20-24, older browsers), add them.
import "./compat/uint8array_base_encoding.ts";
export { TlsConn, type TlsConnOptions, type Transport } from "./tls_conn.ts";
export { WebSocketTransport } from "./websocket_transport.ts";
export { Connection, type ConnectionEvent, type ReceiveOptions } from "./connection.ts";
export type {
  CertificateVerifier,
  CertifiedKey,
  ClientConfig,
  CommonConfig,
  ExternalPsk,
  HandshakeInfo,
  ServerConfig,
  TicketSettings,
  VerifyContext,
} from "./config.ts";
export {
  MemorySessionStore,
  type SessionFile,
  type SessionStore,
  type StoredSession,
} from "./session/store.ts";
export { type TicketKey, TicketKeys } from "./session/ticket_keys.ts";
export { UsedTickets } from "./session/used_tickets.ts";
export {
  ALERT_DESCRIPTIONS,
  AlertDescription,
  PeerAlert,
  StalledPeerError,
  TlsError,
  TruncationError,
} from "./errors.ts";
export { API_MISUSE_CODES, type ApiMisuseCode, ApiMisuseError, TLS_ERROR_CODES } from "./errors.ts";
export type { AlertName, TlsErrorCode } from "./errors.ts";
export {
  CIPHER_SUITES,
  CipherSuite,
  HANDSHAKE_TYPES,
  HandshakeType,
  NAMED_GROUPS,
  NamedGroup,
  SIGNATURE_SCHEMES,
  SignatureScheme,
} from "./codepoints.ts";
export type { OpenEnum } from "./wire/open_enum.ts";
export type {
  ActiveKeyExchange,
  Aead,
  AeadKey,
  CompletedKeyExchange,
  CryptoProvider,
  Hash,
  HashContext,
  HashName,
  KeyExchangeGroup,
  MaybePromise,
  SignatureAlgorithm,
  SignatureHash,
  SigningKey,
  Suite,
} from "./crypto/provider.ts";
export { webcrypto } from "./crypto/webcrypto/mod.ts";
export { PathVerifier, type PathVerifierOptions } from "./x509/verify.ts";
export { parseTrustAnchors, type TrustAnchorOptions, TrustStoreError } from "./x509/anchors.ts";
export { parsePin, PinnedKeyVerifier, spkiPin } from "./x509/pin.ts";
export { InsecureVerifier } from "./x509/insecure.ts";
export { CertifiedKeyError, loadCertifiedKey } from "./x509/certified_key.ts";
export type { Side, TraceEvent } from "./trace.ts";
export type { SecretName } from "./crypto/key_schedule.ts";
export type { PublicKeyInfo } from "./crypto/public_key.ts";
export type { Epoch } from "./record/record_layer.ts";
