/**
 * `connect()` and `listen()` over Deno's TCP sockets: the only file of the
 * library that opens sockets. The engine underneath is sans-IO.
 *
 * @module
 */

import type { ClientConfig, ServerConfig } from "./config.ts";
import { Connection } from "./connection.ts";
import { TlsConn, type TlsConnOptions } from "./tls_conn.ts";

/** Where to connect, and how to speak TLS there. */
export interface ConnectOptions extends ClientConfig, TlsConnOptions {
  hostname: string;
  port: number;
}

/**
 * Opens a TCP connection and wraps it in TLS. The handshake runs on the
 * first `read`/`write` or when `handshake()` is called.
 */
export async function connect(options: ConnectOptions): Promise<TlsConn> {
  const tcp = await Deno.connect({ hostname: options.hostname, port: options.port });
  return new TlsConn(Connection.client(options), tcp, options);
}

/** Where to listen, and how to speak TLS there. */
export interface ListenOptions extends ServerConfig, TlsConnOptions {
  hostname?: string;
  port: number;
}

/** Settings for one accepted connection, on top of the listener's. */
export type PerConnection = (remoteAddr: Deno.NetAddr) => Partial<ServerConfig>;

/** A TLS server socket: each accepted connection is a `TlsConn`. */
export class TlsListener implements AsyncIterable<TlsConn> {
  readonly #listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  readonly #options: ListenOptions;

  constructor(listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>, options: ListenOptions) {
    this.#listener = listener;
    this.#options = options;
  }

  /** The local address (useful with port 0). */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /**
   * Waits for the next TCP connection and wraps it; the handshake has not run
   * yet. `configure` may add settings for this connection alone, e.g. a
   * `trace` that knows which client it watches.
   */
  async accept(configure?: PerConnection): Promise<TlsConn & { remoteAddr: Deno.NetAddr }> {
    const tcp = await this.#listener.accept();
    const config = configure ? { ...this.#options, ...configure(tcp.remoteAddr) } : this.#options;
    return Object.assign(new TlsConn(Connection.server(config), tcp, this.#options), {
      remoteAddr: tcp.remoteAddr,
    });
  }

  /** Accepted connections (see `accept`) until the listener is closed. */
  async *connections(
    configure?: PerConnection,
  ): AsyncGenerator<TlsConn & { remoteAddr: Deno.NetAddr }> {
    while (true) {
      try {
        yield await this.accept(configure);
      } catch (e) {
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
        throw e;
      }
    }
  }

  /** Stops listening. */
  close(): void {
    this.#listener.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<TlsConn & { remoteAddr: Deno.NetAddr }> {
    return this.connections();
  }
}

/** Listens on TCP and speaks TLS 1.3 on each accepted connection. */
export function listen(options: ListenOptions): TlsListener {
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port,
    transport: "tcp",
  });
  return new TlsListener(listener, options);
}
