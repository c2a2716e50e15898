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
import { parseFlags, parsePort, UsageError } from "./common.ts";
import { bareTraceFlag, observe, OBSERVE_FLAGS, OBSERVE_HELP, tracePrinter } from "./observe.ts";
import { ChatRoom } from "./serve_chat.ts";
import { HttpSite } from "./serve_http.ts";
import { loadCertificatePair } from "./credentials.ts";
import { loadTrustAnchors, TrustStoreError } from "../lib/x509/anchors.ts";
import { parseCertificate } from "../lib/x509/certificate.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { LIMIT_FLAGS, parseCount, parseLimits, SERVER_LIMIT_FLAGS } from "./limits.ts";
import { parseAlpn, parseGroups, parseSuites } from "./names.ts";
import { errorSummary } from "./report.ts";
import { CRYPTO_FLAGS, CRYPTO_HELP, loadCrypto } from "./crypto_flag.ts";

const HELP =
  `handshake serve: a TLS 1.3 server that echoes, chats, or shows visitors their handshake

Usage: handshake serve [options]

  --mode MODE         echo (default): send back what each client sends
                      chat: lines typed here go to every client, and theirs come here
                      http: an HTTPS page showing each visitor their own handshake (/json too)

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
  --max-handshake-message BYTES  largest handshake message accepted (default 131072; a
                      post-quantum ClientHello is 1,400 to 1,900 bytes)
  --workers N         serve on N threads, each its own listener on the port (Linux; echo and http
                      modes; needs deno run --unstable-net) (default 1)
${CRYPTO_HELP}
${OBSERVE_HELP}
  -h, --help          this help

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
  ...LIMIT_FLAGS,
  ...SERVER_LIMIT_FLAGS,
  mode: { type: "string", default: "echo" },
  workers: { type: "string", default: "1" },
  ...CRYPTO_FLAGS,
  ...OBSERVE_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

/** A running server: its address and a way to stop it. */
export interface RunningServer {
  readonly addr: Deno.NetAddr;
  /** Stops accepting, waits for open connections to end. */
  close(): Promise<void>;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
}

/** What `serve` prints about each connection. */
export type ConnectionLog = (line: string) => void;

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
  log: ConnectionLog;
  /** Starts the session of connection number `id` from `peer` (default: echo). */
  session?: (id: number, peer: string) => Session;
  /** Listen with SO_REUSEPORT (for `--workers`). */
  reusePort?: boolean;
}

/**
 * Where `serve` runs: alone in the process (it prints where it listens and
 * stops on SIGINT/SIGTERM), or as one of `--workers` (the process does both).
 */
export interface ServeHost {
  /** Listen with SO_REUSEPORT beside the other workers. */
  readonly reusePort: boolean;
  /** Told the address once listening. */
  listening(addr: Deno.NetAddr, mode: string): void;
  /** Calls `stop` when the server is to stop; returns a function that forgets it. */
  onStop(stop: () => void): () => void;
  /** Ends each connection's line, e.g. `worker=2`: which worker served it. */
  readonly label?: string;
}

const ALONE: ServeHost = {
  reusePort: false,
  listening(addr, mode) {
    console.error(`handshake serve: listening on ${formatAddr(addr)} (${mode}; Ctrl-C to stop)`);
  },
  onStop(stop) {
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    return () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
    };
  },
};

/** `handshake serve`: runs until interrupted. */
export async function serve(argv: string[], host: ServeHost = ALONE): Promise<number> {
  const { values } = parseFlags("serve", bareTraceFlag(argv), FLAGS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = parsePort(values.port);
  const { handshakeTimeoutMs, maxHandshakeMessage } = parseLimits(values);
  const maxHandshakes = parseCount("--max-handshakes", values["max-handshakes"]);
  const mode = values.mode;
  if (mode !== "echo" && mode !== "chat" && mode !== "http") {
    throw new UsageError(`unknown --mode "${mode}"`, "use echo, chat or http");
  }
  const workers = parseCount("--workers", values.workers);
  if (workers > 1 && host === ALONE) {
    if (mode === "chat") {
      throw new UsageError("--mode chat runs in one worker", "leave out --workers");
    }
    return await (await import("./serve_workers.ts")).serveWorkers(argv, workers, port, mode);
  }
  // Flags first, files second: a typo is reported before a missing file.
  // RFC 7301: the http mode speaks HTTP/1.1 only; a client offering h2 too gets http/1.1.
  const alpn = values.alpn ? parseAlpn(values.alpn) : mode === "http" ? ["http/1.1"] : undefined;
  const groups = values.groups ? parseGroups(values.groups) : undefined;
  const cipherSuites = values.suites ? parseSuites(values.suites) : undefined;
  const seen = await observe(values);
  const crypto = await loadCrypto(values.crypto);
  const config: ServerConfig = {
    crypto,
    alpn,
    groups,
    cipherSuites,
    keyLog: seen.keyLog,
    certificate: await loadCertificatePair(values.cert, values.key, crypto),
    clientAuth: await clientAuth(values["client-ca"], values["require-client-cert"] ?? false),
    maxHandshakeMessage,
  };
  const server = startServer({
    host: values.host,
    port,
    config,
    handshakeTimeoutMs,
    maxHandshakes,
    log: host.label ? (line) => console.log(`${line}  ${host.label}`) : (line) => console.log(line),
    session: sessions(mode, config, seen.trace),
    reusePort: host.reusePort,
  });
  host.listening(server.addr, mode);
  const forget = host.onStop(() => server.close());
  try {
    await server.finished;
  } finally {
    forget();
  }
  return 0;
}

/** The sessions of a mode, each traced on stderr when asked (lines prefixed `#id`). */
function sessions(
  mode: "echo" | "chat" | "http",
  config: ServerConfig,
  trace: TraceLevel | undefined,
): (id: number, peer: string) => Session {
  const site = mode === "http" ? new HttpSite(config) : undefined;
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
  let anchors: Uint8Array[];
  try {
    anchors = await loadTrustAnchors(caPath);
  } catch (e) {
    if (e instanceof TrustStoreError) throw new UsageError(e.message, e.hint);
    throw e;
  }
  const verifier = new PathVerifier(anchors);
  return { verifier, required, authorities: verifier.anchorSubjects };
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
    throw e;
  }
  const open = new Set<Promise<void>>();
  let count = 0;
  let session: Session = {};
  // connections() calls this for each client just before yielding it.
  const configure = (remote: Deno.NetAddr) => {
    session = options.session?.(++count, formatAddr(remote)) ?? {};
    return session.config ?? {};
  };
  const finished = (async () => {
    for await (const conn of listener.connections(configure)) {
      const s = session;
      const task = handleConnection(conn, s, options.log).finally(() => {
        open.delete(task);
        s.end?.();
      });
      open.add(task);
    }
    await Promise.allSettled([...open]);
  })();
  return {
    addr: listener.addr,
    finished,
    close: async () => {
      try {
        listener.close();
      } catch {
        // already closed
      }
      await finished;
    },
  };
}

