/**
 * Valid conversations between our client and our server, recorded in
 * memory with fixed randomness, clock, certificates and key shares
 * (tests/fuzz/identity.json), so that each side's input replays byte for
 * byte into a fresh engine of the other role. Each recording keeps, per
 * direction, the deliveries as they happened and the records in them, with
 * their content before protection and the keys that protected them: the
 * mutator works on that structure and seals the result again.
 *
 * @module
 */

import { Connection } from "../../lib/connection.ts";
import type { ClientConfig, ServerConfig } from "../../lib/config.ts";
import { CipherSuite, ContentType, NamedGroup } from "../../lib/codepoints.ts";
import { defaultProvider } from "../../lib/crypto/default.ts";
import type { CryptoProvider, SigningKey } from "../../lib/crypto/provider.ts";
import type { Side, TraceEvent } from "../../lib/trace.ts";
import { acceptAnything } from "../helpers/pair.ts";
import { groupOf, RECORDED_GROUPS, RECORDED_SUITES } from "../helpers/providers.ts";
import { records } from "../vectors/wire.ts";
import { Rng } from "./rng.ts";

/** A record of a conversation: its content before protection, and which keys protected it. */
export interface LogicalRecord {
  type: number;
  content: Uint8Array;
  /** Index into the direction's `keys`, or -1 for a plaintext record. */
  key: number;
  /** Which delivery (write to the wire) it was part of. */
  chunk: number;
}

/** One direction of a conversation: what one side sent. */
export interface Direction {
  /** The bytes of each delivery, as the peer received them. */
  chunks: Uint8Array[];
  records: LogicalRecord[];
  /** The write keys of the sender, in the order it installed them. */
  keys: { key: Uint8Array; iv: Uint8Array }[];
}

/** A recorded conversation: the bytes each side sent, replayable into the other role. */
export interface Conversation {
  scenario: string;
  /** The negotiated cipher suite's code point (which AEAD the keys are for). */
  suite: number;
  /** What the client sent: the input of a server under test. */
  toServer: Direction;
  /** What the server sent: the input of a client under test. */
  toClient: Direction;
}

interface Identity {
  server: { chain: string[]; key: string };
  client: { chain: string[]; key: string };
  shares: Record<"client" | "server", Record<string, string>>;
}

const identity: Identity = JSON.parse(
  await Deno.readTextFile(new URL("./identity.json", import.meta.url)),
);
const der = (b64: string) => Uint8Array.fromBase64(b64);

/** Fixed key shares for one side: each group's private key (PKCS#8) with its public share. */
async function fixedShares(
  side: "client" | "server",
): Promise<Map<number, { pkcs8: Uint8Array; share: Uint8Array }>> {
  const shares = new Map<number, { pkcs8: Uint8Array; share: Uint8Array }>();
  for (const [group, pkcs8] of Object.entries(identity.shares[side])) {
    const g = Number(group);
    const algorithm = g === NamedGroup.x25519
      ? { name: "X25519" }
      : { name: "ECDH", namedCurve: g === NamedGroup.secp256r1 ? "P-256" : "P-384" };
    const key = await crypto.subtle.importKey("pkcs8", der(pkcs8), algorithm, true, [
      "deriveBits",
    ]);
    const jwk = await crypto.subtle.exportKey("jwk", key);
    const point = g === NamedGroup.x25519
      ? Uint8Array.fromBase64(jwk.x!, { alphabet: "base64url" })
      : Uint8Array.of(
        4,
        ...Uint8Array.fromBase64(jwk.x!, { alphabet: "base64url" }),
        ...Uint8Array.fromBase64(jwk.y!, { alphabet: "base64url" }),
      );
    shares.set(g, { pkcs8: der(pkcs8), share: point });
  }
  return shares;
}
const clientShares = await fixedShares("client");
const serverShares = await fixedShares("server");

/** The key exchanges of `shares`, on `crypto`. */
function fixedExchanges(
  crypto: CryptoProvider,
  shares: Map<number, { pkcs8: Uint8Array; share: Uint8Array }>,
): ClientConfig["keyShares"] {
  return (group) => {
    const { pkcs8, share } = shares.get(group)!;
    return groupOf(crypto, group).withPrivateKey!(pkcs8, share);
  };
}

/** Both signing keys, loaded into each provider once. */
const signingKeys = new Map<CryptoProvider, { server: SigningKey; client: SigningKey }>();

/** Loads the identity's keys into `crypto` (once); the configs below need them. */
export async function loadKeys(crypto: CryptoProvider): Promise<void> {
  if (signingKeys.has(crypto)) return;
  signingKeys.set(crypto, {
    server: await crypto.loadSigningKey(der(identity.server.key)),
    client: await crypto.loadSigningKey(der(identity.client.key)),
  });
}

function keysOf(crypto: CryptoProvider): { server: SigningKey; client: SigningKey } {
  const keys = signingKeys.get(crypto);
  if (!keys) throw new Error(`loadKeys(${crypto.name}) first`);
  return keys;
}

/** The fixed clock of every recording. */
const NOW = new Date("2026-06-01T12:00:00Z");

/** What differs between scenarios: settings of each side, and what they do after the handshake. */
interface Scenario {
  client: Partial<ClientConfig>;
  server: Partial<ServerConfig>;
}

