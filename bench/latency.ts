/**
 * Section 4: the wall time of one client process, from its start to the
 * first byte the server echoes back, against `handshake serve`: our
 * `handshake connect` beside `openssl s_client`, and the start-up of an
 * empty `deno run` for scale.
 *
 * @module
 */

import { freePort, Peer, waitForPort } from "./proc.ts";
import { type CryptoName, opensslClient, oursConnect, oursServe, type Setup } from "./setup.ts";

/** One client's latency over several runs, ms. */
export interface LatencyResult {
  client: string;
  runs: number;
  medianMs: number;
  minMs: number;
}

/** Starts `cmd`, writes a line to its stdin, and returns the ms until the echo reaches its stdout. */
async function once(cmd: string[], env?: Record<string, string>): Promise<number> {
  const start = performance.now();
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("x\n"));
  let elapsed = -1;
  const reader = child.stdout.getReader();
  let seen = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
    if (seen.includes("x")) {
      elapsed = performance.now() - start;
      break;
    }
  }
  await writer.close().catch(() => {});
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const status = await child.status;
  if (elapsed < 0) throw new Error(`${cmd.join(" ")} printed no echo (exit ${status.code})`);
  return elapsed;
}

/** Runs `cmd` once untimed, then `runs` times. */
async function measure(
  name: string,
  cmd: string[],
  runs: number,
  env?: Record<string, string>,
): Promise<LatencyResult> {
  await once(cmd, env);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once(cmd, env));
  times.sort((a, b) => a - b);
  return { client: name, runs, medianMs: times[Math.floor(runs / 2)], minMs: times[0] };
}

/** Time to run an empty script: Deno's own start-up, for scale. */
async function denoStartup(runs: number): Promise<LatencyResult> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    file,
    "for await (const c of Deno.stdin.readable) await Deno.stdout.write(c);\n",
  );
  try {
    return await measure("deno run (an empty echo script)", [
      Deno.execPath(),
      "run",
      file,
    ], runs);
  } finally {
    await Deno.remove(file);
  }
}

/** Section 4: `handshake connect` on each provider, then `openssl s_client`, then an empty `deno run`. */
export async function latency(
  s: Setup,
  runs: number,
  cryptos: readonly CryptoName[],
): Promise<LatencyResult[]> {
  const port = freePort();
  const cmd = oursServe(s, port);
  const server = new Peer(cmd[0], cmd.slice(1));
  try {
    await waitForPort(port);
    const ours: LatencyResult[] = [];
    for (const crypto of cryptos) {
      ours.push(
        await measure(`handshake connect --crypto ${crypto}`, oursConnect(s, port, crypto), runs),
      );
    }
    return [
      ...ours,
      await measure("openssl s_client", opensslClient(s, port), runs, s.opensslEnv),
      await denoStartup(runs),
    ];
  } finally {
    await server.kill();
  }
}
