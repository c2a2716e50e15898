/**
 * A `Transport` over a Node `net.Socket`: the bytes of a TLS connection in
 * and out, with the socket paused while unread data piles up. This and
 * `net.ts` are the only files of the library that touch Node.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { Transport } from "../tls_conn.ts";

/** Received bytes held for `read()` before the socket is paused. */
const HIGH_WATER = 1 << 18;
/** How long `close()` lets queued bytes (a final alert) drain before it drops the socket. */
const CLOSE_GRACE_MS = 1000;

/**
 * Reads and writes a Node socket as a `TlsConn` expects (what `connect` and
 * `listen` use; for sockets made elsewhere).
 *
 * @example
 * ```ts
 * import { Connection, InsecureVerifier, SocketTransport, TlsConn } from "./mod.ts";
 * import * as net from "node:net";
 * const verifier = new InsecureVerifier(); // for the sake of the example: verify in real use
 * const socket = net.connect({ host: "127.0.0.1", port: 8443 });
 * await new Promise((resolve) => socket.once("connect", resolve));
 * const conn = new TlsConn(Connection.client({ serverName: "localhost", verifier }), new SocketTransport(socket));
 * ```
 */
export class SocketTransport implements Transport {
  readonly #socket: Socket;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #closed = false;
  #error?: Error;
  #wake?: () => void;

  /** Takes over `socket`'s data, end and error events. */
  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered > HIGH_WATER) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (e: Error) => {
      this.#error ??= socketError(e);
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
  }

  /** Copies received bytes into `p`; null once the peer has closed its side. */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#closed) throw new Error("the transport is closed");
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const head = this.#chunks[0];
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    this.#buffered -= n;
    if (this.#buffered <= HIGH_WATER / 2 && this.#socket.isPaused()) this.#socket.resume();
    return n;
  }

  /** Writes all of `p`; resolves once the socket has taken it. */
  write(p: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#socket.write(p, (e) => e ? reject(socketError(e)) : resolve(p.length));
    });
  }

  /**
   * Ends the socket: what was written is sent, then a FIN; the socket is
   * dropped once that is done, or after a grace period if the peer is not
   * reading. A `read()` waiting now fails, as on a closed Deno.Conn.
   */
  close(): void {
    this.#closed = true;
    this.#notify();
    const socket = this.#socket;
    if (socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    socket.resume();
    socket.end(() => {
      clearTimeout(timer);
      socket.destroy();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** A socket error as the one-line message the Deno adapter gives for the same failure. */
function socketError(e: Error): Error {
  const code = (e as Error & { code?: string }).code;
  if (code === "ECONNRESET") return new Error("the connection was reset by the peer");
  if (code === "EPIPE") return new Error("the peer closed the connection (broken pipe)");
  return e;
}
