/**
 * `connect()` and `listen()` over Node's `node:net`, shaped like the Deno
 * adapter (`lib/net.ts`): each connection is a `TlsConn` with `read`,
 * `write`, `close`, `readable`, `writable` and `handshake()`. The engine
 * underneath is the same sans-IO `Connection`.
 *
 * @module
 */

import * as net from "node:net";
import type { ClientConfig, ServerConfig } from "../config.ts";
import { Connection } from "../connection.ts";
import { acceptedConnOptions } from "../listener_timeouts.ts";
import { DEFAULT_MAX_HANDSHAKES, Slots } from "../slots.ts";
import { TlsConn, type TlsConnOptions } from "../tls_conn.ts";
import { SocketTransport } from "./socket_transport.ts";

/** A TCP address, as `Deno.NetAddr` has it. */
export interface NetAddr {
  /** Always "tcp". */
  transport: "tcp";
  /** The IP address. */
  hostname: string;
  /** The TCP port. */
  port: number;
}

/** A TLS connection accepted by a listener, with the client's address. */
export type AcceptedConn = TlsConn & { remoteAddr: NetAddr };

/**
 * Where to connect, and how to speak TLS there. As with the Deno adapter,
 * a client times out a stalled server only when asked (`idleTimeoutMs`,
 * `writeTimeoutMs`).
 */
export interface ConnectOptions extends ClientConfig, TlsConnOptions {
  /** The host to open a TCP connection to (a name or an IP address). */
  hostname: string;
  /** The TCP port. */
  port: number;
}

/**
 * Opens a TCP connection with `node:net` and wraps it in TLS. The
 * handshake runs on the first `read`/`write` or when `handshake()` is
 * called.
 *
 * @example
 * ```ts
 * import { connect, parseTrustAnchors, PathVerifier } from "./mod.ts";
 * import { readFileSync } from "node:fs";
 * const anchors = parseTrustAnchors(readFileSync("ca.pem", "utf8"));
 * const conn = await connect({
 *   hostname: "127.0.0.1",
 *   port: 8443,
 *   serverName: "localhost",
 *   verifier: new PathVerifier(anchors),
 * });
 * await conn.write(new TextEncoder().encode("hello\n"));
 * await conn.close();
 * ```
 */
export async function connect(options: ConnectOptions): Promise<TlsConn> {
  const socket = net.connect({ host: options.hostname, port: options.port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.removeAllListeners("error");
  // Each write is a whole flight or record run: Nagle would hold the next one back.
  socket.setNoDelay(true);
  return new TlsConn(Connection.client(options), new SocketTransport(socket), options);
}

/**
 * Where to listen, and how to speak TLS there. As with the Deno adapter, a
 * listener's connections time out when idle (`idleTimeoutMs`, default
 * 300 s) or when the peer stops taking our data (`writeTimeoutMs`, default
 * 30 s), with a `StalledPeerError`; 0 turns either off.
 */
export interface ListenOptions extends ServerConfig, TlsConnOptions {
  /** The address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** The TCP port (0 picks a free one). */
  port: number;
  /**
   * Handshakes in progress at once (default 256). At the limit, accepted
   * sockets wait, unread, until a handshake completes, fails or times out.
   */
  maxConcurrentHandshakes?: number;
  /** Told of each failed accept (e.g. out of file descriptors); the listener keeps going. */
  onAcceptError?: (error: Error) => void;
}

/** Settings for one accepted connection, on top of the listener's. */
export type PerConnection = (remoteAddr: NetAddr) => Partial<ServerConfig>;

/** A TLS server socket over `net.Server`: each accepted connection is a `TlsConn`. */
export class TlsListener implements AsyncIterable<AcceptedConn> {
  readonly #server: net.Server;
  readonly #options: ListenOptions;
  readonly #connOptions: TlsConnOptions;
  readonly #slots: Slots;
  readonly #sockets: { socket: net.Socket; transport: SocketTransport }[] = [];
  #wake?: () => void;
  #closed = false;

  /** Wraps a listening `server`; `listen()` makes one. */
  constructor(server: net.Server, options: ListenOptions) {
    this.#server = server;
    this.#options = options;
    this.#connOptions = acceptedConnOptions(options);
    this.#slots = new Slots(options.maxConcurrentHandshakes ?? DEFAULT_MAX_HANDSHAKES);
    server.on("connection", (socket: net.Socket) => {
      // The transport takes the socket's events at once: an error while it waits is held, not thrown.
      this.#sockets.push({ socket, transport: new SocketTransport(socket) });
      this.#notify();
    });
    server.on("error", (e: Error) => options.onAcceptError?.(e));
  }

  /** The local address (useful with port 0). */
  get addr(): NetAddr {
    const a = this.#server.address() as net.AddressInfo;
    return { transport: "tcp", hostname: a.address, port: a.port };
  }

  /** Handshakes in progress now. */
  get handshakesInProgress(): number {
    return this.#slots.taken;
  }

  /**
   * Waits for a free handshake slot and the next TCP connection, wraps it
   * and starts its handshake (its timeout runs from now); `handshake()`
   * returns the outcome. `configure` may add settings for this connection.
   * Rejects once the listener is closed.
   */
  async accept(configure?: PerConnection): Promise<AcceptedConn> {
    await this.#slots.acquire();
    while (this.#sockets.length === 0 && !this.#closed) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const next = this.#sockets.shift();
    if (!next) {
      this.#slots.release();
      throw new Error("the listener is closed");
    }
    const { socket, transport } = next;
    socket.setNoDelay(true);
    const remoteAddr: NetAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    const config = configure ? { ...this.#options, ...configure(remoteAddr) } : this.#options;
    const conn = Object.assign(
      new TlsConn(Connection.server(config), transport, this.#connOptions),
      {
        remoteAddr,
      },
    );
    const release = () => this.#slots.release();
    conn.handshake().then(release, release);
    return conn;
  }

  /** Accepted connections (see `accept`) until the listener is closed. */
  async *connections(configure?: PerConnection): AsyncGenerator<AcceptedConn> {
    while (true) {
      let conn;
      try {
        conn = await this.accept(configure);
      } catch (e) {
        if (this.#closed) return;
        throw e;
      }
      yield conn;
    }
  }

  /** Stops listening and drops connections not yet accepted. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const { socket } of this.#sockets.splice(0)) socket.destroy();
    this.#slots.wakeAll();
    this.#notify();
  }

  /** The accepted connections: `for await (const conn of listener)` (see `connections`). */
  [Symbol.asyncIterator](): AsyncIterator<AcceptedConn> {
    return this.connections();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * Listens on TCP with `node:net` and speaks TLS 1.3 on each accepted
 * connection. Resolves once the port is bound.
 *
 * @example
 * ```ts
 * import { listen, loadCertifiedKey } from "./mod.ts";
 * import { readFileSync } from "node:fs";
 * const certificate = await loadCertifiedKey(
 *   readFileSync("server.pem", "utf8"),
 *   readFileSync("server-key.pem", "utf8"),
 * );
 * const listener = await listen({ port: 8443, certificate });
 * for await (const conn of listener) {
 *   conn.readable.pipeTo(conn.writable).catch(() => conn.close());
 * }
 * ```
 */
export function listen(options: ListenOptions): Promise<TlsListener> {
  const server = net.createServer();
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.hostname ?? "127.0.0.1", port: options.port }, () => {
      server.removeListener("error", reject);
      resolve(new TlsListener(server, options));
    });
  });
}

export { DEFAULT_MAX_HANDSHAKES } from "../slots.ts";
export { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_WRITE_TIMEOUT_MS } from "../listener_timeouts.ts";
