/**
 * Memory over many handshakes with one crypto provider: does it stay flat?
 * A client and a server engine run full handshakes in memory (X25519,
 * TLS_AES_128_GCM_SHA256, ECDSA P-256, the client validating the chain),
 * each with a line of data and close_notify both ways, as fast as they go;
 * RSS, V8's heap, the CPU time per connection (both sides) and, for the
 * openssl provider, the OpenSSL objects still owned by JavaScript objects
 * are printed at intervals. A benchmark, not a test.
 *
 *   deno run -A bench/provider_memory.ts [--crypto openssl|webcrypto]
 *       [--handshakes 100000] [--seconds 150] [--every 5000]
 *
 * With `--v8-flags=--expose-gc` it also prints RSS after a full garbage
 * collection at each interval, which separates what is retained from what
 * merely has not been collected yet.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Connection } from "../lib/connection.ts";
import { CipherSuite, NamedGroup } from "../lib/codepoints.ts";
import { cryptoProvider, isProviderName } from "../lib/providers.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { makeCertSet } from "../tests/helpers/certs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    crypto: { type: "string", default: "openssl" },
    handshakes: { type: "string", default: "100000" },
    seconds: { type: "string", default: "150" },
    every: { type: "string", default: "5000" },
  },
});
if (!isProviderName(values.crypto)) throw new Error(`unknown --crypto ${values.crypto}`);
const crypto = await cryptoProvider(values.crypto);
const total = Number(values.handshakes);
const deadline = performance.now() + Number(values.seconds) * 1000;
const every = Number(values.every);

const set = await makeCertSet({ keyType: "ecdsa-p256" });
const key = await crypto.loadSigningKey(set.server.privateKey);
const verifier = new PathVerifier([set.ca.certificate]);
const line = new TextEncoder().encode("one line of application data\n");

/** One whole connection in memory; throws unless both sides finish cleanly. */
async function connection(): Promise<void> {
  const client = Connection.client({
    serverName: "localhost",
    verifier,
    crypto,
    groups: [NamedGroup.x25519],
    cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256],
  });
  const server = Connection.server({ crypto, certificate: { chain: set.serverChain, key } });
  const pump = async () => {
    for (let moved = true; moved;) {
      const a = client.takeOutput();
      if (a.length) await server.receive(a);
      const b = server.takeOutput();
      if (b.length) await client.receive(b);
      client.takeEvents();
      server.takeEvents();
      moved = a.length > 0 || b.length > 0;
    }
  };
  await client.start();
  await pump();
  if (!client.handshakeInfo || !server.handshakeInfo) throw new Error("no handshake");
  await client.write(line);
  await server.write(line);
  await client.close();
  await pump();
  await server.close();
  await pump();
}

/** This process's CPU time (user + system) in microseconds, from /proc/self/stat. */
function cpuMicros(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 1e4;
}

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (n: number) => (n / 1048576).toFixed(1);
const { libcryptoVersion, liveNativeObjects } = values.crypto === "openssl"
  ? await import("../lib/crypto/openssl/mod.ts")
  : { libcryptoVersion: () => "", liveNativeObjects: () => ({}) };
console.log(
  `provider ${crypto.name}${values.crypto === "openssl" ? ` (${libcryptoVersion()})` : ""}, ` +
    `up to ${total} handshakes or ${values.seconds} s, Deno ${Deno.version.deno}`,
);
console.log(
  "handshakes   rss MiB   heap MiB   CPU µs/connection" +
    (gc ? "   after gc: rss MiB   heap MiB" : "") +
    (values.crypto === "openssl" ? "   live OpenSSL objects" : ""),
);
const report = (done: number, micros: number) => {
  const m = Deno.memoryUsage();
  let row = `${String(done).padStart(10)}   ${mib(m.rss).padStart(7)}   ` +
    `${mib(m.heapUsed).padStart(8)}   ${micros.toFixed(0).padStart(17)}`;
  if (gc) {
    gc();
    const after = Deno.memoryUsage();
    row += `   ${mib(after.rss).padStart(17)}   ${mib(after.heapUsed).padStart(8)}`;
  }
  const objects = Object.entries(liveNativeObjects()).map(([k, n]) => `${k} ${n}`);
  console.log(row + (objects.length ? `   ${objects.join(", ")}` : ""));
};

report(0, 0);
let done = 0;
let mark = cpuMicros();
while (done < total && performance.now() < deadline) {
  await connection();
  done++;
  // A server yields to the event loop between reads; so does this loop, now and then, which
  // lets finalizers run (a provider may free native memory in them).
  if (done % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  if (done % every === 0) {
    const now = cpuMicros();
    report(done, (now - mark) / every);
    mark = now;
  }
}
if (done % every !== 0) report(done, (cpuMicros() - mark) / (done % every));
