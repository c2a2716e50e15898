/**
 * Section 3b: bytes echoed through the command-line tools' pipes, as a
 * person uses them: N MiB written to `handshake connect`'s stdin, through
 * `handshake serve` (echo) and back out of connect's stdout, beside the
 * same through Deno's native TLS (a `Deno.connectTls` pipe client,
 * `bench/peers.ts deno-pipe`, against a `Deno.listenTls` echo server).
 * Wall time from the client's start to the last byte back, so start-up and
 * handshake count too (a few tens of ms in a run of seconds).
 *
 * @module
 */

import { freePort, Peer, waitForPort } from "./proc.ts";
import { type CryptoName, oursConnect, oursServe, peer, type Setup } from "./setup.ts";

/** One pipe pair's rate. */
export interface EchoResult {
  pair: string;
  bytes: number;
  wallMs: number;
  megabytesPerSecond: number;
}

/** Runs `cmd`, writes `bytes` to its stdin while reading its stdout; ms until all came back. */
async function echoThrough(cmd: string[], bytes: number): Promise<number> {
  const started = performance.now();
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const chunk = new Uint8Array(1 << 16).fill(0x61);
  const writer = child.stdin.getWriter();
  const write = (async () => {
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      await writer.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
    }
    await writer.close();
  })();
  let received = 0;
  for await (const c of child.stdout) received += c.length;
  const wallMs = performance.now() - started;
  await write;
  const status = await child.status;
  if (received !== bytes) {
    throw new Error(
      `${cmd.join(" ")}: ${received} of ${bytes} bytes came back (exit ${status.code})`,
    );
  }
  return wallMs;
}

/** Starts a server, waits for its port, echoes `bytes` through `client(port)`, stops it. */
async function pair(
  name: string,
  server: (port: number) => string[],
  client: (port: number) => string[],
  bytes: number,
): Promise<EchoResult> {
  const port = freePort();
  const cmd = server(port);
  const p = new Peer(cmd[0], cmd.slice(1));
  try {
    await waitForPort(port);
    await echoThrough(client(port), 1 << 20); // warm-up: caches, page cache of the modules
    const wallMs = await echoThrough(client(port), bytes);
    return { pair: name, bytes, wallMs, megabytesPerSecond: bytes / 1e6 / (wallMs / 1000) };
  } finally {
    await p.kill();
  }
}

/** Section 3b: ours on each provider, then Deno's native pair, through the same pipes. */
export async function echoPipes(
  s: Setup,
  bytes: number,
  cryptos: readonly CryptoName[],
): Promise<EchoResult[]> {
  const out: EchoResult[] = [];
  for (const c of cryptos) {
    out.push(
      await pair(
        `handshake connect → serve --crypto ${c}`,
        (port) => oursServe(s, port, c),
        (port) => oursConnect(s, port, c),
        bytes,
      ),
    );
  }
  out.push(
    await pair(
      "Deno.connectTls pipe → Deno.listenTls echo",
      (port) => peer("deno-server", s, port),
      (port) => peer("deno-pipe", s, port),
      bytes,
    ),
  );
  return out;
}
