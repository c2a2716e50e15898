/**
 * Sections 1 and 2: the server's CPU time per full handshake under the same
 * client load (`openssl s_time -new`), for `handshake serve`,
 * `Deno.listenTls` and `openssl s_server`; and the floor, the WebCrypto
 * calls a server handshake cannot avoid, timed alone.
 *
 * @module
 */

import { cpuMicros, freePort, Peer, runMeasured, waitForPort, waitIdle } from "./proc.ts";
import { type CryptoName, opensslServer, oursServe, peer, type Setup } from "./setup.ts";

/** One server's cost. */
export interface HandshakeCost {
  server: string;
  handshakes: number;
  /** Server CPU time per handshake, µs. */
  cpuMicrosPerHandshake: number;
  /** Handshakes per second of wall time under the single s_time client. */
  handshakesPerSecond: number;
  /** s_time's own CPU per handshake (the client), µs. */
  clientCpuMicrosPerHandshake: number;
}

/** The floor, as measured by `peers.ts floor`. */
export interface Floor {
  iterations: number;
  cpuMicros: number;
  wallMicros: number;
}

/** Runs s_time against `port` for `seconds`; returns the number of handshakes and its measurement. */
async function sTime(s: Setup, port: number, seconds: number) {
  const m = await runMeasured(
    [
      "openssl",
      "s_time",
      "-connect",
      `127.0.0.1:${port}`,
      "-new",
      "-tls1_3",
      "-ciphersuites",
      "TLS_AES_128_GCM_SHA256",
      "-time",
      String(seconds),
    ],
    { env: s.opensslEnv },
  );
  const found = m.stdout.match(/(\d+) connections in [\d.]+ real seconds/);
  if (m.code !== 0 || !found) throw new Error(`s_time failed:\n${m.stdout}\n${m.stderr}`);
  return { handshakes: Number(found[1]), measured: m };
}

/** Starts `cmd` (a server on `port`), warms it up, measures it under s_time, stops it. */
async function measureServer(
  name: string,
  s: Setup,
  port: number,
  cmd: string[],
  seconds: number,
  opts: { openssl?: boolean } = {},
): Promise<HandshakeCost> {
  const server = new Peer(cmd[0], cmd.slice(1), {
    discardStdout: opts.openssl,
    env: s.opensslEnv,
  });
  try {
    await waitForPort(port);
    await sTime(s, port, Math.max(1, Math.round(seconds / 4))); // warm-up (JIT, caches)
    await waitIdle(server.pid);
    const before = cpuMicros(server.pid);
    const { handshakes, measured } = await sTime(s, port, seconds);
    await waitIdle(server.pid);
    const used = cpuMicros(server.pid) - before;
    return {
      server: name,
      handshakes,
      cpuMicrosPerHandshake: used / handshakes,
      handshakesPerSecond: handshakes / (measured.wallMs / 1000),
      clientCpuMicrosPerHandshake: measured.cpuMicros / handshakes,
    };
  } finally {
    await server.kill();
  }
}

/** Section 1: the servers in turn, under the same load: ours on each provider, Deno's, OpenSSL's. */
export async function handshakeCosts(
  s: Setup,
  seconds: number,
  cryptos: readonly CryptoName[],
): Promise<HandshakeCost[]> {
  const out: HandshakeCost[] = [];
  let port: number;
  for (const crypto of cryptos) {
    port = freePort();
    out.push(
      await measureServer(
        `handshake serve --crypto ${crypto}`,
        s,
        port,
        oursServe(s, port, crypto),
        seconds,
      ),
    );
  }
  port = freePort();
  out.push(await measureServer("Deno.listenTls", s, port, peer("deno-server", s, port), seconds));
  port = freePort();
  out.push(
    await measureServer("openssl s_server", s, port, opensslServer(s, port), seconds, {
      openssl: true,
    }),
  );
  return out;
}

/** Section 2: the WebCrypto floor of a server handshake, in a process of its own. */
export async function floor(s: Setup, iterations: number): Promise<Floor> {
  const m = await runMeasured(peer("floor", s, 0, "--iterations", String(iterations)));
  if (m.code !== 0) throw new Error(`floor failed:\n${m.stderr}`);
  return JSON.parse(m.stdout.trim().split("\n").pop()!);
}

/** An engine-alone figure and the provider it ran on. */
export interface EngineCost extends Floor {
  crypto: CryptoName;
}

/** Our server engine alone, sans-IO (bench/replay.ts): what the socket and event loop add is the rest. */
export async function engineOnly(iterations: number, crypto: CryptoName): Promise<EngineCost> {
  const replay = new URL("replay.ts", import.meta.url).pathname;
  const m = await runMeasured([
    Deno.execPath(),
    "run",
    "-A",
    replay,
    "--iterations",
    String(iterations),
    "--crypto",
    crypto,
  ]);
  if (m.code !== 0) throw new Error(`replay failed:\n${m.stderr}`);
  return { crypto, ...JSON.parse(m.stdout.trim().split("\n").pop()!) };
}

/** `serve --workers N` under several s_time clients at once. */
export interface WorkersCost {
  crypto: CryptoName;
  workers: number;
  clients: number;
  handshakes: number;
  handshakesPerSecond: number;
  /** Server CPU (all its threads) per handshake, µs. */
  cpuMicrosPerHandshake: number;
}

/**
 * `handshake serve --workers N` for each N, under `clients` concurrent
 * `openssl s_time -new` clients: handshakes per second of wall time, and the
 * server's CPU per handshake (which more workers must not raise).
 */
export async function workersCosts(
  s: Setup,
  seconds: number,
  crypto: CryptoName,
  counts: readonly number[] = [1, 2],
  clients = 2,
): Promise<WorkersCost[]> {
  const out: WorkersCost[] = [];
  for (const workers of counts) {
    const port = freePort();
    const [deno, run, ...rest] = oursServe(s, port, crypto);
    const cmd = [deno, run, "--unstable-net", ...rest, "--workers", String(workers)];
    const server = new Peer(cmd[0], cmd.slice(1));
    try {
      await waitForPort(port);
      const load = (secs: number) =>
        Promise.all(Array.from({ length: clients }, () => sTime(s, port, secs)));
      await load(Math.max(1, Math.round(seconds / 4))); // warm-up, every worker
      await waitIdle(server.pid);
      const before = cpuMicros(server.pid);
      const started = performance.now();
      const runs = await load(seconds);
      const wallMs = performance.now() - started;
      await waitIdle(server.pid);
      const handshakes = runs.reduce((n, r) => n + r.handshakes, 0);
      out.push({
        crypto,
        workers,
        clients,
        handshakes,
        handshakesPerSecond: handshakes / (wallMs / 1000),
        cpuMicrosPerHandshake: (cpuMicros(server.pid) - before) / handshakes,
      });
    } finally {
      await server.kill();
    }
  }
  return out;
}