/** One client: handshake, its session (echo by default), one line of log. Never throws. */
async function handleConnection(
  conn: TlsConn & { remoteAddr: Deno.NetAddr },
  session: Session,
  log: ConnectionLog,
): Promise<void> {
  const peer = formatAddr(conn.remoteAddr);
  const started = performance.now();
  let info: HandshakeInfo | undefined;
  try {
    info = await conn.handshake();
    const outcome = await (session.run ?? echo)(conn, info);
    await conn.close();
    log(connectionLine(peer, info, `ok, ${outcome}`, started));
  } catch (e) {
    await conn.close().catch(() => {});
    log(connectionLine(peer, info, `failed: ${errorSummary(e)}`, started));
  }
}

/** Sends back what the client sends, until it closes. */
async function echo(conn: TlsConn): Promise<string> {
  let bytesIn = 0;
  // Each chunk as decrypted: an idle client costs no read buffer.
  for await (const chunk of conn.chunks()) {
    bytesIn += chunk.length;
    await conn.write(chunk);
  }
  return `echoed ${bytesIn} bytes`;
}

function connectionLine(
  peer: string,
  info: HandshakeInfo | undefined,
  outcome: string,
  started: number,
): string {
  const ms = Math.round(performance.now() - started);
  const what = info
    ? `${info.group} ${info.cipherSuite}${info.alpn ? ` alpn=${info.alpn}` : ""}${
      info.helloRetry ? " (after HelloRetryRequest)" : ""
    }${clientName(info)}`
    : "no handshake";
  // The crypto provider closes the line of a handshake: which one did the work.
  return `${peer}  ${what}  ${outcome}  ${ms} ms${info ? `  crypto=${info.provider}` : ""}`;
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
