/**
 * `handshake connect`: a TLS 1.3 client like `openssl s_client`, but failing
 * closed: it verifies the server, copies stdin to the server and what the
 * server sends to stdout, and exits 0 only after a clean close.
 *
 * @module
 */

import { Connection } from "../lib/connection.ts";
import { type ClientConfig, cryptoOf, type HandshakeInfo } from "../lib/config.ts";
import { preferences } from "../lib/handshake/peer_auth.ts";
import { parseCertificate } from "../lib/x509/certificate.ts";
import { encodePem } from "../lib/x509/pem.ts";
import { type Attempt, ConnectFailure, explain } from "./connect_explain.ts";
import { TlsConn } from "../lib/tls_conn.ts";
import { isIpAddress } from "../lib/x509/names.ts";
import { parseFlags, parsePort, UsageError } from "./common.ts";
import { LIMIT_FLAGS, parseLimits } from "./limits.ts";
import { parseAlpn, parseGroups, parseSuites } from "./names.ts";
import { buildVerifier } from "./trust.ts";
import { loadCertificatePair } from "./credentials.ts";
import { CRYPTO_FLAGS, CRYPTO_HELP, loadCrypto } from "./crypto_flag.ts";
import {
  CONNECT_PSK_FLAGS,
  CONNECT_PSK_HELP,
  loadSessions,
  parseExternalPsk,
  saveSessions,
  ticketsArrived,
} from "./psk_flags.ts";
import { bareTraceFlag, observe, OBSERVE_FLAGS, OBSERVE_HELP, tracePrinter } from "./observe.ts";

const HELP =
  `handshake connect: a TLS 1.3 client; stdin goes to the server, the server's data to stdout

Usage: handshake connect [HOST:PORT | https://HOST[:PORT]/] [options]   (default localhost:8443)

  --ca FILE|system    trusted root certificates, PEM (default certs/ca.pem); "system" for the OS bundle
  --servername NAME   name to verify (and send as SNI if a DNS name); default: HOST
  --alpn LIST         ALPN protocols to offer, in order of preference (e.g. h2,http/1.1)
  --groups LIST       key exchange groups to offer, first gets a key share (default
                      X25519MLKEM768,x25519,P-256,P-384,SecP256r1MLKEM768: shares for the first two)
  --suites LIST       cipher suites to offer, in order of preference (default AES-128-GCM,
                      AES-256-GCM, ChaCha20-Poly1305: TLS_CHACHA20_POLY1305_SHA256)
  -k, --insecure      do not verify the server (a warning is printed)
  --pin sha256//B64   accept exactly the server key with this SPKI SHA-256, base64 (curl's
                      --pinnedpubkey form; sha256/B64 too); \`handshake ca\` and --json print it
  --cert FILE         client certificate chain, PEM, sent if the server asks
  --key FILE          private key of --cert, PEM PKCS#8
  --handshake-timeout SECONDS   give up on a server that does not finish the handshake (default 10)
  --max-handshake-message BYTES  largest handshake message accepted, e.g. the server's
                      certificate chain (default 131072)
${CONNECT_PSK_HELP}
${CRYPTO_HELP}
  -q, --quiet         print only the data
      --json          print a summary of the connection as one JSON object, then close
      --show-certs    print the server's chain as PEM on stdout before the data
                      (like openssl s_client -showcerts)
${OBSERVE_HELP}
  -h, --help          this help

Exit status: 0 after a clean close (close_notify), 1 on any failure, 2 on a usage error.`;

