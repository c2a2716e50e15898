/**
 * The timeouts a listener gives each connection it accepts, shared by the
 * Deno and Node adapters: a peer that sends nothing for `idleTimeoutMs`, or
 * takes none of our data for `writeTimeoutMs`, is closed with a
 * `StalledPeerError` (`TlsConn` enforces both). A server times out stalled
 * peers unless told not to; a client (`connect`) only when asked.
 *
 * @module
 */

import type { TlsConnOptions } from "./tls_conn.ts";

/** How long a listener's connection may receive nothing before it is closed, unless told otherwise. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** How long a listener's peer may take none of our data before it is closed, unless told otherwise. */
export const DEFAULT_WRITE_TIMEOUT_MS = 30_000;

/** The limits of an accepted connection: the listener's, with the defaults for those not given (0: off). */
export function acceptedConnOptions(listener: TlsConnOptions): TlsConnOptions {
  return {
    handshakeTimeoutMs: listener.handshakeTimeoutMs,
    idleTimeoutMs: listener.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    writeTimeoutMs: listener.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS,
  };
}
