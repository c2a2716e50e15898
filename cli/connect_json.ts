/**
 * `connect --json`: the connection as one JSON object, for scripts.
 *
 * @module
 */

import type { HandshakeInfo } from "../lib/config.ts";
import { type ChainEntry, describeChain } from "../lib/inspect/report.ts";
import { curlPin } from "./curl_pin.ts";
import { VERSION } from "./version.ts";

/** What `connect --json` prints. */
export interface ConnectionSummary {
  /** The version of handshake that made the connection. */
  readonly handshakeVersion: string;
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
  /** The server key's SPKI pin, `sha256//BASE64` (curl --pinnedpubkey, connect --pin). */
  readonly spkiPin: string | null;
  /** The server's chain as sent, leaf first: subjects, issuers, expiries, SHA-256 fingerprints, pins. */
  readonly peerCertificates: readonly (ChainEntry & { readonly spkiPin: string | null })[];
  /** Whether the handshake used a PSK (a ticket, or an external PSK): then no certificate. */
  readonly resumed: boolean;
  /** What became of 0-RTT data: "accepted", "rejected" or "none" (none sent). */
  readonly earlyData: "accepted" | "rejected" | "none";
  /** "psk_dhe_ke" or "psk_ke" when resumed, else null. */
  readonly pskMode: "psk_dhe_ke" | "psk_ke" | null;
}

/** Builds the summary of a completed handshake. */
export async function connectionSummary(
  host: string,
  port: number,
  info: HandshakeInfo,
  ms: number,
): Promise<ConnectionSummary> {
  const chain = await describeChain(info.peerCertificates);
  const pins = info.peerCertificates.map((der) => {
    try {
      return curlPin(der);
    } catch {
      return null; // a certificate whose key cannot be read has no pin
    }
  });
  return {
    handshakeVersion: VERSION,
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
    spkiPin: pins[0] ?? null,
    peerCertificates: chain.map((entry, i) => ({ ...entry, spkiPin: pins[i] ?? null })),
    resumed: info.resumed,
    earlyData: info.earlyData,
    pskMode: info.pskMode ?? null,
  };
}