const FLAGS = {
  ca: { type: "string" },
  servername: { type: "string" },
  alpn: { type: "string" },
  groups: { type: "string" },
  suites: { type: "string" },
  insecure: { type: "boolean", short: "k" },
  pin: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  ...LIMIT_FLAGS,
  ...CONNECT_PSK_FLAGS,
  ...CRYPTO_FLAGS,
  quiet: { type: "boolean", short: "q" },
  json: { type: "boolean" },
  "show-certs": { type: "boolean" },
  ...OBSERVE_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Splits `host:port`, `[v6]:port`, `host` (default port 8443), or an
 * `https://` URL (default port 443; its path is not used).
 */
export function parseTarget(target: string): { host: string; port: number } {
  const scheme = target.match(/^([a-z][a-z0-9+.-]*):\/\//i)?.[1].toLowerCase();
  if (scheme) {
    if (scheme !== "https") {
      throw new UsageError(
        `"${target}": connect speaks TLS, not ${scheme}://`,
        "give HOST:PORT or an https:// URL",
      );
    }
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UsageError(`"${target}" is not a URL`, "e.g. https://localhost:8443/");
    }
    return { host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port ? Number(url.port) : 443 };
  }
  const v6 = target.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (v6) return { host: v6[1], port: v6[2] ? parsePort(v6[2]) : 8443 };
  if ((target.match(/:/g) ?? []).length > 1) {
    throw new UsageError(
      `"${target}" has more than one colon`,
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
  if (quiet && values.json) {
    throw new UsageError(
      "--quiet and --json ask for opposite things",
      "--json prints only the JSON object already; drop --quiet",
    );
  }
  if (values.json && values["show-certs"]) {
    throw new UsageError(
      "--json and --show-certs both print on stdout",
      "--json already lists the chain (with fingerprints and pins); drop one of them",
    );
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
  const externalPsk = parseExternalPsk(values);
  const sessionFile = values.session;
  const sessions = sessionFile ? await loadSessions(sessionFile) : undefined;
  const earlyData = values["early-data"] === undefined
    ? undefined
    : await readEarlyData(values["early-data"], sessionFile);
  const seen = await observe(values);
  const crypto = await loadCrypto(values.crypto);
  const trust = await buildVerifier(values, (line) => console.error(line));
  const attempt: Attempt = { ca: trust.ca, clientCertificate: values.cert !== undefined };
  const config: ClientConfig = {
    sessions,
    externalPsk,
    earlyData,
    crypto,
    serverName,
    alpn,
    groups,
    cipherSuites,
    verifier: {
      verify: (chain, context) => {
        attempt.chain = chain;
        return trust.verifier.verify(chain, context);
      },
    },
    certificate: values.cert
      ? await loadCertificatePair(values.cert, values.key!, crypto)
      : undefined,
    keyLog: seen.keyLog,
    trace: seen.trace && tracePrinter(seen.trace),
    maxHandshakeMessage,
  };
  if (seen.trace) console.error(`crypto provider ${cryptoOf(config).name}`);
  // What this client offers, to explain a refusal.
  const prefs = preferences(config);
  attempt.offered = {
    groups: prefs.groups,
    suites: prefs.suites.map((s) => s.id),
    alpn: config.alpn,
  };
  const started = performance.now();
  const tcp = await dial(host, port);
  const conn = new TlsConn(Connection.client(config), tcp, {
    handshakeTimeoutMs,
    transportReleasesWrites: true,
  });
  const held = sessions?.list(new Date()).length ?? 0;
  try {
    const info = await conn.handshake();
    if (values.json) {
      const ms = performance.now() - started;
      // Only --json needs the summary's chain description (the inspect decoders): loaded here.
      const { connectionSummary } = await import("./connect_json.ts");
      console.log(JSON.stringify(await connectionSummary(host, port, info, ms)));
      if (earlyData) await sendEarlyRest(conn, info, earlyData, () => {});
      // The server's tickets follow its reading our Finished: give them a moment to arrive.
      if (sessions) await ticketsArrived(sessions, held, 1000);
      await conn.close();
      return 0;
    }
    note(summary(host, port, info));
    if (values["show-certs"]) await writeAll(Deno.stdout, encoder.encode(chainPem(info)));
    if (earlyData) await sendEarlyRest(conn, info, earlyData, note);
    await pipe(conn, note);
    return 0;
  } catch (e) {
    await conn.close().catch(() => {});
    throw explain(e, attempt);
  } finally {
    if (sessionFile && sessions) await saveSessions(sessionFile, sessions);
  }
}

const encoder = new TextEncoder();

/** The peer's chain as `openssl s_client -showcerts` prints it: ` 0 s:... i:...` then PEM. */
function chainPem(info: HandshakeInfo): string {
  return info.peerCertificates.map((der, i) => {
    const c = parseCertificate(der);
    return ` ${i} s:${c.subject.text}\n   i:${c.issuer.text}\n${encodePem("CERTIFICATE", der)}`;
  }).join("");
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
      `connection to ${hostPort(host, port)} refused`,
      refusedHint(host, port),
    );
  }
  if (
    last instanceof Deno.errors.NotFound || /lookup|resolve|Name or service/i.test(String(last))
  ) {
    throw new ConnectFailure(`cannot resolve host "${host}"`);
  }
  throw new ConnectFailure(`cannot connect to ${host}:${port}: ${(last as Error).message}`);
}

/**
 * Why nothing may have answered: for a loopback address, that the server
 * may listen on the other one (serve listens on 127.0.0.1 only by default).
 */
function refusedHint(host: string, port: number): string {
  const other = { "::1": "127.0.0.1", "127.0.0.1": "::1" }[host];
  if (other) {
    const there = hostPort(other, port);
    return `the server may listen on ${there} only, as \`handshake serve\` does unless ` +
      `given --host: try ${there} or localhost:${port}`;
  }
  return "is `handshake serve` running there? It may listen on another address or port: " +
    "`handshake serve` prints where it listens";
}

/** `host:port`, with IPv6 addresses in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `connect --early-data FILE`: its contents (the ticket decides how much goes as 0-RTT). */
async function readEarlyData(file: string, session: string | undefined): Promise<Uint8Array> {
  if (!session) {
    throw new UsageError(
      "--early-data needs --session FILE",
      "0-RTT data goes with a ticket from an earlier connection",
    );
  }
  try {
    return await Deno.readFile(file);
  } catch (e) {
    throw new UsageError(`cannot read --early-data ${file}: ${(e as Error).message}`);
  }
}

/**
 * RFC 8446 §4.2.10: what the server did not accept as 0-RTT data (all of it
 * when it rejected it, the rest when the ticket allowed less) goes now.
 */
async function sendEarlyRest(
  conn: TlsConn,
  info: HandshakeInfo,
  data: Uint8Array,
  note: (line: string) => void,
): Promise<void> {
  const sent = info.earlyDataAccepted ?? 0;
  note(
    info.earlyData === "accepted"
      ? `0-RTT data accepted: ${sent} bytes${
        sent < data.length ? `, ${data.length - sent} more sent now` : ""
      }`
      : `0-RTT data ${
        info.earlyData === "rejected" ? "rejected" : "not sent (the ticket allows none)"
      }: ${data.length} bytes sent after the handshake`,
  );
  if (sent < data.length) await conn.write(data.subarray(sent));
}

/** Copies stdin to the connection and the connection to stdout until both ends close cleanly. */
async function pipe(conn: TlsConn, note: (line: string) => void): Promise<void> {
  let uploaded = false;
  const upload = (async () => {
    // A pipe hands over up to 64 KiB at a time: four records sealed and sent by one write.
    const buf = new Uint8Array(1 << 16);
    for (let n = await Deno.stdin.read(buf); n !== null; n = await Deno.stdin.read(buf)) {
      await conn.write(buf.subarray(0, n));
    }
    await conn.closeWrite();
    uploaded = true;
  })();
  const download = (async () => {
    // Each chunk as decrypted, written out without a copy.
    for await (const chunk of conn.chunks()) await writeAll(Deno.stdout, chunk);
    // A server that stops (Ctrl-C) or ends the session first: say so, as s_client does.
    if (!uploaded) note("handshake connect: the server closed the connection (close_notify)");
  })();
  // The server's close ends the session even if stdin is still open. A failed upload (a
  // broken pipe) waits for the download, which says why: the server's alert, usually.
  const both = upload.then(() => download, async (e) => {
    await download;
    throw e;
  });
  await Promise.race([download, both]);
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
    info.resumed
      ? `resumed (${info.pskMode}, no certificate)`
      : `server signed with ${info.signatureScheme}`,
  ];
  if (info.alpn) parts.push(`ALPN ${info.alpn}`);
  return parts.join(", ");
}
