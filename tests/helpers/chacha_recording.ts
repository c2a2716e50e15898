/**
 * A ChaCha20-Poly1305 connection with a real peer, recorded once: our
 * client, with every random value fixed, against `openssl s_server` offering
 * only TLS_CHACHA20_POLY1305_SHA256 (tests/fixtures/chacha20/). Replayed,
 * the same client must send the same bytes and accept the peer's, on every
 * provider: RFC 8448's traces have no ChaCha20 connection.
 *
 * Re-record (after a deliberate change to what the client sends) with
 *
 *   deno run --allow-all tests/fixtures/chacha20/record.ts
 *
 * @module
 */

import { CipherSuite, NamedGroup } from "../../lib/codepoints.ts";
import type { ClientConfig } from "../../lib/config.ts";
import type { CryptoProvider } from "../../lib/crypto/provider.ts";
import { decodePem } from "../../lib/x509/pem.ts";
import { PathVerifier } from "../../lib/x509/verify.ts";
import * as V from "../vectors/illustrated.ts";
import { FIXED_NOW } from "./fixed_pair.ts";
import { x25519FromPrivate } from "./providers.ts";

/** Where the recording and the peer's certificate live. */
export const RECORDING = new URL("../fixtures/chacha20/openssl_s_server.json", import.meta.url);
const TRACE = new URL("../fixtures/trace/", import.meta.url);

/** The line the client sends; `s_server -rev` answers it reversed. */
export const LINE = "ping over ChaCha20-Poly1305\n";

/** One read or write, in the order they happened. */
export interface Chunk {
  from: "client" | "server";
  hex: string;
}

/** The recording: the peer's version, and every chunk each way. */
export interface Recording {
  peer: string;
  chunks: Chunk[];
}

/** The recorded client's settings on `crypto`: counting randoms, the Illustrated X25519 key. */
export async function recordedClient(crypto: CryptoProvider): Promise<ClientConfig> {
  const anchors = decodePem(await Deno.readTextFile(new URL("ca.pem", TRACE))).map((b) => b.der);
  let next = 0;
  return {
    crypto,
    serverName: "localhost",
    verifier: new PathVerifier(anchors),
    random: (n) => Uint8Array.from({ length: n }, () => next++ & 0xff),
    now: () => FIXED_NOW,
    groups: [NamedGroup.x25519],
    cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
    keyShares: () => x25519FromPrivate(crypto, V.CLIENT_PRIVATE, V.CLIENT_PUBLIC),
  };
}

/** The peer's certificate and key (Ed25519, from the golden trace fixtures). */
export const PEER_CERT = new URL("server.pem", TRACE).pathname;
export const PEER_KEY = new URL("server-key.pem", TRACE).pathname;
