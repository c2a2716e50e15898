/**
 * A connection with nothing left to chance, for golden files: counting
 * randoms, the fixed X25519 keys of "The Illustrated TLS 1.3 Connection",
 * a checked-in Ed25519 certificate (Ed25519 signatures are deterministic)
 * and a fixed clock. Run twice, it gives the same bytes.
 *
 * @module
 */

import type { ClientConfig, ServerConfig } from "../../lib/config.ts";
import type { CryptoProvider } from "../../lib/crypto/provider.ts";
import type { TraceEvent } from "../../lib/trace.ts";
import { loadCertifiedKey } from "../../lib/x509/certified_key.ts";
import { decodePem } from "../../lib/x509/pem.ts";
import { PathVerifier } from "../../lib/x509/verify.ts";
import * as V from "../vectors/illustrated.ts";
import { handshakePair, pump } from "./pair.ts";
import { PROVIDERS, RECORDED_GROUPS, RECORDED_SUITES, x25519FromPrivate } from "./providers.ts";

const FIXTURES = new URL("../fixtures/trace/", import.meta.url);
const read = (name: string) => Deno.readTextFile(new URL(name, FIXTURES));

/** The fixed clock: inside the fixture certificates' validity. */
export const FIXED_NOW = new Date("2027-01-01T00:00:00Z");

/** Random bytes counting up from `start`, continuing from call to call. */
function counting(start: number): (n: number) => Uint8Array {
  let next = start;
  return (n) => Uint8Array.from({ length: n }, () => next++ & 0xff);
}

/**
 * The settings of both sides of the fixed connection on `crypto`, each
 * traced to the function given (untraced without one).
 */
export async function fixedConfigs(
  crypto: CryptoProvider = PROVIDERS[0],
  clientTrace?: (e: TraceEvent) => void,
  serverTrace?: (e: TraceEvent) => void,
): Promise<{ client: Partial<ClientConfig>; server: ServerConfig }> {
  const anchors = decodePem(await read("ca.pem")).map((b) => b.der);
  const client: Partial<ClientConfig> = {
    serverName: "localhost",
    alpn: ["http/1.1"],
    verifier: new PathVerifier(anchors),
    random: counting(0x00),
    now: () => FIXED_NOW,
    crypto,
    groups: RECORDED_GROUPS,
    cipherSuites: RECORDED_SUITES,
    keyShares: () => x25519FromPrivate(crypto, V.CLIENT_PRIVATE, V.CLIENT_PUBLIC),
    trace: clientTrace,
  };
  const server: ServerConfig = {
    certificate: await loadCertifiedKey(
      await read("server.pem"),
      await read("server-key.pem"),
      crypto,
    ),
    crypto,
    groups: RECORDED_GROUPS,
    cipherSuites: RECORDED_SUITES,
    alpn: ["http/1.1"],
    random: counting(0x70),
    now: () => FIXED_NOW,
    keyShares: () => x25519FromPrivate(crypto, V.SERVER_PRIVATE, V.SERVER_PUBLIC),
    trace: serverTrace,
  };
  return { client, server };
}

/**
 * Runs the fixed connection with both sides traced, on `crypto`: handshake,
 * one line each way, close_notify each way.
 */
export async function runFixedConnection(
  clientTrace: (e: TraceEvent) => void,
  serverTrace: (e: TraceEvent) => void,
  crypto: CryptoProvider = PROVIDERS[0],
): Promise<void> {
  const { client, server } = await fixedConfigs(crypto, clientTrace, serverTrace);
  const r = await handshakePair(client, server);
  if (r.clientError || r.serverError) throw r.clientError ?? r.serverError;
  await r.client.write(new TextEncoder().encode("hello from the client\n"));
  await pump(r);
  await r.server.write(new TextEncoder().encode("hello from the server\n"));
  await pump(r);
  await r.client.close();
  await pump(r);
  await r.server.close();
  await pump(r);
}
