/**
 * `connect --json`: the connection as one JSON object, for scripts.
 *
 * @module
 */

import type { HandshakeInfo } from "../lib/config.ts";
import { type ChainEntry, describeChain } from "../lib/inspect/report.ts";

/** What `connect --json` prints. */
export interface ConnectionSummary {
  readonly host: string;
  readonly port: number;
  readonly version: "TLSv1.3";
  /** The crypto provider that did the work, e.g. "webcrypto". */
  readonly provider: string;
  readonly cipherSuite: string;
  readonly group: string;
  readonly signatureScheme: string;
  readonly alpn: string | null;
  /** The name sent as SNI (none for IP addresses). */
  readonly sni: string | null;
  readonly helloRetryRequest: boolean;
  /** From the start of the TCP connection to the end of the handshake, in milliseconds. */
  readonly handshakeMs: number;
  /** The server's chain as sent, leaf first: subjects, issuers, expiries, SHA-256 fingerprints. */
  readonly peerCertificates: readonly ChainEntry[];
}

/** Builds the summary of a completed handshake. */
export async function connectionSummary(
  host: string,
  port: number,
  info: HandshakeInfo,
  ms: number,
): Promise<ConnectionSummary> {
  return {
    host,
    port,
    version: info.version,
    provider: info.provider,
    cipherSuite: info.cipherSuite,
    group: info.group,
    signatureScheme: info.signatureScheme,
    alpn: info.alpn ?? null,
    sni: info.serverName ?? null,
    helloRetryRequest: info.helloRetry,
    handshakeMs: Math.round(ms * 10) / 10,
    peerCertificates: await describeChain(info.peerCertificates),
  };
}
