/**
 * `handshake serve`: a TLS 1.3 server on Deno.listen. Each connection runs
 * on its own; one client's failure never touches another. One line per
 * connection says who it was, what was negotiated and how it ended.
 *
 * @module
 */

import { listen, type TlsListener } from "../lib/net.ts";
import type { TlsConn } from "../lib/tls_conn.ts";
import { cryptoOf, type HandshakeInfo, type ServerConfig } from "../lib/config.ts";
import type { TraceEvent } from "../lib/trace.ts";
import type { TraceLevel } from "./trace_level.ts";
import { isDirectory, parseFlags, parsePort, UsageError } from "./common.ts";
import { bareTraceFlag, observe, OBSERVE_FLAGS, OBSERVE_HELP, tracePrinter } from "./observe.ts";
import { ChatRoom } from "./serve_chat.ts";
import { HttpSite } from "./serve_http.ts";
import { bridgeTargets, BROWSER_FLAGS, BROWSER_HELP, BrowserSite } from "./serve_browser.ts";
import { loadCertificatePair } from "./credentials.ts";
import { TrustStoreError } from "../lib/x509/anchors.ts";
import { loadTrustAnchors } from "../lib/deno/trust_files.ts";
import { parseCertificate } from "../lib/x509/certificate.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import {
  LIMIT_FLAGS,
  parseCount,
  parseLimits,
  parseSeconds,
  SERVER_LIMIT_FLAGS,
} from "./limits.ts";
import { parseAlpn, parseGroups, parseSuites } from "./names.ts";
import { errorSummary } from "./report.ts";
import { TlsError } from "../lib/errors.ts";
import { CRYPTO_FLAGS, CRYPTO_HELP, loadCrypto } from "./crypto_flag.ts";
import { parseExternalPsk, SERVE_PSK_FLAGS, SERVE_PSK_HELP, ticketSettings } from "./psk_flags.ts";

/** How long open connections get to end after the first SIGINT/SIGTERM. */
const GRACE_MS = 3000;
/**
 * Signals closer together than this are one (a terminal's Ctrl-C, and `deno task` passing it on,
 * which on a busy machine can lag by a few hundred ms); a person's second press comes later.
 */
const SAME_SIGNAL_MS = 1000;

const HELP =
  `handshake serve: a TLS 1.3 server that echoes, chats, or shows visitors their handshake

Usage: handshake serve [options]

  --mode MODE         echo (default): send back what each client sends
                      chat: lines typed here go to every client, and theirs come here
                      http: an HTTPS page showing each visitor their own handshake (/json too)
${BROWSER_HELP}

  --host ADDR         address to listen on (default 127.0.0.1; use :: or 0.0.0.0 for all)
  --port N            TCP port (default 8443; 0 picks a free one)
  --cert FILE         certificate chain, PEM, leaf first (default certs/server.pem)
  --key FILE          private key of the leaf, PEM PKCS#8 (default certs/server-key.pem)
  --alpn LIST         ALPN protocols to accept, in order of preference (e.g. h2,http/1.1)
  --groups LIST       key exchange groups, in order of preference (default
                      X25519MLKEM768,x25519,P-256,P-384,SecP256r1MLKEM768)
  --suites LIST       cipher suites, in order of preference (default TLS_AES_128_GCM_SHA256,
                      TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256)
  --client-ca FILE    ask clients for a certificate and verify it against these roots (PEM)
  --require-client-cert   refuse clients without a certificate (needs --client-ca)
  --handshake-timeout SECONDS   drop clients that do not finish the handshake (default 10)
  --max-handshakes N  handshakes in progress at once; more clients wait to be accepted (default 256)
  --idle-timeout SECONDS   close a connection that has received nothing for this long (default 300)
  --write-timeout SECONDS  close a connection whose client has taken none of our data for this
                      long, as when it never reads (default 30)
  --max-handshake-message BYTES  largest handshake message accepted (default 131072; a
                      post-quantum ClientHello is 1,400 to 1,900 bytes)
  --log-format FORMAT text (default): one timestamped line per connection on stdout
                      json: one JSON object per connection, for machines
  --workers N         serve on N threads, each its own listener on the port (Linux; echo and http
                      modes; needs deno run --unstable-net) (default 1); workers resume each
                      other's tickets only with --ticket-keys, and take no --early-data
${SERVE_PSK_HELP}
${CRYPTO_HELP}
${OBSERVE_HELP}
  -h, --help          this help

Ctrl-C (SIGINT) or SIGTERM stops the server: open connections get close_notify and
${GRACE_MS / 1000} seconds to end; a second Ctrl-C exits at once.

Run \`deno task certs\` first to make certs/ca.pem and certs/server.pem.`;