/** The recorded scenarios: together they cover every message and record type the engine reads. */
export const SCENARIOS: Record<string, Scenario> = {
  /** x25519, AES-128: data both ways, KeyUpdate with update_requested, close_notify both ways. */
  basic: { client: {}, server: {} },
  /** The client's share (P-256) is for a group the server does not take: a HelloRetryRequest for x25519; AES-256. */
  retry: {
    client: { groups: [NamedGroup.secp256r1, NamedGroup.x25519] },
    server: { groups: [NamedGroup.x25519], cipherSuites: [0x1302] },
  },
  /** A client certificate (added by clientConfig), ALPN and SNI. */
  mutual: {
    client: { alpn: ["h2", "http/1.1"] },
    server: {
      alpn: ["h2"],
      clientAuth: { verifier: acceptAnything, required: true },
    },
  },
  /** Records of at most 37 bytes of content: every message spans records. P-384. */
  fragmented: {
    client: { maxFragmentSize: 37, groups: [NamedGroup.secp384r1] },
    server: { maxFragmentSize: 37, groups: [NamedGroup.secp384r1] },
  },
};

/** A deterministic random source for one engine. */
function fixedRandom(seed: number): (n: number) => Uint8Array {
  const rng = new Rng(seed);
  return (n) => rng.bytes(n);
}

/** The client config of `scenario` on `crypto` (after `loadKeys`), deterministic. */
export function clientConfig(
  scenario: string,
  crypto: CryptoProvider = defaultProvider,
  trace?: (e: TraceEvent) => void,
): ClientConfig {
  const certificate = scenario === "mutual"
    ? { chain: identity.client.chain.map(der), key: keysOf(crypto).client }
    : undefined;
  return {
    crypto,
    verifier: acceptAnything,
    serverName: "localhost",
    random: fixedRandom(1),
    now: () => NOW,
    keyShares: fixedExchanges(crypto, clientShares),
    groups: RECORDED_GROUPS,
    cipherSuites: RECORDED_SUITES,
    certificate,
    ...SCENARIOS[scenario].client,
    trace,
  };
}

/** The server config of `scenario` on `crypto` (after `loadKeys`), deterministic. */
export function serverConfig(
  scenario: string,
  crypto: CryptoProvider = defaultProvider,
  trace?: (e: TraceEvent) => void,
): ServerConfig {
  return {
    crypto,
    certificate: { chain: identity.server.chain.map(der), key: keysOf(crypto).server },
    random: fixedRandom(2),
    now: () => NOW,
    keyShares: fixedExchanges(crypto, serverShares),
    groups: RECORDED_GROUPS,
    cipherSuites: RECORDED_SUITES,
    ...SCENARIOS[scenario].server,
    trace,
  };
}

/** Runs `scenario` between a fresh client and server on `crypto` and records both directions. */
export async function record(
  scenario: string,
  crypto: CryptoProvider = defaultProvider,
): Promise<Conversation> {
  await loadKeys(crypto);
  const traces: Record<Side, TraceEvent[]> = { client: [], server: [] };
  const client = Connection.client(
    clientConfig(scenario, crypto, (e) => traces.client.push(e)),
  );
  const server = Connection.server(
    serverConfig(scenario, crypto, (e) => traces.server.push(e)),
  );
  const chunks: Record<Side, Uint8Array[]> = { client: [], server: [] };
  const exchange = async () => {
    for (let round = 0; round < 20; round++) {
      const c = client.takeOutput();
      if (c.length) chunks.client.push(c), await server.receive(c);
      const s = server.takeOutput();
      if (s.length) chunks.server.push(s), await client.receive(s);
      if (!c.length && !s.length) return;
    }
    throw new Error("the recording did not settle");
  };
  const text = (s: string) => new TextEncoder().encode(s);
  await client.start();
  await exchange();
  const info = client.handshakeInfo;
  if (!info || !server.handshakeInfo) throw new Error(`${scenario}: no handshake`);
  await client.write(text("hello from the client"));
  await server.write(text("hello from the server"));
  await exchange();
  await client.keyUpdate(true);
  await client.write(text("after the key update"));
  await exchange();
  await server.write(text("the server after its update"));
  await server.close();
  await client.close();
  await exchange();
  return {
    scenario,
    suite: CipherSuite[info.cipherSuite as "TLS_AES_128_GCM_SHA256"],
    toServer: direction("client", chunks.client, traces.client),
    toClient: direction("server", chunks.server, traces.server),
  };
}

/** Pairs the records a side sent with their plaintext content and keys, from its own trace. */
function direction(side: Side, chunks: Uint8Array[], trace: TraceEvent[]): Direction {
  const keys: Direction["keys"] = [];
  const sent: { type: number; content: Uint8Array; key: number }[] = [];
  for (const e of trace) {
    if (e.kind === "keys" && e.direction === side) keys.push({ key: e.key, iv: e.iv });
    if (e.kind === "record" && e.from === side) {
      sent.push({
        type: e.contentType,
        content: e.content.slice(),
        key: e.epoch === "plaintext" ? -1 : keys.length - 1,
      });
    }
  }
  const out: LogicalRecord[] = [];
  chunks.forEach((bytes, chunk) => {
    for (const r of records(bytes)) {
      const traced = sent[out.length];
      const outer = traced?.key === -1 ? traced.type : ContentType.application_data;
      if (r.type !== outer) throw new Error(`${side}: record ${out.length} is not the one traced`);
      out.push({ ...traced, chunk });
    }
  });
  if (out.length !== sent.length) throw new Error(`${side}: ${sent.length - out.length} unmatched`);
  return { chunks, records: out, keys };
}
