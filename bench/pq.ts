/**
 * Section 5: what the post-quantum hybrid and ChaCha20-Poly1305 cost.
 * The server's CPU per full handshake with X25519MLKEM768 beside x25519,
 * under the same client load (Node 26, OpenSSL 3.5, one handshake at a time,
 * `ecdhCurve` set to the group), for `handshake serve` on each provider and
 * for `Deno.listenTls` (rustls); then, in memory (bench/pq_engine.ts), both
 * sides of our handshake per group and the application data rate of
 * AES-128-GCM beside ChaCha20-Poly1305 per provider.
 *
 * @module
 */

import { node26 } from "../tests/helpers/node26.ts";
import { cpuMicros, freePort, Peer, runMeasured, waitForPort, waitIdle } from "./proc.ts";
import { type CryptoName, oursServe, peer, type Setup } from "./setup.ts";

/** One server's CPU per handshake with one group. */
export interface GroupCost {
  server: string;
  group: string;
  handshakes: number;
  /** Server CPU time per handshake, µs. */
  cpuMicrosPerHandshake: number;
}

/** The in-memory figures of one provider (bench/pq_engine.ts). */
export interface EnginePq {
  crypto: string;
  handshakes: { group: string; handshakes: number; cpuMicros: number }[];
  bulk: { suite: string; mib: number; megabytesPerSecond: number; cpuSeconds: number }[];
}

/** Everything section 5 measured. */
export interface PqResult {
  servers: GroupCost[];
  engines: EnginePq[];
}

/** Node 26 making `count` handshakes in a row with `group`, checking each used it. */
const LOAD = `
const tls = require("node:tls");
const [port, count, group, ca] = [Number(process.env.PORT), Number(process.env.COUNT),
  process.env.GROUP, process.env.CA];
let done = 0;
function one() {
  const s = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca,
    ecdhCurve: group, minVersion: "TLSv1.3", ciphers: "TLS_AES_128_GCM_SHA256" }, () => {
    const name = s.getEphemeralKeyInfo().name;
    if (name !== group) { console.error("negotiated " + name); process.exit(1); }
    s.destroy();
    if (++done < count) one(); else console.log(JSON.stringify({ handshakes: done }));
  });
  s.on("error", (e) => { console.error(e.message); process.exit(1); });
}
one();`;

async function load(node: string, s: Setup, port: number, group: string, count: number) {
  const ca = await Deno.readTextFile(s.ca);
  const m = await runMeasured([node, "-e", LOAD], {
    env: { PORT: String(port), COUNT: String(count), GROUP: group, CA: ca },
  });
  if (m.code !== 0) throw new Error(`the Node 26 load failed: ${m.stderr}`);
}

/** A server's CPU per handshake with each group, warmed up first. */
async function measure(
  node: string,
  s: Setup,
  name: string,
  cmd: (port: number) => string[],
  count: number,
): Promise<GroupCost[]> {
  const port = freePort();
  const c = cmd(port);
  const server = new Peer(c[0], c.slice(1));
  const out: GroupCost[] = [];
  try {
    await waitForPort(port);
    for (const group of ["X25519", "X25519MLKEM768"]) {
      await load(node, s, port, group, Math.max(20, count >> 2));
      await waitIdle(server.pid);
      const before = cpuMicros(server.pid);
      await load(node, s, port, group, count);
      await waitIdle(server.pid);
      out.push({
        server: name,
        group: group === "X25519" ? "x25519" : group,
        handshakes: count,
        cpuMicrosPerHandshake: (cpuMicros(server.pid) - before) / count,
      });
    }
  } finally {
    await server.kill();
  }
  return out;
}

/** Section 5, on `cryptos`; undefined (with a warning) when Node 26 cannot be had. */
export async function pq(
  s: Setup,
  count: number,
  mib: number,
  cryptos: readonly CryptoName[],
): Promise<PqResult | undefined> {
  const node = await node26();
  if (!node) return undefined;
  const servers: GroupCost[] = [];
  for (const crypto of cryptos) {
    servers.push(
      ...await measure(
        node,
        s,
        `handshake serve --crypto ${crypto}`,
        (port) => oursServe(s, port, crypto),
        count,
      ),
    );
  }
  servers.push(
    ...await measure(node, s, "Deno.listenTls", (port) => peer("deno-server", s, port), count),
  );
  const engines: EnginePq[] = [];
  const script = new URL("pq_engine.ts", import.meta.url).pathname;
  for (const crypto of cryptos) {
    const m = await runMeasured([
      Deno.execPath(),
      "run",
      "-A",
      script,
      "--crypto",
      crypto,
      "--handshakes",
      String(count),
      "--mib",
      String(mib),
    ]);
    if (m.code !== 0) throw new Error(`pq_engine failed:\n${m.stderr}`);
    engines.push(JSON.parse(m.stdout.trim().split("\n").pop()!));
  }
  return { servers, engines };
}
