/**
 * What every section shares: one ECDSA P-256 certificate set in a temporary
 * directory, an OpenSSL configuration that pins the client load to X25519
 * and TLS_AES_128_GCM_SHA256, and the command lines of the servers and
 * clients under test.
 *
 * @module
 */

import { makeCertSet } from "../tests/helpers/certs.ts";

/** The benchmark's temporary files. */
export interface Setup {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  /** Environment for every openssl process: OPENSSL_CONF pinning group and suite. */
  opensslEnv: Record<string, string>;
}

const BENCH_DIR = new URL(".", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

/** A crypto provider of ours, as `--crypto` names it. */
export type CryptoName = "webcrypto" | "openssl";

/** The suite and group of every connection measured here. */
export const SUITE = "TLS_AES_128_GCM_SHA256";
export const GROUP = "X25519";

/** Makes the certificates (root CA and an ECDSA P-256 leaf for localhost, 127.0.0.1). */
export async function makeSetup(): Promise<Setup> {
  const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
  const p = set.paths!;
  // s_time has no -groups flag: the group comes from the configuration's system_default.
  const conf = `${p.dir}/openssl.cnf`;
  await Deno.writeTextFile(
    conf,
    [
      "openssl_conf = init",
      "[init]",
      "ssl_conf = ssl",
      "[ssl]",
      "system_default = defaults",
      "[defaults]",
      `Groups = ${GROUP}`,
      `Ciphersuites = ${SUITE}`,
      "MinProtocol = TLSv1.3",
      "",
    ].join("\n"),
  );
  return {
    dir: p.dir,
    ca: p.ca,
    cert: p.server,
    key: p.serverKey,
    opensslEnv: { OPENSSL_CONF: conf },
  };
}

/** Removes the temporary files. */
export async function removeSetup(s: Setup): Promise<void> {
  await Deno.remove(s.dir, { recursive: true }).catch(() => {});
}

const deno = Deno.execPath();

/** `handshake serve --crypto CRYPTO`, our echo server, as a user runs it. */
export function oursServe(s: Setup, port: number, crypto: CryptoName = "webcrypto"): string[] {
  return [
    deno,
    "run",
    "-A",
    `${ROOT}main.ts`,
    "serve",
    "--port",
    String(port),
    "--cert",
    s.cert,
    "--key",
    s.key,
    "--crypto",
    crypto,
  ];
}

/** `handshake serve`, wrapped so that SIGUSR2 runs a full garbage collection (for memory). */
export function oursServeGc(s: Setup, port: number, crypto: CryptoName = "webcrypto"): string[] {
  return [
    deno,
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    `${BENCH_DIR}serve_gc.ts`,
    "serve",
    "--port",
    String(port),
    "--cert",
    s.cert,
    "--key",
    s.key,
    "--crypto",
    crypto,
  ];
}

/** A role of bench/peers.ts. */
export function peer(role: string, s: Setup, port: number, ...extra: string[]): string[] {
  return [
    deno,
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    `${BENCH_DIR}peers.ts`,
    role,
    "--port",
    String(port),
    "--cert",
    s.cert,
    "--key",
    s.key,
    "--ca",
    s.ca,
    ...extra,
  ];
}

/** `openssl s_server`; with stdin held open, it is a sink that prints what it receives. */
export function opensslServer(s: Setup, port: number): string[] {
  return [
    "openssl",
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-cert",
    s.cert,
    "-key",
    s.key,
    "-tls1_3",
    "-ciphersuites",
    SUITE,
    "-groups",
    GROUP,
    "-quiet",
  ];
}

/** `openssl s_client` sending its stdin and closing at its end. */
export function opensslClient(s: Setup, port: number): string[] {
  return [
    "openssl",
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-CAfile",
    s.ca,
    "-verify_return_error",
    "-tls1_3",
    "-ciphersuites",
    SUITE,
    "-groups",
    GROUP,
    "-quiet",
    "-no_ign_eof",
  ];
}

/** `handshake connect --crypto CRYPTO`, as a user runs it. */
export function oursConnect(s: Setup, port: number, crypto: CryptoName = "webcrypto"): string[] {
  return [
    deno,
    "run",
    "-A",
    `${ROOT}main.ts`,
    "connect",
    `127.0.0.1:${port}`,
    "--ca",
    s.ca,
    "--servername",
    "localhost",
    "--quiet",
    "--crypto",
    crypto,
    // Its default is X25519MLKEM768 (measured in bench/pq.ts): pinned like every client here.
    "--groups",
    GROUP,
  ];
}
