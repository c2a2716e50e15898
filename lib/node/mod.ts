/**
 * handshake for Node.js (20 and later): everything of the runtime-neutral
 * entry point, plus `connect()` and `listen()` over `node:net`, each
 * connection a `TlsConn` like the Deno adapter's. Read PEM files with
 * `node:fs` and give their text to `parseTrustAnchors` and
 * `loadCertifiedKey`.
 *
 * @example
 * ```ts
 * import { connect, parseTrustAnchors, PathVerifier } from "./mod.ts";
 * import { readFileSync } from "node:fs";
 * const verifier = new PathVerifier(parseTrustAnchors(readFileSync("ca.pem", "utf8")));
 * const conn = await connect({ hostname: "127.0.0.1", port: 8443, serverName: "localhost", verifier });
 * console.log((await conn.handshake()).cipherSuite);
 * await conn.close();
 * ```
 *
 * @module
 */

export * from "../mod.ts";
export {
  type AcceptedConn,
  connect,
  type ConnectOptions,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_HANDSHAKES,
  DEFAULT_WRITE_TIMEOUT_MS,
  listen,
  type ListenOptions,
  type NetAddr,
  type PerConnection,
  TlsListener,
} from "./net.ts";
export { SocketTransport } from "./socket_transport.ts";
