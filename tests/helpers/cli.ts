/**
 * `handshake serve` and `handshake connect` as processes, with the
 * permissions `deno task serve` and `deno task connect` give them.
 *
 * @module
 */

import { MAIN, type Output, run } from "./commands.ts";
import { Peer } from "./peer.ts";

/** The permissions of `deno task serve` / `deno task connect`. */
export const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-ffi",
  "--allow-env=NO_COLOR,SSLKEYLOGFILE,SSL_CERT_FILE,HANDSHAKE_LIBCRYPTO",
];

/** `handshake ARGS` as a process that is still running. */
export function handshakeProcess(args: string[], env?: Record<string, string>): Peer {
  return new Peer(Deno.execPath(), ["run", ...PERMISSIONS, MAIN, ...args], { env });
}

/** A running `handshake serve` and its port. */
export interface Server {
  peer: Peer;
  port: number;
}

/** Starts `handshake serve --port 0 ARGS` and waits until it listens. */
export async function startServe(args: string[], env?: Record<string, string>): Promise<Server> {
  const peer = handshakeProcess(["serve", "--port", "0", ...args], env);
  const m = await peer.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  return { peer, port: Number(m[1]) };
}

/** Runs `handshake ARGS` to completion with nothing on stdin. */
export function runHandshake(args: string[]): Promise<Output> {
  return run(Deno.execPath(), ["run", ...PERMISSIONS, MAIN, ...args], { timeoutMs: 30_000 });
}

/** Runs `handshake connect ARGS` to completion with `input` on stdin. */
export function runConnect(
  args: string[],
  input = "",
  env?: Record<string, string>,
): Promise<Output> {
  return run(Deno.execPath(), ["run", ...PERMISSIONS, MAIN, "connect", ...args], {
    env,
    input,
    timeoutMs: 30_000,
  });
}

export { run };