const FLAGS = {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "8443" },
  cert: { type: "string", default: "certs/server.pem" },
  key: { type: "string", default: "certs/server-key.pem" },
  alpn: { type: "string" },
  groups: { type: "string" },
  suites: { type: "string" },
  "client-ca": { type: "string" },
  "require-client-cert": { type: "boolean" },
  ...BROWSER_FLAGS,
  ...LIMIT_FLAGS,
  ...SERVER_LIMIT_FLAGS,
  mode: { type: "string", default: "echo" },
  "log-format": { type: "string", default: "text" },
  workers: { type: "string", default: "1" },
  ...SERVE_PSK_FLAGS,
  ...CRYPTO_FLAGS,
  ...OBSERVE_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

/** A running server: its address and a way to stop it. */
export interface RunningServer {
  readonly addr: Deno.NetAddr;
  /** Stops accepting, waits for open connections to end. */
  close(): Promise<void>;
  /** Connections accepted and not yet ended. */
  readonly openConnections: number;
  /**
   * Stops accepting and closes every open connection (close_notify to those
   * past their handshake), then waits for them to end, at most `graceMs`.
   * Resolves with how many were still open when the grace period ran out.
   */
  shutdown(graceMs: number): Promise<number>;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
}

/** How one connection went, for the log. */
export interface ConnectionRecord {
  /** When it ended. */
  readonly time: Date;
  readonly peer: string;
  readonly info?: HandshakeInfo;
  readonly ok: boolean;
  /** What the session did ("echoed 3 bytes"), or why it failed. */
  readonly outcome: string;
  /** When this side refused the peer: the `TlsError` code (as `cert_unknown_issuer`). */
  readonly code?: string;
  readonly ms: number;
}

/** What `serve` does with each connection's record. */
export type ConnectionLog = (record: ConnectionRecord) => void;

/** One client's connection, as a mode sees it. */
export interface Session {
  /** Settings for this connection's engine (e.g. its trace). */
  readonly config?: Partial<ServerConfig>;
  /** After the handshake: serve the client, return the outcome for the log (default: echo). */
  readonly run?: (conn: TlsConn, info: HandshakeInfo) => Promise<string>;
  /** Called when the connection has ended, however it ended. */
  readonly end?: () => void;
}

/** Options of a server, parsed from flags or given by the demo. */
export interface ServeOptions {
  host: string;
  port: number;
  config: ServerConfig;
  handshakeTimeoutMs: number;
  /** Handshakes in progress at once (default: the library's). */
  maxHandshakes?: number;
  /** Close a connection that received nothing for this long (default: the library's, 300 s). */
  idleTimeoutMs?: number;
  /** Close a connection whose peer took none of our data for this long (default: the library's, 30 s). */
  writeTimeoutMs?: number;
  log: ConnectionLog;
  /** Starts the session of connection number `id` from `peer` (default: echo). */
  session?: (id: number, peer: string) => Session;
  /** Listen with SO_REUSEPORT (for `--workers`). */
  reusePort?: boolean;
}

/**
 * Where `serve` runs when it is one of `--workers` (`serve_worker.ts`): the
 * process, not the worker, prints where it listens and takes the signals.
 */
