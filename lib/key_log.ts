/**
 * The NSS key log format (SSLKEYLOGFILE), which Wireshark reads to decrypt
 * a capture: one line per secret, `LABEL client_random secret` in hex.
 *
 * @module
 */

import type { TraceEvent } from "./trace.ts";

/** Labels of the secrets RFC 8446 §7.1 derives, as NSS names them. */
const LABELS: Record<string, string> = {
  client_early_traffic_secret: "CLIENT_EARLY_TRAFFIC_SECRET",
  early_exporter_master_secret: "EARLY_EXPORTER_SECRET",
  client_handshake_traffic_secret: "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
  server_handshake_traffic_secret: "SERVER_HANDSHAKE_TRAFFIC_SECRET",
  exporter_master_secret: "EXPORTER_SECRET",
};

/**
 * The key log line for a `secret` event, or undefined for secrets the format
 * has no label for (early, handshake and master secrets).
 */
export function keyLogLine(
  event: Extract<TraceEvent, { kind: "secret" }>,
  clientRandom: Uint8Array,
): string | undefined {
  const traffic = event.name.match(/^(client|server)_application_traffic_secret_(\d+)$/);
  const label = traffic
    ? `${traffic[1].toUpperCase()}_TRAFFIC_SECRET_${traffic[2]}`
    : LABELS[event.name];
  return label && `${label} ${clientRandom.toHex()} ${event.value.toHex()}\n`;
}
