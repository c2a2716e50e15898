/**
 * `connect()` and `listen()` over Deno's TCP sockets: the only file of the
 * library that opens sockets. The engine underneath is sans-IO.
 *
 * @module
 */

import type { ClientConfig, ServerConfig } from "./config.ts";
import { Connection } from "./connection.ts";
import { TlsConn, type TlsConnOptions } from "./tls_conn.ts";
import { DEFAULT_MAX_HANDSHAKES, Slots } from "./slots.ts";
import { acceptedConnOptions } from "./listener_timeouts.ts";

/** Where to connect, and how to speak TLS there. */
export interface ConnectOptions extends ClientConfig, TlsConnOptions {
  /** The host to open a TCP connection to (a name or an IP address). */
  hostname: string;
  /** The TCP port. */
  port: number;
}

/**
 * Opens a TCP connection and wraps it in TLS. The handshake runs on the
 * first `read`/`write` or when `handshake()` is called.
 *
 * @example
 * ```ts
 * import { connect, loadTrustAnchors, PathVerifier } from "./deno/mod.ts";
 * const conn = await connect({
 *   hostname: "127.0.0.1",
 *   port: 8443,
 *   serverName: "localhost",
 *   verifier: new PathVerifier(await loadTrustAnchors("certs/ca.pem")),
 * });
 * await conn.write(new TextEncoder().encode("hi\n"));
 * await conn.close();
 * ```
 */
export async function connect(options: ConnectOptions): Promise<TlsConn> {
  const tcp = await Deno.connect({ hostname: options.hostname, port: options.port });
  // Each write is a whole flight or record run: Nagle's algorithm would only hold back the next
  // one until the peer's delayed ACK (40 ms a round trip on Linux).
  tcp.setNoDelay(true);
  return new TlsConn(Connection.client(options), tcp, {
    ...options,
    transportReleasesWrites: true,
  });
}

export { DEFAULT_MAX_HANDSHAKES } from "./slots.ts";
export { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_WRITE_TIMEOUT_MS } from "./listener_timeouts.ts";

/**
 * Where to listen, and how to speak TLS there. A listener's connections
 * time out when idle (`idleTimeoutMs`, default 300 s) or when the peer
 * stops taking our data (`writeTimeoutMs`, default 30 s); 0 turns either off.
 */
export interface ListenOptions extends ServerConfig, TlsConnOptions {
  /** The address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** The TCP port (0 picks a free one). */
  port: number;
  /**
   * Handshakes in progress at once (default 256). At the limit the listener
   * stops accepting: new clients wait in the kernel's backlog until a
   * handshake completes, fails or times out.
   */
  maxConcurrentHandshakes?: number;
  /**
   * Told of each failed accept (e.g. out of file descriptors). The listener
   * keeps going after a pause, as Go's http.Server does.
   */
  onAcceptError?: (error: Error) => void;
  /**
   * Let other listeners bind the same address and port (SO_REUSEPORT; Linux
   * spreads connections over them). Deno needs `--unstable-net` for it.
   */
  reusePort?: boolean;
}

/** Settings for one accepted connection, on top of the listener's. */
export type PerConnection = (remoteAddr: Deno.NetAddr) => Partial<ServerConfig>;

/** A TLS server socket: each accepted connection is a `TlsConn`. */
export class TlsListener implements AsyncIterable<TlsConn> {
  readonly #listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  readonly #options: ListenOptions;
  readonly #connOptions: TlsConnOptions;
  readonly #slots: Slots;

  /** Wraps a TCP `listener`; `listen()` makes one. */
  constructor(listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>, options: ListenOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#connOptions = { ...acceptedConnOptions(options), transportReleasesWrites: true };
    this.#slots = new Slots(options.maxConcurrentHandshakes ?? DEFAULT_MAX_HANDSHAKES);
  }

  /** Handshakes in progress now. */
  get handshakesInProgress(): number {
    return this.#slots.taken;
  }

  /** The local address (useful with port 0). */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /**
   * Waits for a free handshake slot and the next TCP connection, wraps it
   * and starts its handshake (its timeout runs from now); `handshake()`
   * returns the outcome. `configure` may add settings for this connection
   * alone, e.g. a `trace` that knows which client it watches.
   */
  async accept(configure?: PerConnection): Promise<TlsConn & { remoteAddr: Deno.NetAddr }> {
    await this.#slots.acquire();
    let tcp: Deno.TcpConn;
    try {
      tcp = await this.#listener.accept();
    } catch (e) {
      this.#slots.release();
      throw e;
    }
    tcp.setNoDelay(true);
    const config = configure ? { ...this.#options, ...configure(tcp.remoteAddr) } : this.#options;
    const conn = Object.assign(new TlsConn(Connection.server(config), tcp, this.#connOptions), {
      remoteAddr: tcp.remoteAddr,
    });
    const release = () => this.#slots.release();
    conn.handshake().then(release, release);
    return conn;
  }

  /**
   * Accepted connections (see `accept`) until the listener is closed. A
   * failed accept (a client that reset first, no file descriptors left)
   * does not end the loop: it pauses, 5 ms doubling up to 1 s, and tries
   * again.
   */
  async *connections(
    configure?: PerConnection,
  ): AsyncGenerator<TlsConn & { remoteAddr: Deno.NetAddr }> {
    let pause = 0;
    while (true) {
      let conn;
      try {
        conn = await this.accept(configure);
      } catch (e) {
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
        this.#options.onAcceptError?.(e as Error);
        pause = Math.min(pause ? pause * 2 : 5, 1000);
        await new Promise((resolve) => setTimeout(resolve, pause));
        continue;
      }
      pause = 0;
      yield conn;
    }
  }

  /** Stops listening (an `accept` waiting for a slot then fails at once). */
  close(): void {
    this.#listener.close();
    this.#slots.wakeAll();
  }

  /** The accepted connections: `for await (const conn of listener)` (see `connections`). */
  [Symbol.asyncIterator](): AsyncIterator<TlsConn & { remoteAddr: Deno.NetAddr }> {
    return this.connections();
  }
}

/**
 * Listens on TCP and speaks TLS 1.3 on each accepted connection.
 *
 * @example An echo server
 * ```ts
 * import { listen, loadCertifiedKey } from "./deno/mod.ts";
 * const certificate = await loadCertifiedKey(
 *   await Deno.readTextFile("certs/server.pem"),
 *   await Deno.readTextFile("certs/server-key.pem"),
 * );
 * for await (const conn of listen({ port: 8443, certificate })) {
 *   conn.readable.pipeTo(conn.writable).catch(() => conn.close());
 * }
 * ```
 */
export function listen(options: ListenOptions): TlsListener {
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port,
    transport: "tcp",
    ...(options.reusePort ? { reusePort: true } : {}),
  });
  return new TlsListener(listener, options);
}