export interface ServeHost {
  /** Told the address once listening. */
  listening(addr: Deno.NetAddr): void;
  /** Calls `stop` when the server is to stop; returns a function that forgets it. */
  onStop(stop: () => void): () => void;
  /** Which worker this is (from 1): each connection's line and record says so. */
  readonly worker: number;
}

/** `handshake serve`: runs until interrupted (alone, or as worker `host` of `--workers`). */
export async function serve(argv: string[], host?: ServeHost): Promise<number> {
  const { values } = parseFlags("serve", bareTraceFlag(argv), FLAGS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = parsePort(values.port);
  const { handshakeTimeoutMs, maxHandshakeMessage } = parseLimits(values);
  const maxHandshakes = parseCount("--max-handshakes", values["max-handshakes"]);
  const idleTimeoutMs = parseSeconds("--idle-timeout", values["idle-timeout"]);
  const writeTimeoutMs = parseSeconds("--write-timeout", values["write-timeout"]);
  const mode = values.mode;
  if (mode !== "echo" && mode !== "chat" && mode !== "http") {
    throw new UsageError(`unknown --mode "${mode}"`, "use echo, chat or http");
  }
  const logFormat = values["log-format"];
  if (logFormat !== "text" && logFormat !== "json") {
    throw new UsageError(`unknown --log-format "${logFormat}"`, "use text or json");
  }
  const workers = parseCount("--workers", values.workers);
  if (workers > 1 && !host) {
    if (mode === "chat") {
      throw new UsageError("--mode chat runs in one worker", "leave out --workers");
    }
    // RFC 8446 §8.1: 0-RTT data is accepted once per ticket, which one process's record of
    // used tickets can promise and several workers' records cannot.
    if (values["early-data"] !== "0") {
      throw new UsageError(
        "--early-data needs one worker: each worker keeps its own record of used tickets, so a " +
          "replayed 0-RTT ClientHello could be accepted once per worker",
        "leave out --workers, or --early-data",
      );
    }
    return await (await import("./serve_workers.ts")).serveWorkers(argv, workers, port, mode);
  }
  // Flags first, files second: a typo is reported before a missing file.
  const alpn = values.alpn ? parseAlpn(values.alpn) : mode === "http" ? ["http/1.1"] : undefined;
  // RFC 7301 §3.2: agreeing to a protocol commits the server to speaking it.
  const unspoken = mode === "http" ? alpn!.filter((p) => p !== "http/1.1") : [];
  if (unspoken.length > 0) {
    throw new UsageError(
      `--mode http speaks HTTP/1.1 only, not ${unspoken.join(", ")}`,
      "drop --alpn: the default is http/1.1",
    );
  }
  const bridges = bridgeTargets(values);
  const groups = values.groups ? parseGroups(values.groups) : undefined;
  const cipherSuites = values.suites ? parseSuites(values.suites) : undefined;
  const externalPsk = parseExternalPsk(values);
  const seen = await observe(values);
  const crypto = await loadCrypto(values.crypto);
  // With --psk and no --cert, a PSK-only server (as openssl s_server -nocert -psk).
  const certificate = externalPsk && !argv.some((a) => a === "--cert" || a.startsWith("--cert="))
    ? undefined
    : await loadCertificatePair(values.cert, values.key, crypto);
  const config: ServerConfig = {
    crypto,
    alpn,
    groups,
    cipherSuites,
    keyLog: seen.keyLog,
    certificate,
    tickets: await ticketSettings(values, crypto),
    externalPsks: externalPsk && [externalPsk],
    clientAuth: await clientAuth(values["client-ca"], values["require-client-cert"] ?? false),
    maxHandshakeMessage,
  };
  // The bridge of /browser joins this server's own port, known once it listens.
  const browser = mode === "http"
    ? await BrowserSite.load(values, () => loopback(server.addr), bridges)
    : undefined;
  if (browser?.unavailable) console.error(`handshake serve: ${browser.unavailable}`);
  const server = startServer({
    host: values.host,
    port,
    config,
    handshakeTimeoutMs,
    maxHandshakes,
    idleTimeoutMs,
    writeTimeoutMs,
    log: logFormat === "json"
      ? (r) =>
        console.log(JSON.stringify({ ...jsonRecord(r), ...(host && { worker: host.worker }) }))
      : (r) =>
        console.log(
          `${r.time.toISOString()}  ${connectionLine(r)}${host ? `  worker=${host.worker}` : ""}`,
        ),
    session: sessions(mode, config, seen.trace, browser),
    reusePort: host !== undefined,
  });
  if (host) {
    host.listening(server.addr);
    const forget = host.onStop(() => server.shutdown(GRACE_MS));
    try {
      await server.finished;
    } finally {
      forget();
    }
    return 0;
  }
  const where = server.addr.hostname.includes(":")
    ? `[${server.addr.hostname}]`
    : server.addr.hostname;
  console.error(
    `handshake serve: listening on ${where}:${server.addr.port} (${mode}; Ctrl-C to stop)`,
  );
  let stopping: Promise<number> | undefined;
  let stoppedAt = 0;
  const stop = (signal: string) => () => {
    if (stopping) {
      // Under `deno task`, one Ctrl-C arrives twice: from the terminal and passed on by the
      // task runner. Only a later one is the person asking again.
      if (performance.now() - stoppedAt < SAME_SIGNAL_MS) return;
      console.error(`handshake serve: ${signal} again: exiting now`);
      Deno.exit(130);
    }
    stoppedAt = performance.now();
    const n = server.openConnections;
    console.error(
      `handshake serve: stopping: ${n} connection${n === 1 ? "" : "s"} open` +
        (n ? ` (sending close_notify; ${signal} again exits at once)` : ""),
    );
    stopping = server.shutdown(GRACE_MS);
  };
  const signals = [["SIGINT", stop("SIGINT")], ["SIGTERM", stop("SIGTERM")]] as const;
  for (const [signal, handler] of signals) Deno.addSignalListener(signal, handler);
  try {
    await server.finished;
    const left = await stopping;
    if (left) {
      console.error(
        `handshake serve: ${left} connection${left === 1 ? "" : "s"} did not end within ` +
          `${GRACE_MS / 1000} s; exiting`,
      );
    }
  } finally {
    for (const [signal, handler] of signals) Deno.removeSignalListener(signal, handler);
  }
  return 0;
}

/** The sessions of a mode, each traced on stderr when asked (lines prefixed `#id`). */
function sessions(
  mode: "echo" | "chat" | "http",
  config: ServerConfig,
  trace: TraceLevel | undefined,
  browser?: BrowserSite,
): (id: number, peer: string) => Session {
  const site = mode === "http" ? new HttpSite(config, browser) : undefined;
  const room = mode === "chat" ? new ChatRoom((line) => console.log(line)) : undefined;
  room?.readShell().catch(() => {});
  return (id, peer) => {
    const traces: ((e: TraceEvent) => void)[] = [];
    if (trace) {
      console.error(`#${id} connection from ${peer}, crypto provider ${cryptoOf(config).name}`);
      traces.push(tracePrinter(trace, `#${id} `));
    }
    if (site) traces.push(site.recorder(id));
    return {
      config: traces.length ? { trace: (e) => traces.forEach((t) => t(e)) } : {},
      run: site
        ? (conn, info) => site.serve(conn, id, info)
        : room
        ? (conn) => room.join(conn, id, peer)
        : undefined,
      end: () => site?.forget(id),
    };
  };
}

/**
 * RFC 8446 §4.3.2: with `--client-ca`, the server sends a CertificateRequest
 * naming those CAs and checks the client's chain for clientAuth.
 */
async function clientAuth(
  caPath: string | undefined,
  required: boolean,
): Promise<ServerConfig["clientAuth"]> {
  if (!caPath) {
    if (required) {
      throw new UsageError(
        "--require-client-cert needs --client-ca",
        "e.g. --client-ca certs/ca.pem",
      );
    }
    return undefined;
  }
  if (await isDirectory(caPath)) {
    throw new UsageError(
      `--client-ca ${caPath} is a directory`,
      "give the PEM file of the CA that issues client certificates, e.g. certs/ca.pem",
    );
  }
  let anchors: Uint8Array[];
  try {
    anchors = await loadTrustAnchors(caPath);
  } catch (e) {
    // The store's hints name connect's flags; these are serve's.
    if (e instanceof TrustStoreError) {
      throw new UsageError(
        `--client-ca: ${e.message}`,
        "give the PEM file of the CA that issues client certificates, e.g. certs/ca.pem, " +
          "which `deno task certs --client NAME` makes along with a client certificate",
      );
    }
    throw e;
  }
  const verifier = new PathVerifier(anchors);
  return { verifier, required, authorities: verifier.anchorSubjects };
}

/** Where this machine reaches a listener: loopback for a wildcard address. */
function loopback(addr: Deno.NetAddr): { hostname: string; port: number } {
  const hostname = addr.hostname === "0.0.0.0"
    ? "127.0.0.1"
    : addr.hostname === "::"
    ? "::1"
    : addr.hostname;
  return { hostname, port: addr.port };
}

/** Starts listening and serving; returns at once. */
export function startServer(options: ServeOptions): RunningServer {
  let listener: TlsListener;
  try {
    listener = listen({
      hostname: options.host,
      port: options.port,
      ...options.config,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      writeTimeoutMs: options.writeTimeoutMs,
      maxConcurrentHandshakes: options.maxHandshakes,
      reusePort: options.reusePort,
      onAcceptError: (e) =>
        console.error(`handshake serve: accept failed: ${e.message} (retrying)`),
    });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new UsageError(
        `port ${options.port} on ${options.host} is already in use`,
        `stop the other server or pick another port, e.g. --port ${options.port + 1}`,
      );
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(
        `not allowed to listen on port ${options.port}`,
        "use a port above 1023",
      );
    }
    if (e instanceof Deno.errors.AddrNotAvailable) {
      throw new UsageError(
        `cannot listen on ${options.host}: no such local address`,
        "use 127.0.0.1, ::1, 0.0.0.0 or ::",
      );
    }
    if (/lookup address|Name or service|nodename nor servname/i.test(String(e))) {
      throw new UsageError(
        `cannot listen on ${options.host}: no such host`,
        "use a local address such as 127.0.0.1, ::1, 0.0.0.0 or ::",
      );
    }
    throw e;
  }
  const open = new Map<TlsConn, Promise<void>>();
  let count = 0;
  let stopping = false;
  let graceOver = () => {};
  const grace = new Promise<void>((resolve) => graceOver = resolve);
  let session: Session = {};
  // connections() calls this for each client just before yielding it.
  const configure = (remote: Deno.NetAddr) => {
    session = options.session?.(++count, formatAddr(remote)) ?? {};
    return session.config ?? {};
  };
  const finished = (async () => {
    for await (const conn of listener.connections(configure)) {
      const s = session;
      const task = handleConnection(conn, s, options.log, () => stopping).finally(() => {
        open.delete(conn);
        s.end?.();
      });
      open.set(conn, task);
    }
    await Promise.race([Promise.allSettled([...open.values()]), grace]);
  })();
  const stopListening = () => {
    try {
      listener.close();
    } catch {
      // already closed
    }
  };
  return {
    addr: listener.addr,
    finished,
    get openConnections() {
      return open.size;
    },
    close: async () => {
      stopListening();
      await finished;
    },
    shutdown: async (graceMs) => {
      stopping = true;
      stopListening();
      for (const conn of open.keys()) conn.close().catch(() => {});
      const timer = setTimeout(graceOver, graceMs);
      await finished;
      clearTimeout(timer);
      return open.size;
    },
  };
}

