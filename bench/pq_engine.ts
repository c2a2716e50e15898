/**
 * In one process, sans-IO, on one provider: the CPU of full in-memory
 * handshakes (our client and our server, each doing all of its work) per key
 * exchange group, and the application data rate of a connection pair per
 * cipher suite (client seals, server opens, 16 KiB records). Prints one line
 * of JSON. Run by bench/pq.ts:
 *
 *   deno run -A bench/pq_engine.ts --crypto webcrypto --handshakes 300 --mib 64
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Connection } from "../lib/connection.ts";
import type { ClientConfig, ServerConfig } from "../lib/config.ts";
import { CipherSuite, NamedGroup } from "../lib/codepoints.ts";
import { InsecureVerifier } from "../lib/x509/insecure.ts";
import { cryptoProvider, isProviderName } from "../lib/providers.ts";
import { makeCertSet } from "../tests/helpers/certs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    crypto: { type: "string", default: "webcrypto" },
    handshakes: { type: "string", default: "300" },
    mib: { type: "string", default: "64" },
  },
});
if (!isProviderName(values.crypto)) throw new Error(`unknown --crypto ${values.crypto}`);
const crypto = await cryptoProvider(values.crypto);
const set = await makeCertSet({ keyType: "ecdsa-p256" });
const key = await crypto.loadSigningKey(set.server.privateKey);

/** Own CPU time (user + system) in microseconds, from /proc/self/stat. */
function selfCpu(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 1e4;
}

/** A connected client and server with `group` and `suite`, bytes moved by hand. */
async function pair(group: number, suite: number) {
  const common = { crypto, groups: [group], cipherSuites: [suite] };
  const clientConfig: ClientConfig = {
    ...common,
    verifier: new InsecureVerifier(),
    serverName: "localhost",
  };
  const serverConfig: ServerConfig = { ...common, certificate: { chain: set.serverChain, key } };
  const client = Connection.client(clientConfig);
  const server = Connection.server(serverConfig);
  await client.start();
  for (let i = 0; i < 4 && !(client.handshakeInfo && server.handshakeInfo); i++) {
    const a = client.takeOutput();
    if (a.length) await server.receive(a);
    const b = server.takeOutput();
    if (b.length) await client.receive(b);
  }
  if (!client.handshakeInfo || !server.handshakeInfo) throw new Error("no handshake");
  if (client.handshakeInfo.group !== NamedGroup.name(group)) throw new Error("wrong group");
  client.takeEvents(), server.takeEvents();
  return { client, server };
}

/** CPU µs per full handshake (both sides) with `group`. */
async function handshakes(group: number, n: number) {
  for (let i = 0; i < Math.min(50, n); i++) await pair(group, CipherSuite.TLS_AES_128_GCM_SHA256);
  const cpu0 = selfCpu();
  for (let i = 0; i < n; i++) await pair(group, CipherSuite.TLS_AES_128_GCM_SHA256);
  return { group: NamedGroup.name(group), handshakes: n, cpuMicros: (selfCpu() - cpu0) / n };
}

/** MB/s of application data from client to server with `suite`, 16 KiB records. */
async function bulk(suite: number, mib: number) {
  const { client, server } = await pair(NamedGroup.x25519, suite);
  const chunk = new Uint8Array(1 << 20).fill(0x61);
  let received = 0;
  const send = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await client.write(chunk);
      await server.receive(client.takeOutput());
      for (const e of server.takeEvents()) if (e.type === "data") received += e.data.length;
    }
  };
  await send(8);
  received = 0;
  const cpu0 = selfCpu(), t0 = performance.now();
  await send(mib);
  const seconds = (performance.now() - t0) / 1000;
  if (received !== mib << 20) throw new Error(`received ${received} bytes of ${mib} MiB`);
  return {
    suite: CipherSuite.name(suite),
    mib,
    megabytesPerSecond: (mib * 2 ** 20) / 1e6 / seconds,
    cpuSeconds: (selfCpu() - cpu0) / 1e6,
  };
}

const n = Number(values.handshakes), mib = Number(values.mib);
const result = {
  crypto: crypto.name,
  handshakes: [
    await handshakes(NamedGroup.x25519, n),
    await handshakes(NamedGroup.X25519MLKEM768, n),
  ],
  bulk: [
    await bulk(CipherSuite.TLS_AES_128_GCM_SHA256, mib),
    await bulk(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, mib),
  ],
};
console.log(JSON.stringify(result));
