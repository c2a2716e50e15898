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
import { StalledPeerError, TlsError } from "./errors.ts";
import { Serial } from "./serial.ts";

/**
 * The byte stream under a TLS connection: `Deno.Conn` is one, and so are
 * the Node adapter's `SocketTransport` and `WebSocketTransport`.
 *
 * @example An in-memory transport that records what is written
 * ```ts
 * import type { Transport } from "./mod.ts";
 * const written: Uint8Array[] = [];
 * const transport: Transport = {
 *   read: () => Promise.resolve(null), // nothing arrives
 *   write: (p) => (written.push(p.slice()), Promise.resolve(p.length)),
 *   close: () => {},
 * };
 * ```
 */
export interface Transport {
  /** Reads received bytes into `p`; resolves with how many, or null at the end of input. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some or all of `p`; resolves with how many bytes were taken. */
  write(p: Uint8Array): Promise<number>;
  /** Closes both directions; a `read` waiting then ends or fails. */
  close(): void;
  /** Ends the sending half only (TCP FIN), if the transport can. */
  closeWrite?(): Promise<void>;
}

/** Limits the adapter enforces. */
export interface TlsConnOptions {
  /** Fail the handshake if it has not completed after this many milliseconds (default: none). */
  handshakeTimeoutMs?: number;
  /**
   * Close the connection when nothing has been received for this many
   * milliseconds while waiting for the peer (default: none). A close_notify
   * is sent first; the error is a `StalledPeerError`.
   */
  idleTimeoutMs?: number;
  /**
   * Close the connection when the peer has taken none of our data for this
   * many milliseconds (it stopped reading; default: none). The error is a
   * `StalledPeerError`.
   */
  writeTimeoutMs?: number;
  /**
   * The transport keeps no reference to the bytes of a write once the write
   * has resolved (true of a `Deno.Conn`: `connect()` and `listen()` set
   * this): the engine may then seal later records into the same memory
   * instead of new memory. Default false.
   */
  transportReleasesWrites?: boolean;
}

/** Received application data held before `read()` takes it; reading the socket pauses above this. */
const HIGH_WATER = 1 << 16;
/**
 * Sizes of the buffer the transport is read into: an idle connection waits
 * with the smallest, a busy one grows to the largest (reads that fill the
 * buffer grow it, small ones shrink it back).
 */
const READ_MIN = 1 << 9;
const READ_MAX = 1 << 18;
/** Sealed bytes that may wait for the transport while write() returns (see write()). */
const WRITE_BEHIND = 1 << 18;
/**
 * How long a failing connection waits for its alert to be written before it
 * closes anyway: a peer that stopped reading must not keep it open.
 */
const ALERT_GRACE_MS = 1000;
/**
 * After our fatal alert, how long what the peer still sends is read and
 * dropped before the transport closes (OpenSSL waits as long): closing with
 * unread data would reset the connection, and the peer might lose the
 * alert before reading it.
 */
