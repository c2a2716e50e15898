/**
 * The thin adapter between the sans-IO engine and a byte stream: a
 * `TlsConn` shaped like `Deno.TlsConn` (`read`, `write`, `close`,
 * `readable`, `writable`, `handshake()`), over any transport with
 * `read`/`write`/`close` (a `Deno.Conn`, or anything else that moves bytes).
 *
 * @module
 */

import type { Connection } from "./connection.ts";
import type { HandshakeInfo } from "./config.ts";
import { Serial } from "./serial.ts";

/** The byte stream under a TLS connection. `Deno.Conn` is one. */
export interface Transport {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** Limits the adapter enforces. */
export interface TlsConnOptions {
  /** Fail the handshake if it has not completed after this many milliseconds (default: none). */
  handshakeTimeoutMs?: number;
}

/** Received application data held before `read()` takes it; reading the socket pauses above this. */
const HIGH_WATER = 1 << 16;
/**
 * How long a failing connection waits for its alert to be written before it
 * closes anyway: a peer that stopped reading must not keep it open.
 */
const ALERT_GRACE_MS = 1000;

/** A TLS connection over a transport. */
export class TlsConn {
  readonly #engine: Connection;
  readonly #transport: Transport;
  readonly #writes = new Serial();
  readonly #options: TlsConnOptions;
  #received: Uint8Array[] = [];
  #receivedBytes = 0;
  #eof = false;
  #error?: Error;
  #wake?: () => void;
  #handshake?: Promise<HandshakeInfo>;
  #pumping = false;
  #closed = false;
  #readable?: ReadableStream<Uint8Array>;
  #writable?: WritableStream<Uint8Array>;

  constructor(engine: Connection, transport: Transport, options: TlsConnOptions = {}) {
    this.#engine = engine;
    this.#transport = transport;
    this.#options = options;
  }

  /** The sans-IO connection underneath. */
  get engine(): Connection {
    return this.#engine;
  }

  /**
   * Runs the handshake (once; later calls return the same result). Rejects
   * with the error that ended it: `TlsError` (our alert was sent),
   * `PeerAlert`, `TruncationError` or a transport error.
   */
  handshake(): Promise<HandshakeInfo> {
    this.#handshake ??= this.#runHandshake();
    return this.#handshake;
  }

  async #runHandshake(): Promise<HandshakeInfo> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = this.#options.handshakeTimeoutMs;
    if (timeout) {
      timer = setTimeout(() => {
        this.#engine.abort(
          90, /* user_canceled */
          `the handshake did not complete within ${timeout} ms`,
        )
          .then((e) => this.#failWith(e));
      }, timeout);
    }
    try {
      await this.#engine.start();
      await this.#flush();
      this.#pump();
      while (!this.#engine.handshakeInfo) {
        if (this.#error) throw this.#error;
        if (this.#eof) {
          throw this.#engine.error ?? new Error("the connection ended during the handshake");
        }
        await this.#waitForProgress();
      }
      return this.#engine.handshakeInfo;
    } catch (e) {
      await this.#failWith(e as Error);
      throw this.#error ?? e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads application data into `p`; null at a clean end (the peer's close_notify). */
  async read(p: Uint8Array): Promise<number | null> {
    await this.handshake();
    while (this.#received.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#eof) return null;
      await this.#waitForProgress();
    }
    const head = this.#received[0];
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#received.shift();
    else this.#received[0] = head.subarray(n);
    this.#receivedBytes -= n;
    this.#pump();
    return n;
  }

  /** Encrypts and sends all of `p`; returns its length. */
  async write(p: Uint8Array): Promise<number> {
    await this.handshake();
    if (this.#error) throw this.#error;
    await this.#engine.write(p);
    await this.#flush();
    return p.length;
  }

  /** Sends close_notify (RFC 8446 §6.1) but keeps reading: a half-close. */
  async closeWrite(): Promise<void> {
    if (this.#error || this.#closed) return;
    await this.#engine.close();
    await this.#flush();
  }

  /** Sends close_notify (if the connection is still healthy) and closes the transport. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (!this.#error && this.#engine.handshakeInfo) {
      await this.#engine.close().catch(() => {});
      await this.#flush().catch(() => {});
    }
    this.#shutdown();
  }

  /** Application data as a stream. */
  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const buf = new Uint8Array(1 << 14);
        const n = await this.read(buf);
        if (n === null) controller.close();
        else controller.enqueue(buf.subarray(0, n));
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
    return this.#readable;
  }

  /** A sink for application data; closing it sends close_notify. */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= new WritableStream<Uint8Array>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.closeWrite(),
      abort: () => this.close(),
    });
    return this.#writable;
  }

  // --- the pump: socket → engine → socket ---

  #waitForProgress(): Promise<void> {
    return new Promise((resolve) => {
      const prev = this.#wake;
      this.#wake = () => {
        prev?.();
        resolve();
      };
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Reads from the transport while there is room, feeding the engine. */
  #pump(): void {
    if (this.#pumping || this.#eof || this.#error) return;
    this.#pumping = true;
    (async () => {
      const buf = new Uint8Array(1 << 16);
      while (!this.#eof && !this.#error && this.#receivedBytes < HIGH_WATER) {
        let n: number | null;
        try {
          n = await this.#transport.read(buf);
        } catch (e) {
          this.#closed ? (this.#eof = true) : await this.#failWith(transportError(e));
          break;
        }
        if (n === null) {
          const err = this.#engine.endOfInput();
          if (err) this.#error = err;
          this.#eof = true;
          break;
        }
        try {
          await this.#engine.receive(buf.subarray(0, n));
        } catch (e) {
          await this.#failWith(e as Error);
          break;
        }
        for (const ev of this.#engine.takeEvents()) {
          if (ev.type === "data") {
            this.#received.push(ev.data);
            this.#receivedBytes += ev.data.length;
          } else if (ev.type === "close_notify") {
            this.#eof = true;
          }
        }
        await this.#flush().catch((e) => this.#failWith(transportError(e)));
        this.#notify();
      }
      this.#pumping = false;
      this.#notify();
    })();
  }

  /** Writes what the engine has queued, in order. */
  #flush(): Promise<void> {
    const out = this.#engine.takeOutput();
    if (out.length === 0 || this.#closed) return this.#writes.run(() => Promise.resolve());
    return this.#writes.run(async () => {
      for (let at = 0; at < out.length;) at += await this.#transport.write(out.subarray(at));
    });
  }

  /**
   * Records the error, sends what the engine queued (its alert) and closes
   * the transport, without waiting long behind a write the peer is not
   * reading.
   */
  async #failWith(e: Error): Promise<void> {
    if (!this.#error) this.#error = this.#engine.error ?? e;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#flush().catch(() => {}),
      new Promise((resolve) => timer = setTimeout(resolve, ALERT_GRACE_MS)),
    ]);
    clearTimeout(timer);
    this.#shutdown();
    this.#notify();
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#transport.close();
    } catch {
      // already closed
    }
    this.#notify();
  }
}

/** A transport failure as a readable error. */
function transportError(e: unknown): Error {
  const err = e as Error;
  if (err?.name === "ConnectionReset") return new Error("the connection was reset by the peer");
  if (err?.name === "BrokenPipe") return new Error("the peer closed the connection (broken pipe)");
  return err instanceof Error ? err : new Error(String(e));
}
