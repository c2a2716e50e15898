/**
 * Section 3: bulk throughput, one way, client to a sink server, for our
 * client and server, Deno's native TLS, and OpenSSL on either side; beside
 * the raw rate of WebCrypto AES-128-GCM seal + open on 16 KiB records.
 *
 * Each pair runs twice, with the full amount and with zero bytes (start-up,
 * handshake and close); the difference is the transfer. Time is the
 * client's wall time; CPU is the client's (from wait4) plus the server's
 * (from /proc, until it is idle again).
 *
 * @module
 */

import {
  cpuMicros,
  freePort,
  type Measured,
  Peer,
  runMeasured,
  waitForPort,
  waitIdle,
} from "./proc.ts";
import { type CryptoName, opensslClient, opensslServer, peer, type Setup } from "./setup.ts";

/** One client → server pair. */
export interface BulkResult {
  client: string;
  server: string;
  bytes: number;
  megabytesPerSecond: number;
  /** CPU per MB (10^6 bytes) moved, µs: client, server, and both. */
  clientCpuMicrosPerMB: number;
  serverCpuMicrosPerMB: number;
  cpuMicrosPerMB: number;
}

/** The raw WebCrypto rate. */
export interface AeadResult {
  /** Records in flight at once (1: one at a time). */
  inflight: number;
  records: number;
  bytes: number;
  megabytesPerSecond: number;
  cpuMicrosPerMB: number;
}

/** One end of a pair: ours on a provider, Deno's native TLS, or OpenSSL. */
type Side = { ours: CryptoName } | "deno" | "openssl";

function names(side: Side): [string, string] {
  if (side === "deno") return ["Deno.connectTls", "Deno.listenTls"];
  if (side === "openssl") return ["openssl s_client", "openssl s_server"];
  return [`handshake (ours, ${side.ours})`, `handshake (ours, ${side.ours})`];
}

function serverCmd(side: Side, s: Setup, port: number): string[] {
  if (side === "deno") return peer("deno-server", s, port, "--sink");
  if (side === "openssl") return opensslServer(s, port);
  return peer("ours-server", s, port, "--sink", "--crypto", side.ours);
}

function runClient(side: Side, s: Setup, port: number, bytes: number): Promise<Measured> {
  if (side === "openssl") {
    return runMeasured(opensslClient(s, port), { zeroInput: bytes, env: s.opensslEnv });
  }
  if (side === "deno") return runMeasured(peer("deno-client", s, port, "--bytes", String(bytes)));
  return runMeasured(
    peer("ours-client", s, port, "--bytes", String(bytes), "--crypto", side.ours),
  );
}

/** Runs `bytes` from `client` to a fresh `server`, less the same pair moving nothing. */
async function pair(client: Side, server: Side, s: Setup, bytes: number): Promise<BulkResult> {
  const port = freePort();
  const cmd = serverCmd(server, s, port);
  const srv = new Peer(cmd[0], cmd.slice(1), {
    discardStdout: server === "openssl",
    env: s.opensslEnv,
  });
  try {
    await waitForPort(port);
    const run = async (n: number) => {
      await waitIdle(srv.pid, 200);
      const before = cpuMicros(srv.pid);
      const m = await runClient(client, s, port, n);
      if (m.code !== 0) {
        throw new Error(`${names(client)[0]} client failed:\n${m.stdout}\n${m.stderr}`);
      }
      await waitIdle(srv.pid, 200);
      return { m, serverCpu: cpuMicros(srv.pid) - before };
    };
    await run(0); // warm-up
    const empty = await run(0);
    const full = await run(bytes);
    const mb = bytes / 1e6;
    const clientCpu = full.m.cpuMicros - empty.m.cpuMicros;
    const serverCpu = full.serverCpu - empty.serverCpu;
    return {
      client: names(client)[0],
      server: names(server)[1],
      bytes,
      megabytesPerSecond: mb / ((full.m.wallMs - empty.m.wallMs) / 1000),
      clientCpuMicrosPerMB: clientCpu / mb,
      serverCpuMicrosPerMB: serverCpu / mb,
      cpuMicrosPerMB: (clientCpu + serverCpu) / mb,
    };
  } finally {
    await srv.kill();
  }
}

/** Section 3: every pair (ours on each provider), then the raw AES-GCM rate. */
export async function bulk(
  s: Setup,
  bytes: number,
  cryptos: readonly CryptoName[],
): Promise<BulkResult[]> {
  const ours = cryptos.map((crypto): Side => ({ ours: crypto }));
  const pairs: [Side, Side][] = [
    ...ours.map((o): [Side, Side] => [o, o]),
    ["deno", "deno"],
    ...ours.flatMap((o): [Side, Side][] => [[o, "openssl"], ["openssl", o]]),
    ["openssl", "openssl"],
  ];
  const out: BulkResult[] = [];
  for (const [c, sv] of pairs) out.push(await pair(c, sv, s, bytes));
  return out;
}

/** The ceiling: WebCrypto AES-128-GCM seal then open of 16 KiB records, `inflight` at a time. */
export async function aeadRate(s: Setup, records: number, inflight = 1): Promise<AeadResult> {
  const m = await runMeasured(
    peer("aead", s, 0, "--records", String(records), "--inflight", String(inflight)),
  );
  if (m.code !== 0) throw new Error(`aead failed:\n${m.stderr}`);
  const r = JSON.parse(m.stdout.trim().split("\n").pop()!);
  const mb = r.bytes / 1e6;
  return {
    inflight,
    records: r.records,
    bytes: r.bytes,
    megabytesPerSecond: mb / (r.wallMs / 1000),
    cpuMicrosPerMB: r.cpuMicros / mb,
  };
}