/** One client: handshake, its session (echo by default), one line of log. Never throws. */
async function handleConnection(
  conn: TlsConn & { remoteAddr: Deno.NetAddr },
  session: Session,
  log: ConnectionLog,
  stopping: () => boolean,
): Promise<void> {
  const peer = formatAddr(conn.remoteAddr);
  const started = performance.now();
  const record = (ok: boolean, outcome: string, code?: string) =>
    log({
      time: new Date(),
      peer,
      info,
      ok,
      outcome,
      code,
      ms: Math.round(performance.now() - started),
    });
  let info: HandshakeInfo | undefined;
  try {
    info = await conn.handshake();
    const outcome = await (session.run ?? echo)(conn, info);
    await conn.close();
    record(true, stopping() ? `${outcome}, closed as the server stopped` : outcome);
  } catch (e) {
    await conn.close().catch(() => {});
    if (stopping()) record(false, "closed as the server stopped");
    else record(false, errorSummary(e), e instanceof TlsError ? e.code : undefined);
  }
}

/**
 * Writes of the echo under way at once: the chunks are ours to keep, and an
 * asynchronous AEAD (WebCrypto) seals the records of overlapping writes in
 * parallel; they still go out in order.
 */
const ECHO_WRITES = 4;

/** Sends back what the client sends, until it closes. */
async function echo(conn: TlsConn): Promise<string> {
  let bytesIn = 0;
  const writing: Promise<number>[] = [];
  // Each chunk as decrypted: an idle client costs no read buffer.
  for await (const chunk of conn.chunks()) {
    bytesIn += chunk.length;
    const write = conn.write(chunk);
    write.catch(() => {}); // awaited below, or the connection's failure ends the loop
    writing.push(write);
    if (writing.length >= ECHO_WRITES) await writing.shift();
  }
  await Promise.all(writing);
  const early = conn.earlyDataLength ? ` (${conn.earlyDataLength} in 0-RTT data)` : "";
  return `echoed ${bytesIn} bytes${early}`;
}

