/**
 * The webcrypto and openssl providers, differentially: the same connection
 * (fixed randoms, fixed key shares, the same certificate chain and path
 * validation) runs once on each, and every byte either side sends must be
 * the same. ECDSA and RSA-PSS signatures are randomized, so the first run
 * records the server's CertificateVerify signature and the second signs
 * with it: each provider's client then verifies the other's signature.
 */

import assert from "node:assert/strict";
import { CipherSuite, NamedGroup } from "../lib/codepoints.ts";
import type { ClientConfig, ServerConfig } from "../lib/config.ts";
import { Connection } from "../lib/connection.ts";
import type { ActiveKeyExchange, CryptoProvider, SigningKey } from "../lib/crypto/provider.ts";
import { opensslProvider } from "../lib/crypto/openssl/mod.ts";
import { webcrypto } from "../lib/crypto/webcrypto/mod.ts";
import type { KeyType } from "../lib/x509/issue.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { groupOf } from "./helpers/providers.ts";

const openssl = opensslProvider();

/** Random bytes counting up from `start`, continuing from call to call. */
function counting(start: number): (n: number) => Uint8Array {
  let next = start;
  return (n) => Uint8Array.from({ length: n }, () => next++ & 0xff);
}

/** A fixed key pair per group, made once by WebCrypto: PKCS#8 and the public share. */
type FixedKeys = Map<number, { pkcs8: Uint8Array; share: Uint8Array }>;

async function fixedKeys(): Promise<FixedKeys> {
  const keys: FixedKeys = new Map();
  for (
    const [group, alg] of [
      [NamedGroup.x25519, { name: "X25519" }],
      [NamedGroup.secp256r1, { name: "ECDH", namedCurve: "P-256" }],
      [NamedGroup.secp384r1, { name: "ECDH", namedCurve: "P-384" }],
    ] as const
  ) {
    const pair = await crypto.subtle.generateKey(alg as EcKeyGenParams, true, [
      "deriveBits",
    ]) as CryptoKeyPair;
    keys.set(group, {
      pkcs8: new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
      share: new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
    });
  }
  return keys;
}

/** Shares from the fixed keys, on `provider`. */
function sharesFrom(
  provider: CryptoProvider,
  keys: FixedKeys,
): (group: number) => Promise<ActiveKeyExchange> {
  return async (group) => {
    const k = keys.get(group)!;
    return await groupOf(provider, group).withPrivateKey!(k.pkcs8, k.share);
  };
}

/**
 * A signing key that signs with `key` and records each (message, signature),
 * or, given recordings, answers each message with the recorded signature
 * (after checking it is the same message).
 */
function pinnedSigner(key: SigningKey, recorded: [string, Uint8Array][]): SigningKey {
  const replay = recorded.length > 0;
  let next = 0;
  return {
    info: key.info,
    schemes: key.schemes,
    async sign(scheme, message) {
      if (replay) {
        const [expected, signature] = recorded[next++];
        assert.equal(message.toHex(), expected, "the same CertificateVerify content");
        return signature;
      }
      const signature = await key.sign(scheme, message);
      recorded.push([message.toHex(), signature]);
      return signature;
    },
  };
}

interface Case {
  name: string;
  keyType: KeyType;
  suite: number;
  clientGroups: number[];
  serverGroups?: number[];
}

const CASES: Case[] = [
  {
    name: "x25519, AES-128-GCM, Ed25519",
    keyType: "ed25519",
    suite: CipherSuite.TLS_AES_128_GCM_SHA256,
    clientGroups: [NamedGroup.x25519],
  },
  {
    name: "P-256, AES-256-GCM, ECDSA P-256",
    keyType: "ecdsa-p256",
    suite: CipherSuite.TLS_AES_256_GCM_SHA384,
    clientGroups: [NamedGroup.secp256r1],
  },
  {
    name: "P-384 after a HelloRetryRequest, AES-128-GCM, RSA-PSS",
    keyType: "rsa-2048",
    suite: CipherSuite.TLS_AES_128_GCM_SHA256,
    clientGroups: [NamedGroup.x25519, NamedGroup.secp384r1],
    serverGroups: [NamedGroup.secp384r1],
  },
  {
    name: "x25519, AES-256-GCM, ECDSA P-384 through an intermediate",
    keyType: "ecdsa-p384",
    suite: CipherSuite.TLS_AES_256_GCM_SHA384,
    clientGroups: [NamedGroup.x25519],
  },
];

