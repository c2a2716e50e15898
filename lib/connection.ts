/**
 * The sans-IO TLS 1.3 engine: fed the bytes received from the peer, it
 * produces bytes to send and events (handshake done, data, close_notify).
 * It never touches a socket, a clock or randomness of its own: see
 * `config.ts` for what is injected.
 *
 * `Connection` is what users hold; its parts live in `connection/`: the
 * inbound record path (`inbound.ts`, RFC 8446 §5), the private driver the
 * handshakes of `handshake/` talk to (`driver.ts`), the post-handshake
 * messages (`post_handshake.ts`, §4.6) and what they share (`core.ts`:
 * the outbox of what is sent, events, keys, alerts out, trace and key log).
 * Failures end the connection here, with the alert of §6.2.
 *
 * @module
 */

import {
  AlertDescription,
  ApiMisuseError,
  PeerAlert,
  TlsError,
  type TlsErrorCode,
  TruncationError,
} from "./errors.ts";
import { ContentType } from "./codepoints.ts";
import type { ClientConfig, HandshakeInfo, ServerConfig } from "./config.ts";
import { ConnectionCore } from "./connection/core.ts";
import { HandshakeDriver } from "./connection/driver.ts";
import { Inbound } from "./connection/inbound.ts";
import { PostHandshake } from "./connection/post_handshake.ts";
import { Serial } from "./serial.ts";
import type { Side } from "./trace.ts";

export type { ConnectionEvent } from "./connection/core.ts";
import type { ConnectionEvent } from "./connection/core.ts";

/** How `Connection.receive()` may use the bytes it is given. */
export interface ReceiveOptions {
  /**
   * The caller gives the engine `bytes` to overwrite: with a provider whose
   * keys open in place (openssl), records are decrypted where they lie and
   * the `data` events are views of `bytes`, so the caller must leave those
   * bytes alone until it is done with that data. Without it (the default),
   * `bytes` is only read and every `data` event has memory of its own.
   */
  inPlace?: boolean;
}

/**
 * One TLS 1.3 connection, client or server. Drive it with `start()`,
 * `receive()`, `write()` and `close()`, then send what `takeOutput()` returns
 * and act on `takeEvents()`. A failure rejects with `TlsError` (our alert
 * is then in the output) or `PeerAlert` (the peer's alert).
 *
 * @example A client over a transport of your own
 * ```ts
 * import { Connection, parseTrustAnchors, PathVerifier } from "./mod.ts";
 * declare function send(bytes: Uint8Array): void; // your transport
 * declare const bytesFromServer: Uint8Array;
 * declare const caPem: string;
 * const verifier = new PathVerifier(parseTrustAnchors(caPem));
 * const client = Connection.client({ serverName: "localhost", verifier });
 * await client.start();
 * send(client.takeOutput()); // the ClientHello
 * await client.receive(bytesFromServer);
 * send(client.takeOutput()); // the client's Finished, once the server's flight is in
 * for (const event of client.takeEvents()) {
 *   if (event.type === "handshake") console.log(event.info.cipherSuite);
 *   if (event.type === "data") console.log(event.data);
 * }
 * ```
 */
export class Connection {
  /** Which side this is. */
  readonly role: Side;
  readonly #core: ConnectionCore;
  readonly #inbound: Inbound;
  readonly #driver: HandshakeDriver;
  readonly #post: PostHandshake;
  readonly #receiving = new Serial();
  #error?: Error;

