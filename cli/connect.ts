/**
 * `handshake connect`: a TLS 1.3 client like `openssl s_client`, but failing
 * closed: it verifies the server, copies stdin to the server and what the
 * server sends to stdout, and exits 0 only after a clean close.
 *
 * @module
 */

import { Connection } from "../lib/connection.ts";
import { type ClientConfig, cryptoOf, type HandshakeInfo } from "../lib/config.ts";
import { PeerAlert, TlsError, TruncationError } from "../lib/errors.ts";
import { AlertDescription } from "../lib/errors.ts";
import { TlsConn } from "../lib/tls_conn.ts";
import { isIpAddress } from "../lib/x509/names.ts";
import { parseFlags, parsePort, UsageError } from "./common.ts";
import { LIMIT_FLAGS, parseLimits } from "./limits.ts";
import { parseAlpn, parseGroups, parseSuites } from "./names.ts";
import { buildVerifier } from "./trust.ts";
import { loadCertificatePair } from "./credentials.ts";
import { CRYPTO_FLAGS, CRYPTO_HELP, loadCrypto } from "./crypto_flag.ts";
import { connectionSummary } from "./connect_json.ts";
import { bareTraceFlag, observe, OBSERVE_FLAGS, OBSERVE_HELP, tracePrinter } from "./observe.ts";

const HELP =
  `handshake connect: a TLS 1.3 client; stdin goes to the server, the server's data to stdout

Usage: handshake connect [HOST:PORT] [options]       (default localhost:8443)

  --ca FILE|system    trusted root certificates, PEM (default certs/ca.pem); "system" for the OS bundle
  --servername NAME   name to verify (and send as SNI if a DNS name); default: HOST
  --alpn LIST         ALPN protocols to offer, in order of preference (e.g. h2,http/1.1)
  --groups LIST       key exchange groups to offer, first gets a key share (default
                      X25519MLKEM768,x25519,P-256,P-384,SecP256r1MLKEM768: shares for the first two)
  --suites LIST       cipher suites to offer, in order of preference (default AES-128-GCM,
                      AES-256-GCM, ChaCha20-Poly1305: TLS_CHACHA20_POLY1305_SHA256)
  --insecure          do not verify the server (a warning is printed)
  --pin sha256/B64    accept exactly the server key with this SPKI SHA-256 (base64)
  --cert FILE         client certificate chain, PEM, sent if the server asks
  --key FILE          private key of --cert, PEM PKCS#8
  --handshake-timeout SECONDS   give up on a server that does not finish the handshake (default 10)
  --max-handshake-message BYTES  largest handshake message accepted, e.g. the server's
                      certificate chain (default 131072)
${CRYPTO_HELP}
  -q, --quiet         print only the data
      --json          print a summary of the connection as one JSON object, then close
${OBSERVE_HELP}
  -h, --help          this help

Exit status: 0 after a clean close (close_notify), 1 on any failure, 2 on a usage error.`;

const FLAGS = {
  ca: { type: "string", default: "certs/ca.pem" },
  servername: { type: "string" },
  alpn: { type: "string" },
  groups: { type: "string" },
  suites: { type: "string" },
  insecure: { type: "boolean" },
  pin: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  ...LIMIT_FLAGS,
  ...CRYPTO_FLAGS,
  quiet: { type: "boolean", short: "q" },
  json: { type: "boolean" },
  ...OBSERVE_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

/** Splits `host:port`, `[v6]:port`, `host` (default port 8443). */
export function parseTarget(target: string): { host: string; port: number } {
  const v6 = target.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (v6) return { host: v6[1], port: v6[2] ? parsePort(v6[2]) : 8443 };
  if ((target.match(/:/g) ?? []).length > 1) {
    throw new UsageError(
      `"${target}" is ambiguous`,
      "write IPv6 addresses in brackets, e.g. [::1]:8443",
    );
  }
  const [host, port] = target.split(":");
  if (!host) throw new UsageError(`"${target}" has no host`, "e.g. localhost:8443");
  return { host, port: port === undefined ? 8443 : parsePort(port) };
}

/** `handshake connect`. */
export async function connect(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("connect", bareTraceFlag(argv), FLAGS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `expected one HOST:PORT, got ${positionals.length}`,
      "see `handshake connect --help`",
    );
  }
  const { host, port } = parseTarget(positionals[0] ?? "localhost:8443");
  const serverName = values.servername ?? host;
  const quiet = values.quiet ?? false;
  if (quiet && values.trace !== undefined) {
    throw new UsageError("--quiet and --trace ask for opposite things", "drop one of them");
  }
  const note = (line: string) => quiet || console.error(line);
  // Flags first, files second: a typo is reported before a missing file.
  const alpn = values.alpn ? parseAlpn(values.alpn) : undefined;
  const groups = values.groups ? parseGroups(values.groups) : undefined;
  const cipherSuites = values.suites ? parseSuites(values.suites) : undefined;
  if (!values.cert !== !values.key) {
    throw new UsageError(
      "--cert and --key go together",
      "pass both, e.g. --cert certs/client.pem --key certs/client-key.pem",
    );
  }
  const { handshakeTimeoutMs, maxHandshakeMessage } = parseLimits(values);
  const seen = await observe(values);
  const crypto = await loadCrypto(values.crypto);
  const config: ClientConfig = {
    crypto,
    serverName,
    alpn,
    groups,
    cipherSuites,
    verifier: await buildVerifier(values, (line) => console.error(line)),
    certificate: values.cert
      ? await loadCertificatePair(values.cert, values.key!, crypto)
      : undefined,
    keyLog: seen.keyLog,
    trace: seen.trace && tracePrinter(seen.trace),
    maxHandshakeMessage,
  };
  if (seen.trace) console.error(`crypto provider ${cryptoOf(config).name}`);
  const started = performance.now();
  const tcp = await dial(host, port);
  const conn = new TlsConn(Connection.client(config), tcp, { handshakeTimeoutMs });
  try {
    const info = await conn.handshake();
    if (values.json) {
      const ms = performance.now() - started;
      console.log(JSON.stringify(await connectionSummary(host, port, info, ms)));
      await conn.close();
      return 0;
    }
    note(summary(host, port, info));
    await pipe(conn);
    return 0;
  } catch (e) {
    await conn.close().catch(() => {});
    throw explain(e, values.ca === FLAGS.ca.default && !values.insecure);
  }
}

