/**
 * One-line descriptions of how a connection failed, for people: what went
 * wrong, and which alert crossed the wire in which direction.
 *
 * @module
 */

import { PeerAlert, TlsError, TruncationError } from "../lib/errors.ts";

/** e.g. `the server's Finished does not match the handshake (sent alert decrypt_error)`. */
export function errorSummary(e: unknown): string {
  if (e instanceof TlsError) return `${e.message} (sent alert ${e.alertName})`;
  if (e instanceof PeerAlert) return `the peer sent alert ${e.alertName}`;
  if (e instanceof TruncationError) return e.message;
  return (e as Error)?.message ?? String(e);
}
