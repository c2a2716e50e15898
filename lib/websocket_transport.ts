/**
 * A `Transport` over a WebSocket, for pages and workers: the TLS records go
 * in binary messages to a bridge that joins them to a TCP port (what
 * `serve --mode http` offers at `/bridge`). WebSocket is a web standard, so
 * this runs in browsers, Deno and Node 22+.
 *
 * @module
 */

import type { Transport } from "./tls_conn.ts";

/** Bytes queued in the WebSocket above which `write()` waits for them to drain. */
const SEND_HIGH_WATER = 1 << 20;
/** How often a waiting `write()` looks at the WebSocket's queue again, in milliseconds. */
const DRAIN_POLL_MS = 5;

/**
 * The bytes of a TLS connection as binary WebSocket messages. The
 * WebSocket carries no meaning of its own: a message may hold any part of
 * a record, and its end is the TCP end (a close without close_notify is
 * still reported as truncation by the engine).
 *
 * @example
 * ```ts
 * import { Connection, parseTrustAnchors, PathVerifier, TlsConn, WebSocketTransport } from "./mod.ts";
 * const caPem = await (await fetch("/ca.pem")).text();
 * const transport = await WebSocketTransport.open("wss://example.test/bridge");
 * const verifier = new PathVerifier(parseTrustAnchors(caPem));
 * const conn = new TlsConn(Connection.client({ serverName: "localhost", verifier }), transport);
 * await conn.handshake();
 * ```
 */
export class WebSocketTransport implements Transport {
  readonly #socket: WebSocket;
  readonly #messages: Uint8Array[] = [];
  #ended = false;
  #closed = false;
  #error?: Error;
  #wake?: () => void;

  /** Opens a WebSocket to `url` and resolves once it is open. */
  static open(url: string | URL): Promise<WebSocketTransport> {
    const socket = new WebSocket(url);
    const transport = new WebSocketTransport(socket);
    return new Promise((resolve, reject) => {
      if (socket.readyState === WebSocket.OPEN) return resolve(transport);
      socket.addEventListener("open", () => resolve(transport), { once: true });
      socket.addEventListener("close", (e) => {
        reject(new Error(`the WebSocket to ${url} did not open (close code ${e.code})`));
      }, { once: true });
    });
  }

  /** Takes over `socket`'s messages (it is switched to ArrayBuffer messages). */
  constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (e) => {
      if (!(e.data instanceof ArrayBuffer)) {
        this.#error ??= new Error("the WebSocket bridge sent a text message, not TLS bytes");
        socket.close(1003, "binary messages only");
      } else {
        this.#messages.push(new Uint8Array(e.data));
      }
      this.#notify();
    });
    socket.addEventListener("error", () => {
      this.#error ??= new Error("the WebSocket connection failed");
      this.#notify();
    });
    socket.addEventListener("close", () => {
      this.#ended = true;
      this.#notify();
    });
  }

  /** Copies received bytes into `p`; null once the WebSocket has closed. */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#messages.length === 0) {
      if (this.#closed) throw new Error("the transport is closed");
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const head = this.#messages[0];
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#messages.shift();
    else this.#messages[0] = head.subarray(n);
    return n;
  }

  /** Sends `p` as one binary message, first waiting while much is still queued. */
  async write(p: Uint8Array): Promise<number> {
    while (this.#socket.bufferedAmount > SEND_HIGH_WATER && !this.#ended && !this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    if (this.#error) throw this.#error;
    if (this.#ended || this.#closed || this.#socket.readyState !== WebSocket.OPEN) {
      throw new Error("the WebSocket is closed");
    }
    this.#socket.send(p);
    return p.length;
  }

  /** Closes the WebSocket (a normal closure, code 1000); a `read()` waiting now fails. */
  close(): void {
    this.#closed = true;
    this.#notify();
    this.#socket.close(1000);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