/** Opens TCP; `localhost` tries 127.0.0.1 then ::1. Refusals become a readable UsageError. */
async function dial(host: string, port: number): Promise<Deno.TcpConn> {
  const candidates = host === "localhost" ? ["127.0.0.1", "::1"] : [host];
  let last: unknown;
  for (const hostname of candidates) {
    try {
      const tcp = await Deno.connect({
        hostname: isIpAddress(hostname) ? hostname.replace(/^\[|\]$/g, "") : hostname,
        port,
      });
      tcp.setNoDelay(true); // a flight is written whole; Nagle would only delay the next one
      return tcp;
    } catch (e) {
      last = e;
    }
  }
  if (last instanceof Deno.errors.ConnectionRefused) {
    throw new ConnectFailure(
      `connection to ${host}:${port} refused`,
      "is `handshake serve` running there?",
    );
  }
  if (
    last instanceof Deno.errors.NotFound || /lookup|resolve|Name or service/i.test(String(last))
  ) {
    throw new ConnectFailure(`cannot resolve host "${host}"`);
  }
  throw new ConnectFailure(`cannot connect to ${host}:${port}: ${(last as Error).message}`);
}

/** A failure to report as one line with an optional hint (exit status 1). */
class ConnectFailure extends Error {
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

/** Copies stdin to the connection and the connection to stdout until both ends close cleanly. */
async function pipe(conn: TlsConn): Promise<void> {
  const upload = (async () => {
    // A pipe hands over up to 64 KiB at a time: four records sealed and sent by one write.
    const buf = new Uint8Array(1 << 16);
    for (let n = await Deno.stdin.read(buf); n !== null; n = await Deno.stdin.read(buf)) {
      await conn.write(buf.subarray(0, n));
    }
    await conn.closeWrite();
  })();
  const download = (async () => {
    // Each chunk as decrypted, written out without a copy.
    for await (const chunk of conn.chunks()) await writeAll(Deno.stdout, chunk);
  })();
  // The server's close ends the session even if stdin is still open. A failed upload (a
  // broken pipe) waits for the download, which says why: the server's alert, usually.
  const uploaded = upload.then(() => download, async (e) => {
    await download;
    throw e;
  });
  await Promise.race([download, uploaded]);
  upload.catch(() => {});
  await conn.close();
}

async function writeAll(
  w: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  for (let at = 0; at < data.length;) at += await w.write(data.subarray(at));
}

function summary(host: string, port: number, info: HandshakeInfo): string {
  const parts = [
    `connected to ${host}:${port}`,
    `TLS 1.3 ${info.cipherSuite}`,
    info.group + (info.helloRetry ? " (after HelloRetryRequest)" : ""),
    `server signed with ${info.signatureScheme}`,
  ];
  if (info.alpn) parts.push(`ALPN ${info.alpn}`);
  return parts.join(", ");
}

/** Turns a failure into one line with a hint where one helps. */
function explain(e: unknown, defaultCa: boolean): Error {
  if (e instanceof TlsError) {
    const verification = [
      AlertDescription.unknown_ca,
      AlertDescription.bad_certificate,
      AlertDescription.certificate_expired,
      AlertDescription.certificate_unknown,
      AlertDescription.unsupported_certificate,
    ].includes(e.alert);
    const hint = e.alert === AlertDescription.unknown_ca && defaultCa
      ? "try --ca with the CA that issued the server's certificate"
      : undefined;
    return new ConnectFailure(
      `${
        verification ? "server certificate refused: " : ""
      }${e.message} (sent alert ${e.alertName})`,
      hint,
    );
  }
  if (e instanceof PeerAlert) {
    const hint = e.alert === AlertDescription.protocol_version
      ? "the server does not speak TLS 1.3"
      : e.alert === AlertDescription.certificate_required
      ? "the server wants a client certificate: pass --cert and --key"
      : undefined;
    return new ConnectFailure(`the server sent alert ${e.alertName}`, hint);
  }
  if (e instanceof TruncationError) return new ConnectFailure(e.message);
  return e as Error;
}