  private constructor(role: Side, config: ClientConfig | ServerConfig) {
    this.role = role;
    const core = this.#core = new ConnectionCore(role, config);
    this.#inbound = new Inbound(core, {
      message: (msg) => core.info ? this.#post.receive(msg) : this.#driver.deliver(msg),
      applicationData: () => this.#post.applicationData(),
    });
    this.#driver = new HandshakeDriver(core, this.#inbound);
    this.#post = new PostHandshake(core, this.#inbound);
  }

  /** A client connection; call `start()` to produce the ClientHello. */
  static client(config: ClientConfig): Connection {
    return new Connection("client", config);
  }

  /** A server connection; feed it the client's bytes with `receive()`. */
  static server(config: ServerConfig): Connection {
    return new Connection("server", config);
  }

  /** What the handshake negotiated, once it is complete. */
  get handshakeInfo(): HandshakeInfo | undefined {
    return this.#core.info;
  }

  /**
   * The peer's certificate chain (DER, leaf first) as received, available
   * even when verification refused it.
   */
  get peerCertificates(): readonly Uint8Array[] {
    return this.#driver.peerCertificates;
  }

  /** The error that ended the connection, if one did. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Whether the peer has sent close_notify. */
  get peerClosed(): boolean {
    return this.#core.peerClosed;
  }

  /** Bytes received and held (partial records and handshake messages): for limits. */
  get buffered(): number {
    return this.#inbound.buffered;
  }

  /** Starts the handshake: a client queues its ClientHello. Idempotent. */
  start(): Promise<void> {
    return this.#receiving.run(() => this.#guard(() => this.#driver.begin()));
  }

  /**
   * Processes bytes received from the peer. `bytes` must stay unchanged
   * until this settles; see `ReceiveOptions` for letting the engine open
   * records in them.
   */
  receive(bytes: Uint8Array, options: ReceiveOptions = {}): Promise<void> {
    return this.#receiving.run(() =>
      this.#guard(async () => {
        await this.#driver.begin();
        if (this.#core.peerClosed) return; // RFC 8446 §6.1: data after close_notify is ignored.
        await this.#inbound.receive(bytes, options.inPlace);
      })
    );
  }

  /** Encrypts application data (after the handshake) into records for the output. */
  async write(data: Uint8Array): Promise<void> {
    if (this.#error) throw this.#error;
    if (!this.#core.info) {
      throw new ApiMisuseError(
        "write_before_handshake",
        "cannot write application data before the handshake is complete",
      );
    }
    if (this.#core.closeSent) {
      throw new ApiMisuseError("write_after_close", "cannot write after close()");
    }
    const outbox = this.#core.outbox;
    try {
      await outbox.run(() => outbox.seal(ContentType.application_data, data));
    } catch (e) {
      throw await this.#fail(e);
    }
  }

  /**
   * RFC 8446 §4.6.3: sends a KeyUpdate and moves our sending keys forward;
   * with `requestPeer`, asks the peer to do the same.
   */
  async keyUpdate(requestPeer = false): Promise<void> {
    if (this.#error) throw this.#error;
    if (!this.#core.info) {
      throw new ApiMisuseError(
        "key_update_before_handshake",
        "cannot update keys before the handshake is complete",
      );
    }
    try {
      await this.#core.outbox.run(() => this.#post.sendKeyUpdate(requestPeer));
    } catch (e) {
      throw await this.#fail(e);
    }
  }

  /**
   * Whether `close()` can send close_notify now: once the handshake is
   * complete, and on a server as soon as its Finished is out (its
   * application keys then protect what it sends; RFC 8446 §6.1 lets either
   * side close at any time), so a server stopping while a client's Finished
   * is on its way still closes cleanly.
   */
  get canSendCloseNotify(): boolean {
    return this.#core.info !== undefined ||
      (this.role === "server" && this.#core.outbox.direction.epoch === "application");
  }

  /** RFC 8446 §6.1: sends close_notify; nothing more can be written. */
  async close(): Promise<void> {
    const core = this.#core;
    if (core.closeSent || this.#error) return;
    core.closeSent = true;
    await core.outbox.run(() => core.sendAlert(AlertDescription.close_notify));
  }

  /**
   * The transport reached end of input. Without a close_notify first, this
   * is a truncation (RFC 8446 §6.1), returned as an error.
   */
  endOfInput(): Error | undefined {
    if (this.#core.peerClosed || this.#error) return undefined;
    this.#error = new TruncationError(
      this.#inbound.canceled
        ? "the peer canceled the connection (user_canceled) and closed it"
        : this.#core.info
        ? "the peer closed the connection without close_notify (the data may be truncated)"
        : "the peer closed the connection during the handshake",
    );
    return this.#error;
  }

  /**
   * Ends the connection with the failure `code` names, sending its alert
   * (for a limit or timeout the driver enforces).
   */
  async abort(code: TlsErrorCode, message: string): Promise<Error> {
    return await this.#fail(new TlsError(code, message));
  }

  /** Bytes to send to the peer, in order; empty when there are none. */
  takeOutput(): Uint8Array {
    return this.#core.outbox.take();
  }

  /**
   * Gives back `bytes`, which `takeOutput()` returned, once they have been
   * sent and nothing reads them any more: the engine may seal later output
   * into that memory instead of new memory. Optional (output never given
   * back is left to the garbage collector); never give back bytes still in use.
   */
  releaseOutput(bytes: Uint8Array): void {
    this.#core.outbox.release(bytes);
  }

  /** Events since the last call. */
  takeEvents(): ConnectionEvent[] {
    const e = this.#core.events;
    this.#core.events = [];
    return e;
  }

  // --- failure (RFC 8446 §6.2) ---

  async #guard(work: () => Promise<void>): Promise<void> {
    if (this.#error) throw this.#error;
    try {
      await work();
    } catch (e) {
      throw await this.#fail(e);
    }
  }

  /**
   * Ends the connection: the error becomes a `TlsError` (anything unexpected
   * is internal_error) whose alert is queued for the peer, unless the peer
   * ended it with its own alert. Returns the error to surface.
   */
  async #fail(e: unknown): Promise<Error> {
    if (this.#error) return this.#error;
    const core = this.#core;
    const err = e instanceof TlsError || e instanceof PeerAlert ? e : new TlsError(
      "internal_error",
      `internal error: ${(e as Error)?.message ?? e}`,
      { cause: e },
    );
    this.#error = err;
    core.outbox.discardQueued();
    if (err instanceof TlsError && !core.closeSent) {
      core.closeSent = true;
      try {
        await core.outbox.run(() => core.sendAlert(err.alert));
      } catch {
        // The alert could not be sealed; the connection ends without it.
      }
    }
    return err;
  }
}