/** `127.0.0.1:5000  x25519 TLS_AES_128_GCM_SHA256  ok, echoed 3 bytes  2 ms` */
export function connectionLine(r: ConnectionRecord): string {
  const info = r.info;
  const what = info
    ? `${info.group} ${info.cipherSuite}${info.alpn ? ` alpn=${info.alpn}` : ""}${
      info.helloRetry ? " (after HelloRetryRequest)" : ""
    }${info.resumed ? ` resumed (${info.pskMode})` : ""}${earlyData(info)}${clientName(info)}`
    : "no handshake";
  // The crypto provider closes the line of a handshake: which one did the work.
  return `${r.peer}  ${what}  ${r.ok ? "ok," : "failed:"} ${r.outcome}  ${r.ms} ms${
    info ? `  crypto=${info.provider}` : ""
  }`;
}

/** The record as `--log-format json` prints it. */
function jsonRecord(r: ConnectionRecord): Record<string, unknown> {
  const leaf = r.info?.peerCertificates[0];
  return {
    time: r.time.toISOString(),
    peer: r.peer,
    ok: r.ok,
    outcome: r.outcome,
    code: r.code ?? null,
    group: r.info?.group ?? null,
    cipherSuite: r.info?.cipherSuite ?? null,
    alpn: r.info?.alpn ?? null,
    helloRetryRequest: r.info?.helloRetry ?? null,
    resumed: r.info?.resumed ?? null,
    pskMode: r.info?.pskMode ?? null,
    earlyData: r.info?.earlyData ?? null,
    client: leaf ? parseCertificate(leaf).subject.text : null,
    crypto: r.info?.provider ?? null,
    ms: r.ms,
  };
}

/** ` 0-RTT accepted` or ` 0-RTT rejected` when the client sent early data. */
function earlyData(info: HandshakeInfo): string {
  return info.earlyData === "none" ? "" : ` 0-RTT ${info.earlyData}`;
}

/** ` client "CN=alice"` when the client proved a certificate. */
function clientName(info: HandshakeInfo): string {
  const leaf = info.peerCertificates[0];
  return leaf ? ` client "${parseCertificate(leaf).subject.text}"` : "";
}

/** `127.0.0.1:5000` or `[::1]:5000`. */
export function formatAddr(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}
