/**
 * Section 5: resident memory per idle established connection, with many
 * connections held open (each proven by a one-byte echo), for
 * `handshake serve` and a `Deno.listenTls` echo server. Both servers collect
 * all garbage (SIGUSR2, see gc.ts) before each reading, so that the figure
 * is what live connections hold.
 *
 * @module
 */

import { freePort, Peer, rssBytes, sleep, waitForPort, waitIdle } from "./proc.ts";
import { type CryptoName, oursServeGc, peer, type Setup } from "./setup.ts";

/** One server's memory. */
export interface MemoryResult {
  server: string;
  connections: number;
  baselineBytes: number;
  loadedBytes: number;
  bytesPerConnection: number;
}

/** Collects garbage in the server, lets it settle, and reads its RSS. */
async function settledRss(pid: number): Promise<number> {
  await waitIdle(pid, 200);
  Deno.kill(pid, "SIGUSR2");
  await sleep(500);
  await waitIdle(pid, 200);
  return rssBytes(pid);
}

async function holdConnections(s: Setup, port: number, n: number): Promise<Peer> {
  const cmd = peer("hold", s, port, "--conns", String(n));
  const holder = new Peer(cmd[0], cmd.slice(1));
  await holder.waitFor(/ready (\d+)/, 300_000);
  return holder;
}

async function measure(name: string, s: Setup, cmd: string[], port: number, n: number) {
  const server = new Peer(cmd[0], cmd.slice(1));
  try {
    await waitForPort(port);
    // Warm up: the same work on a few connections, so code and caches are in place.
    await (await holdConnections(s, port, Math.min(100, n))).kill();
    const baselineBytes = await settledRss(server.pid);
    const holder = await holdConnections(s, port, n);
    const loadedBytes = await settledRss(server.pid);
    await holder.kill();
    return {
      server: name,
      connections: n,
      baselineBytes,
      loadedBytes,
      bytesPerConnection: (loadedBytes - baselineBytes) / n,
    };
  } finally {
    await server.kill();
  }
}

/** Section 5: our server on each provider, then Deno's. */
export async function memory(
  s: Setup,
  connections: number,
  cryptos: readonly CryptoName[],
): Promise<MemoryResult[]> {
  const ours: MemoryResult[] = [];
  let port: number;
  for (const crypto of cryptos) {
    port = freePort();
    const cmd = oursServeGc(s, port, crypto);
    ours.push(await measure(`handshake serve --crypto ${crypto}`, s, cmd, port, connections));
  }
  port = freePort();
  const deno = await measure(
    "Deno.listenTls",
    s,
    peer("deno-server", s, port),
    port,
    connections,
  );
  return [...ours, deno];
}