const DRAIN_MS = 500;

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
  /** The pump's transport read in progress, if any. */
  #reading?: Promise<number | null>;
  /** Ending after an error or a timeout: what is still to send, then the close (#failWith). */
  #failing?: Promise<void>;
  #earlyDataLength = 0;
  /** Bytes given to the transport's write queue and not yet written. */
  #unwritten = 0;
  /** Bytes the transport has taken, all told (whether a peer still reads: see #failWith). */
  #written = 0;
  #readBuffer: Uint8Array = new Uint8Array(READ_MIN);
  /**
   * Read buffers whose records were opened in place: how many of the
   * received chunks still view each. `read()` hands a buffer back as the
   * spare once it has copied out the last of them; a chunk given away
   * whole (`chunks()`, `readable`) takes its buffer out of reuse.
   */
  readonly #lent = new Map<ArrayBufferLike, number>();
  /** Whether the last read was short: a second one in a row makes the buffer smaller. */
  #lastReadShort = false;
  /** A read buffer no chunk views any more, for the pump's next read. */
  #spare?: Uint8Array;
  #closed = false;
  #readable?: ReadableStream<Uint8Array>;
  #writable?: WritableStream<Uint8Array>;

  /**
   * Drives `engine` over `transport`. The handshake starts on the first
   * `handshake()`, `read()` or `write()`.
   *
   * @example TLS over a WebSocket, as a page would
   * ```ts
   * import { Connection, PinnedKeyVerifier, TlsConn, WebSocketTransport } from "./mod.ts";
   * const verifier = new PinnedKeyVerifier(["sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]);
   * const transport = await WebSocketTransport.open("wss://localhost:8443/bridge");
   * const conn = new TlsConn(Connection.client({ serverName: "localhost", verifier }), transport);
   * console.log((await conn.handshake()).cipherSuite);
   * ```
   */
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
          "handshake_timeout",
          `the handshake did not complete within ${timeout / 1000} s`,
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

  /**
   * Server: how many of the first bytes read arrived as 0-RTT data (RFC 8446
   * §2.3), which an attacker may have replayed: act on them only if that is
   * harmless (RFC 8470). Final once the handshake is complete.
   */
  get earlyDataLength(): number {
    return this.#earlyDataLength;
  }

  /** Reads application data into `p`; null at a clean end (the peer's close_notify). */
  async read(p: Uint8Array): Promise<number | null> {
    if (!(await this.#dataReady())) return null;
    const head = this.#received[0];
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) {
      this.#received.shift();
      this.#returnChunk(head);
    } else this.#received[0] = head.subarray(n);
    this.#receivedBytes -= n;
    this.#pump();
    return n;
  }

  /**
   * Encrypts all of `p` and sends it; returns its length. It returns once
   * `p` is sealed and its records are queued for the transport, while less
   * than WRITE_BEHIND bytes wait there (so the next write is sealed while
   * this one is written); a transport failure then fails the next call.
   */
  async write(p: Uint8Array): Promise<number> {
    await this.handshake();
    if (this.#error) throw this.#error;
    await this.#engine.write(p);
    const flushed = this.#flush().catch(async (e) => {
      await this.#failWith(transportError(e));
      throw this.#error;
    });
    if (this.#unwritten > WRITE_BEHIND) await flushed;
    else flushed.catch(() => {}); // the next call fails instead
    return p.length;
  }

  /** Sends close_notify (RFC 8446 §6.1) but keeps reading: a half-close. */
  async closeWrite(): Promise<void> {
    if (this.#error || this.#closed) return;
    await this.#engine.close();
    await this.#flush();
  }

  /**
   * Sends close_notify (if the connection is still healthy) and closes the
   * transport; after a failure, once its alert is sent and drained.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#failing) return await this.#failing;
    if (!this.#error && this.#engine.canSendCloseNotify) {
      await this.#engine.close().catch(() => {});
      await this.#flush().catch(() => {});
    }
    this.#shutdown();
  }

  /** Waits until application data is held (true) or the peer has closed cleanly (false). */
  async #dataReady(): Promise<boolean> {
    await this.handshake();
    while (this.#received.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#eof) return false;
      await this.#waitForProgress();
    }
    return true;
  }

  /**
   * Application data as a stream of the chunks as they were decrypted: no
   * buffer is held while waiting, and nothing is copied.
   */
  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const chunk = await this.#nextChunk();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
    return this.#readable;
  }

  /**
   * The same chunks as `readable`, without a stream around them: a loop that
   * only consumes (an echo, a sink) skips the stream's promises and, when the
   * connection fails, its reader errors. Ends at the peer's close_notify;
   * throws what ended the connection otherwise.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    for (let chunk; (chunk = await this.#nextChunk());) yield chunk;
  }

  /** The next decrypted chunk, or null at a clean end. */
  async #nextChunk(): Promise<Uint8Array | null> {
    if (!(await this.#dataReady())) return null;
    const chunk = this.#received.shift()!;
    this.#receivedBytes -= chunk.length;
    this.#lent.delete(chunk.buffer); // the caller may keep it: its buffer is never read into again
    this.#pump();
    return chunk;
  }

  /** `read()` has copied out all of `chunk`: its read buffer is free once no other chunk views it. */
  #returnChunk(chunk: Uint8Array): void {
    const views = this.#lent.get(chunk.buffer);
    if (views === undefined) return;
    if (views > 1) return void this.#lent.set(chunk.buffer, views - 1);
    this.#lent.delete(chunk.buffer);
    this.#spare = new Uint8Array(chunk.buffer);
  }

  /**
   * The buffer for the pump's next read, after a read of `n` bytes into
   * `buf`: larger after a read that filled it, smaller after a short one,
   * and another one (the spare, or a new one) while chunks view `buf`.
   */
  #nextReadBuffer(buf: Uint8Array, n: number): Uint8Array {
    const short = n <= buf.length / 8;
    const size = short && !this.#lastReadShort ? buf.length : nextReadSize(buf.length, n);
    this.#lastReadShort = short;
    if (size === buf.length && !this.#lent.has(buf.buffer)) return buf;
    const spare = this.#spare;
    this.#spare = undefined;
    return spare?.length === size ? spare : new Uint8Array(size);
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
      let buf = this.#readBuffer;
      while (!this.#eof && !this.#error && this.#receivedBytes < HIGH_WATER) {
        let n: number | null;
        const idle = this.#idleTimer();
        try {
          this.#reading = this.#transport.read(buf);
          n = await this.#reading;
        } catch (e) {
          this.#closed ? (this.#eof = true) : await this.#failWith(transportError(e));
          break;
        } finally {
          clearTimeout(idle);
          this.#reading = undefined;
        }
        if (n === null) {
          const err = this.#engine.endOfInput();
          if (err) this.#error = err;
          this.#eof = true;
          break;
        }
        try {
          // The engine reads records in place, and may open them there: the data it hands out
          // can be views of buf, which is read into again only once no chunk views it.
          await this.#engine.receive(buf.subarray(0, n), { inPlace: true });
        } catch (e) {
          await this.#failWith(e as Error);
          break;
        }
        let views = 0;
        for (const ev of this.#engine.takeEvents()) {
          if (ev.type === "data") {
            this.#received.push(ev.data);
            this.#receivedBytes += ev.data.length;
            if (ev.early) this.#earlyDataLength += ev.data.length;
            if (ev.data.buffer === buf.buffer) views++;
          } else if (ev.type === "close_notify") {
            this.#eof = true;
          }
        }
        if (views > 0) this.#lent.set(buf.buffer, views);
        buf = this.#nextReadBuffer(buf, n);
        // Only the engine's own replies (a KeyUpdate, an alert) are waited for: waiting behind
        // application data the peer has not read yet would stop this reading, and the peer may be
        // waiting for us to read before it reads (a deadlock when both sides write a lot).
        const out = this.#engine.takeOutput();
        if (out.length > 0) await this.#send(out).catch((e) => this.#failWith(transportError(e)));
        this.#notify();
      }
      this.#readBuffer = buf; // a pump paused at HIGH_WATER resumes at the same pace
      this.#pumping = false;
      this.#notify();
    })();
  }

  /** Writes what the engine has queued, in order. */
  #flush(): Promise<void> {
    return this.#send(this.#engine.takeOutput());
  }

  /** Queues `out` for the transport; resolves once it (and all before it) is written. */
  #send(out: Uint8Array): Promise<void> {
    if (out.length === 0 || this.#closed) return this.#writes.run(() => Promise.resolve());
    this.#unwritten += out.length;
    return this.#writes.run(async () => {
      try {
        for (let at = 0; at < out.length;) {
          const n = await this.#timedWrite(out.subarray(at));
          at += n;
          this.#written += n;
        }
        if (this.#options.transportReleasesWrites) this.#engine.releaseOutput(out);
      } finally {
        this.#unwritten -= out.length;
      }
    });
  }

  /** One transport write, failed with a StalledPeerError if the peer takes nothing in time. */
  async #timedWrite(bytes: Uint8Array): Promise<number> {
    const ms = this.#options.writeTimeoutMs;
    if (!ms) return await this.#transport.write(bytes);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const writing = this.#transport.write(bytes);
    writing.catch(() => {}); // after a timeout, closing the transport fails it
    try {
      return await Promise.race([
        writing,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const why = `the peer has taken none of our data for ${ms / 1000} s (write timeout)`;
            reject(new StalledPeerError("write", why));
          }, ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * While the pump waits for the peer: after the idle timeout with nothing
   * received, the connection is closed (with close_notify, if the handshake
   * is done: this is no protocol error).
   */
  #idleTimer(): ReturnType<typeof setTimeout> | undefined {
    const ms = this.#options.idleTimeoutMs;
    if (!ms) return undefined;
    return setTimeout(() => {
      if (this.#error || this.#closed) return;
      this.#error = new StalledPeerError(
        "idle",
        `nothing received for ${ms / 1000} s (idle timeout)`,
      );
      this.#failing = (async () => {
        if (this.#engine.handshakeInfo) {
          await this.#engine.close().catch(() => {});
          await this.#withGrace(this.#flush());
        }
        this.#shutdown();
      })();
    }, ms);
  }

  /**
   * Records the error, sends what the engine queued (its alert) and closes
   * the transport, without waiting long behind a write the peer is not
   * reading. After a fatal alert of ours, the sending half is shut first and
   * what the peer still sends is drained for a moment (DRAIN_MS), so that
   * the peer reads the alert rather than a reset. Runs once.
   */
  #failWith(e: Error): Promise<void> {
    this.#failing ??= (async () => {
      if (!this.#error) this.#error = this.#engine.error ?? e;
      // Whether the peer takes what we write (our alert may reach it): not if it stopped reading.
      let reading = !(this.#error instanceof StalledPeerError && this.#error.timeout === "write");
      if (reading) {
        const flushed = this.#flush();
        // Only bytes still waiting for the transport need the grace timer (a timer costs more
        // CPU than the rest of a failed connection's end).
        if (this.#unwritten > 0) {
          const before = this.#written;
          // A slow reader still took some of it: it gets the drain's time as well to reach the alert.
          reading = await this.#withGrace(flushed) || this.#written > before;
        } else await flushed.catch(() => {});
      }
      // Draining lets the peer read the alert rather than a reset: pointless if it takes nothing.
      if (
        reading && this.#engine.error instanceof TlsError && this.#transport.closeWrite &&
        !this.#closed
      ) {
        const drained = this.#transport.closeWrite().then(() => this.#drain());
        await this.#withGrace(drained);
      }
      this.#shutdown();
      this.#notify();
    })();
    return this.#failing;
  }

  /**
   * Waits for `work`, but no longer than ALERT_GRACE_MS, and never fails;
   * returns whether it ended in time.
   */
  async #withGrace(work: Promise<void>): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ended = await Promise.race([
      work.then(() => true, () => true),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ALERT_GRACE_MS)),
    ]);
    clearTimeout(timer);
    return ended;
  }

  /** Reads and drops what the peer still sends, until it closes or DRAIN_MS have passed. */
  async #drain(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<null>((resolve) =>
      timer = setTimeout(() => resolve(null), DRAIN_MS)
    );
    const buf = new Uint8Array(READ_MAX / 16);
    try {
      // The pump's read, if one is under way, comes first (its bytes go nowhere now).
      let read: Promise<number | null> = this.#reading ?? this.#transport.read(buf);
      while (true) {
        read.catch(() => {}); // left pending at the deadline, it fails when the transport closes
        if ((await Promise.race([read, expired])) === null) return;
        read = this.#transport.read(buf);
      }
    } catch {
      // The transport failed: there is nothing more to drain.
    } finally {
      clearTimeout(timer);
    }
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

/** The size of the next read: larger after a read that filled the buffer, smaller after a short one. */
function nextReadSize(length: number, n: number): number {
  if (n === length && length < READ_MAX) return length * 4;
  if (n <= length / 8 && length > READ_MIN) {
    let size = READ_MIN;
    while (size < 2 * n) size *= 2;
    return size;
  }
  return length;
}

/** A transport failure as a readable error. */
function transportError(e: unknown): Error {
  const err = e as Error;
  if (err?.name === "ConnectionReset") return new Error("the connection was reset by the peer");
  if (err?.name === "BrokenPipe") return new Error("the peer closed the connection (broken pipe)");
  return err instanceof Error ? err : new Error(String(e));
}
