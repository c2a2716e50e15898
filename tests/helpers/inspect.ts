/**
 * `handshake inspect` in tests: the relay as a running process, a capture
 * file read to completion (both with the permissions of `deno task
 * inspect`), and loopback captures made with dumpcap around a conversation.
 *
 * @module
 */

import { MAIN, type Output, run } from "./commands.ts";
import { have } from "./commands.ts";
import { Peer } from "./peer.ts";

/** The permissions of `deno task inspect`. */
export const INSPECT_PERMISSIONS = [
  "--allow-read",
  "--allow-net",
  "--allow-ffi",
  "--allow-env=NO_COLOR,HANDSHAKE_LIBCRYPTO",
];

/** A running relay and its port. */
export interface Relay {
  peer: Peer;
  port: number;
}

/**
 * The arguments of `deno` that run the relay: `handshake inspect --listen
 * LISTEN --to TO ARGS`, with `permissions` (those of `deno task inspect`).
 */
export function relayArgs(
  to: string,
  args: string[] = [],
  { listen = "127.0.0.1:0", permissions = INSPECT_PERMISSIONS } = {},
): string[] {
  return ["run", ...permissions, MAIN, "inspect", "--listen", listen, "--to", to, ...args];
}

/** Starts `handshake inspect --listen 127.0.0.1:0 --to 127.0.0.1:PORT ARGS` and waits until it listens. */
export async function startRelay(to: number, args: string[] = []): Promise<Relay> {
  const peer = new Peer(Deno.execPath(), relayArgs(`127.0.0.1:${to}`, args));
  const m = await peer.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  return { peer, port: Number(m[1]) };
}

/** Runs `handshake inspect ARGS` to completion. */
export function runInspect(args: string[]): Promise<Output> {
  return run(Deno.execPath(), ["run", ...INSPECT_PERMISSIONS, MAIN, "inspect", ...args], {
    timeoutMs: 30_000,
  });
}

/** Why loopback captures cannot be made here, if they cannot. */
export async function cannotCapture(): Promise<string | undefined> {
  if (!(await have("dumpcap")) || !(await have("tshark"))) {
    return "tshark (and dumpcap) not installed";
  }
  const list = await run("dumpcap", ["-D"]);
  if (list.code !== 0 || !/\blo\b/.test(list.stdout)) {
    return `dumpcap cannot list the loopback interface (run as root or give dumpcap capabilities): ${
      list.stderr.trim().split("\n")[0]
    }`;
  }
  return undefined;
}

/** Captures TCP port `port` on loopback into `file` (pcapng) while `during` runs. */
export async function captureLoopback(
  port: number,
  file: string,
  during: () => Promise<void>,
): Promise<void> {
  const dumpcap = new Peer("dumpcap", ["-i", "lo", "-f", `tcp port ${port}`, "-w", file]);
  try {
    await dumpcap.waitFor(/Capturing on/);
    await new Promise((r) => setTimeout(r, 500)); // "Capturing on" comes a little before capturing
    await during();
    await new Promise((r) => setTimeout(r, 500)); // let the last packets reach the capture
  } finally {
    try {
      Deno.kill(dumpcap.pid, "SIGINT");
    } catch {
      // it has exited already
    }
    await dumpcap.exited();
  }
}

/**
 * tshark's view of the TLS records in `pcap` (TCP port `port`): each record's
 * opaque type and decrypted data in hex, decrypted with `keyLog` if given.
 */
export function tsharkRecords(pcap: string, port: number, keyLog?: string): Promise<Output> {
  return run("tshark", [
    "-r",
    pcap,
    "-d",
    `tcp.port==${port},tls`,
    ...(keyLog ? ["-o", `tls.keylog_file:${keyLog}`] : []),
    "-T",
    "fields",
    "-e",
    "tls.record.opaque_type",
    "-e",
    "data.data",
  ]);
}
