/**
 * Runs a client and a server engine against each other in memory, moving
 * bytes between them (optionally in small pieces) until neither has
 * anything more to say.
 *
 * @module
 */

import { Connection } from "../../lib/connection.ts";
import type { ClientConfig, HandshakeInfo, ServerConfig } from "../../lib/config.ts";
import type { CertificateVerifier } from "../../lib/config.ts";
import { defaultProvider } from "../../lib/crypto/default.ts";
import { connect, type ConnectOptions } from "../../lib/net.ts";
import type { TlsConn } from "../../lib/tls_conn.ts";
import { type CertSet, verifierFor } from "./certs.ts";
import { readUntil } from "./peer.ts";

/** Accepts any chain: for tests of the engine, not of trust. */
export const acceptAnything: CertificateVerifier = { verify: () => Promise.resolve() };

/** The outcome of a pair run. */
export interface PairResult {
  client: Connection;
  server: Connection;
  clientInfo?: HandshakeInfo;
  serverInfo?: HandshakeInfo;
  clientError?: Error;
  serverError?: Error;
  /** Application data each side received. */
  clientReceived: Uint8Array[];
  serverReceived: Uint8Array[];
}

/** Moves bytes between the two engines until both are quiet; `chunk` splits each delivery. */
export async function pump(r: PairResult, chunk = Infinity): Promise<void> {
  const deliver = async (bytes: Uint8Array, to: Connection, side: "client" | "server") => {
    for (let at = 0; at < bytes.length; at += chunk) {
      try {
        await to.receive(bytes.subarray(at, Math.min(at + chunk, bytes.length)));
      } catch (e) {
        if (side === "client") r.clientError ??= e as Error;
        else r.serverError ??= e as Error;
        return;
      }
    }
  };
  for (let rounds = 0; rounds < 100; rounds++) {
    const a = r.client.takeOutput();
    if (a.length && !r.serverError) await deliver(a, r.server, "server");
    const b = r.server.takeOutput();
    if (b.length && !r.clientError) await deliver(b, r.client, "client");
    for (const e of r.client.takeEvents()) {
      if (e.type === "handshake") r.clientInfo = e.info;
      if (e.type === "data") r.clientReceived.push(e.data);
    }
    for (const e of r.server.takeEvents()) {
      if (e.type === "handshake") r.serverInfo = e.info;
      if (e.type === "data") r.serverReceived.push(e.data);
    }
    if (!a.length && !b.length) return;
  }
  throw new Error("the engines kept talking for 100 rounds");
}

/** Creates both engines and runs the handshake. */
export async function handshakePair(
  client: Partial<ClientConfig>,
  server: ServerConfig,
  chunk = Infinity,
): Promise<PairResult> {
  const r: PairResult = {
    client: Connection.client({ verifier: acceptAnything, serverName: "localhost", ...client }),
    server: Connection.server(server),
    clientReceived: [],
    serverReceived: [],
  };
  await r.client.start();
  await pump(r, chunk);
  return r;
}

/** The server settings for a certificate set, its key loaded into `extra.crypto` (or the default). */
export async function serverConfigFor(
  set: CertSet,
  extra: Partial<ServerConfig> = {},
): Promise<ServerConfig> {
  const crypto = extra.crypto ?? defaultProvider;
  return {
    certificate: {
      chain: set.serverChain,
      key: await crypto.loadSigningKey(set.server.privateKey),
    },
    ...extra,
  };
}

/** Concatenates what one side received, as text. */
export function text(chunks: Uint8Array[]): string {
  return chunks.map((c) => new TextDecoder().decode(c)).join("");
}

/** Our client connected to a real peer, after its handshake. */
export interface OurClient {
  conn: TlsConn;
  info: HandshakeInfo;
}

/**
 * Our client (over `Deno.Conn`) to 127.0.0.1:`port` for "localhost",
 * verifying the peer's chain against `set`'s CA; `opts` adds or overrides
 * settings (`crypto`, `groups`, `cipherSuites`, `alpn`, ...).
 */
export async function ourClient(
  port: number,
  set: CertSet,
  opts: Partial<ConnectOptions> = {},
): Promise<OurClient> {
  const conn = await connect({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    verifier: verifierFor(set),
    ...opts,
  });
  return { conn, info: await conn.handshake() };
}

/**
 * Writes `text` and reads the answer up to its end: a newline when `text`
 * ends with one, else `text` itself (the peer's answer quotes it).
 */
export async function echoOnce(
  conn: { write(p: Uint8Array): Promise<number>; read(p: Uint8Array): Promise<number | null> },
  text: string,
): Promise<string> {
  await conn.write(new TextEncoder().encode(text));
  return await readUntil(conn, text.endsWith("\n") ? "\n" : text);
}

/** A well-behaved client of an echo server: verifies it, sends `text`, returns the echo, closes. */
export async function goodClient(port: number, set: CertSet, text: string): Promise<string> {
  const { conn } = await ourClient(port, set);
  const echo = await echoOnce(conn, text);
  await conn.close();
  return echo;
}

/**
 * A client engine driven by hand over a raw socket until its handshake is
 * done (verifying the server against `set`'s CA), so that the test decides
 * what happens next on the socket: stop reading, send a forged record, ...
 */
export async function handshakeOver(
  sock: Deno.Conn,
  set: CertSet,
  extra: Partial<ClientConfig> = {},
): Promise<Connection> {
  const client = Connection.client({
    verifier: verifierFor(set),
    serverName: "localhost",
    ...extra,
  });
  await client.start();
  await sock.write(client.takeOutput());
  const buf = new Uint8Array(1 << 16);
  while (!client.handshakeInfo) {
    const n = await sock.read(buf);
    if (n === null) throw new Error("the server closed the connection during the handshake");
    await client.receive(buf.subarray(0, n));
    const out = client.takeOutput();
    if (out.length) await sock.write(out);
  }
  return client;
}
