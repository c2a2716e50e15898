/**
 * handshake: TLS 1.3 from scratch, as one command with five modes.
 *
 *   handshake ca       make a private CA and the certificates it signs
 *   handshake serve    a TLS 1.3 server (echo, chat, or an HTTPS page of your handshake)
 *   handshake connect  a TLS 1.3 client, like `openssl s_client`, failing closed
 *   handshake demo     all three, end to end, on loopback
 *   handshake inspect  watch two other programs speak TLS 1.3 (relay or capture)
 *
 * @module
 */

import { describeError, nearest, UsageError } from "./cli/common.ts";
import { versionLine } from "./cli/version.ts";

const USAGE = `handshake: TLS 1.3 written from scratch on WebCrypto

Usage:
  handshake ca       [--out certs] [--name NAME ...] [--key-type TYPE] [--days N] [--force]
                     [--client NAME] [--intermediate] [--new-ca]
  handshake serve    [--host 127.0.0.1] [--port 8443] [--cert FILE] [--key FILE] [--alpn LIST]
                     [--mode echo|chat|http] [--trace[=secrets,bytes]] [--keylog FILE]
                     [--log-format text|json]
  handshake connect  [HOST:PORT | https://HOST:PORT/] [--ca FILE] [--servername NAME]
                     [--alpn LIST] [--pin sha256//BASE64] [-k] [--show-certs]
                     [--trace[=secrets,bytes]] [--keylog FILE] [--json] [--quiet]
  handshake demo     make certificates if missing, serve, connect, exchange data
  handshake inspect  --listen HOST:PORT --to HOST:PORT | FILE.pcap[ng]
                     [--keylog FILE] [--trace[=secrets,bytes]] [--json]
  handshake --version

Run \`handshake MODE --help\` for the flags of a mode.`;

type Mode = (argv: string[]) => Promise<number>;

const MODES: Record<string, () => Promise<Mode>> = {
  ca: async () => (await import("./cli/ca.ts")).ca,
  serve: async () => (await import("./cli/serve.ts")).serve,
  connect: async () => (await import("./cli/connect.ts")).connect,
  demo: async () => (await import("./cli/demo.ts")).demo,
  inspect: async () => (await import("./cli/inspect.ts")).inspect,
};

/** Runs one mode and returns the process exit status. */
export async function main(argv: string[]): Promise<number> {
  const [mode, ...flags] = argv;
  // `deno task connect -- --quiet` passes the "--" along; it means nothing here.
  const rest = flags[0] === "--" ? flags.slice(1) : flags;
  if (!mode || mode === "--help" || mode === "-h" || mode === "help") {
    console.log(USAGE);
    return mode ? 0 : 2;
  }
  if (mode === "--version" || mode === "-V" || mode === "version") {
    console.log(versionLine());
    return 0;
  }
  const load = MODES[mode];
  if (!load) {
    const near = nearest(mode.replace(/^-+/, ""), [...Object.keys(MODES), "version", "help"]);
    const flag = mode.startsWith("-") && (near === "version" || near === "help");
    const hint = near ? `did you mean ${flag ? `--${near}` : near}? ` : "";
    console.error(
      `handshake: unknown mode "${mode}" (${hint}use ca, serve, connect, demo or inspect; see \`handshake --help\`)`,
    );
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    console.error(`handshake ${mode}: ${describeError(e)}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