/** One flight: who sent it and its bytes. */
type Flight = { from: "client" | "server"; hex: string };

/**
 * Runs the whole connection on `provider` and returns every flight:
 * handshake, 20 KiB from the client (two records), a line back, a KeyUpdate
 * and more data, close_notify both ways.
 */
async function run(
  provider: CryptoProvider,
  c: Case,
  set: Awaited<ReturnType<typeof makeCertSet>>,
  keys: FixedKeys,
  signatures: [string, Uint8Array][],
): Promise<{ flights: Flight[]; received: string[]; helloRetry?: boolean }> {
  const now = () => new Date(Date.parse("2027-01-01T00:00:00Z"));
  const clientConfig: ClientConfig = {
    serverName: "localhost",
    crypto: provider,
    verifier: new PathVerifier([set.ca.certificate]),
    random: counting(0x10),
    now,
    groups: c.clientGroups,
    cipherSuites: [c.suite],
    keyShares: sharesFrom(provider, keys),
  };
  const serverConfig: ServerConfig = {
    crypto: provider,
    certificate: {
      chain: set.serverChain,
      key: pinnedSigner(await provider.loadSigningKey(set.server.privateKey), signatures),
    },
    random: counting(0x80),
    now,
    groups: c.serverGroups,
    keyShares: sharesFrom(provider, keys),
  };
  const client = Connection.client(clientConfig);
  const server = Connection.server(serverConfig);
  const flights: Flight[] = [];
  const received: string[] = [];
  let helloRetry: boolean | undefined;
  const pump = async () => {
    for (let round = 0; round < 50; round++) {
      const a = client.takeOutput();
      if (a.length) {
        flights.push({ from: "client", hex: a.toHex() });
        await server.receive(a);
      }
      const b = server.takeOutput();
      if (b.length) {
        flights.push({ from: "server", hex: b.toHex() });
        await client.receive(b);
      }
      for (const e of [...client.takeEvents(), ...server.takeEvents()]) {
        if (e.type === "data") received.push(new TextDecoder().decode(e.data));
        if (e.type === "handshake") helloRetry = e.info.helloRetry;
      }
      if (!a.length && !b.length) return;
    }
    throw new Error("the engines kept talking");
  };
  await client.start();
  await pump();
  await client.write(new TextEncoder().encode("x".repeat(20 * 1024)));
  await pump();
  await server.write(new TextEncoder().encode("a line back\n"));
  await pump();
  await client.keyUpdate(true);
  await pump();
  await client.write(new TextEncoder().encode("after the key update\n"));
  await pump();
  await client.close();
  await pump();
  await server.close();
  await pump();
  return { flights, received, helloRetry };
}

const keys = await fixedKeys();

for (const c of CASES) {
  Deno.test(`differential: webcrypto and openssl send the same bytes (${c.name})`, async () => {
    const set = await makeCertSet({
      keyType: c.keyType,
      intermediate: c.keyType === "ecdsa-p384",
    });
    for (const [first, second] of [[webcrypto, openssl], [openssl, webcrypto]]) {
      const signatures: [string, Uint8Array][] = [];
      const a = await run(first, c, set, keys, signatures);
      assert.equal(signatures.length, 1, "one CertificateVerify signed");
      const b = await run(second, c, set, keys, signatures);
      assert.ok(a.flights.length >= 8, `a whole connection: ${a.flights.length} flights`);
      assert.equal(b.flights.length, a.flights.length);
      for (let i = 0; i < a.flights.length; i++) {
        assert.deepEqual(
          b.flights[i],
          a.flights[i],
          `flight ${i} (${a.flights[i].from}), ${first.name} then ${second.name}`,
        );
      }
      assert.deepEqual(b.received, a.received);
      assert.equal(a.helloRetry, c.serverGroups !== undefined);
      assert.equal(a.received.join("").length, 20 * 1024 + "a line back\n".length + 21);
    }
  });
}
