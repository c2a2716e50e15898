/**
 * The engine alone: the CPU a server `Connection` spends on one full
 * handshake, sans-IO, with no socket, adapter or event loop around it.
 *
 *   deno run -A bench/replay.ts [--iterations N] [--crypto webcrypto|openssl]
 *
 * A client's flights are recorded once against a server whose randomness,
 * key share and signature are fixed; then fresh server connections replay
 * them. Each replayed server still does every piece of real work (an X25519
 * key pair, the key agreement, an ECDSA P-256 signature, the key schedule,
 * the records) but is given the recorded key share and signature, so the
 * client's recorded Finished verifies. This separates the engine's cost from
 * the transport's, and is steady enough to compare two versions of the code.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Connection } from "../lib/connection.ts";
import type { ServerConfig } from "../lib/config.ts";
import { CipherSuite, NamedGroup } from "../lib/codepoints.ts";
import type { SigningKey } from "../lib/crypto/provider.ts";
import { InsecureVerifier } from "../lib/x509/insecure.ts";
import { cryptoProvider, isProviderName } from "../lib/providers.ts";
import { makeCertSet } from "../tests/helpers/certs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "2000" },
    crypto: { type: "string", default: "webcrypto" },
  },
});
if (!isProviderName(values.crypto)) throw new Error(`unknown --crypto ${values.crypto}`);

/** Own CPU time (user + system) in microseconds, from /proc/self/stat. */
function selfCpu(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 1e4;
}

const set = await makeCertSet({ keyType: "ecdsa-p256" });
const crypto = await cryptoProvider(values.crypto);
const x25519 = crypto.groups.find((g) => g.id === NamedGroup.x25519)!;
const realKey = await crypto.loadSigningKey(set.server.privateKey);
const serverRandom = crypto.randomBytes(32);
const fixedShare = await x25519.start();
let fixedSignature: Uint8Array | undefined;

/** A signing key that signs for real, but answers with the first signature it made. */
const replayKey = Object.create(realKey, {
  sign: {
    value: async (scheme: number, data: Uint8Array) => {
      const signature = await realKey.sign(scheme, data);
      fixedSignature ??= signature;
      return fixedSignature;
    },
  },
}) as SigningKey;

const serverConfig: ServerConfig = {
  crypto,
  certificate: { chain: set.serverChain, key: replayKey },
  random: (n) => serverRandom.slice(0, n),
  // A real key pair is made (its cost counts), but the recorded one is used.
  keyShares: async () => {
    await x25519.start();
    return fixedShare;
  },
};

/** Records the client's two flights against one server. */
async function record(): Promise<Uint8Array[]> {
  const client = Connection.client({
    crypto,
    verifier: new InsecureVerifier(),
    serverName: "localhost",
    cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256],
    groups: [NamedGroup.x25519],
  });
  const server = Connection.server(serverConfig);
  await client.start();
  const hello = client.takeOutput();
  await server.receive(hello);
  await client.receive(server.takeOutput());
  const finished = client.takeOutput();
  await server.receive(finished);
  if (!server.handshakeInfo) throw new Error("the recording handshake did not complete");
  return [hello, finished];
}

const [hello, finished] = await record();

async function one(): Promise<void> {
  const server = Connection.server(serverConfig);
  await server.receive(hello);
  server.takeOutput();
  await server.receive(finished);
  if (!server.handshakeInfo) throw new Error("a replayed handshake did not complete");
}

const n = Number(values.iterations);
for (let i = 0; i < Math.min(300, n); i++) await one();
const cpu0 = selfCpu(), t0 = performance.now();
for (let i = 0; i < n; i++) await one();
const cpu = selfCpu() - cpu0, wall = performance.now() - t0;
console.log(JSON.stringify({ iterations: n, cpuMicros: cpu / n, wallMicros: wall * 1000 / n }));
