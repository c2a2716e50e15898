/**
 * The sans-IO TLS 1.3 engine: fed the bytes received from the peer, it
 * produces bytes to send and events (handshake done, data, close_notify).
 * It never touches a socket, a clock or randomness of its own: see
 * `config.ts` for what is injected. The handshake itself lives in
 * `handshake/client.ts` and `handshake/server.ts`; this file holds the
 * record layer around it (RFC 8446 §5), alerts (§6) and the
 * post-handshake messages (§4.6).
 *
 * @module
 */

import { AlertDescription, AlertLevel, PeerAlert, TlsError, TruncationError } from "./errors.ts";
import { ContentType, ExtensionType, HandshakeType } from "./codepoints.ts";
import {
  type ClientConfig,
  cryptoOf,
  DEFAULT_LIMITS,
  type HandshakeInfo,
  type ServerConfig,
} from "./config.ts";
import { RecordCipher, trafficKeys } from "./crypto/aead.ts";
import type { KeySchedule } from "./crypto/key_schedule.ts";
import { then } from "./crypto/maybe.ts";
import type { CryptoProvider, MaybePromise } from "./crypto/provider.ts";
import { ClientHandshake } from "./handshake/client.ts";
import type { EarlyDataSkip } from "./handshake/io.ts";
import {
  decodeKeyUpdate,
  decodeNewSessionTicket,
  encodeKeyUpdate,
  frameHandshake,
  type HandshakeMessage,
  messageName,
  type NewSessionTicket,
} from "./handshake/messages.ts";
import { findExtension } from "./handshake/extensions.ts";
import { decodeMaxEarlyData } from "./handshake/psk_extensions.ts";
import { ServerHandshake } from "./handshake/server.ts";
import { Deframer, MAX_PLAINTEXT, type RawRecord } from "./record/deframer.ts";
import { HandshakeJoiner } from "./record/handshake_joiner.ts";
import {
  Direction,
  type Epoch,
  type OpenedRecord,
  openRecord,
  tryOpenRecord,
} from "./record/record_layer.ts";
import { Serial } from "./serial.ts";
import { keyLogLine } from "./key_log.ts";
import { type Keys, Outbox } from "./record/outbox.ts";
import type { Side, TraceEvent } from "./trace.ts";
import { concat } from "./wire/writer.ts";

/** What a connection reports to its driver. */
export type ConnectionEvent =
  /** The handshake completed. */
  | { type: "handshake"; info: HandshakeInfo }
  /** Application data arrived; `early` when it was 0-RTT data (RFC 8446 §2.3: replayable). */
  | { type: "data"; data: Uint8Array; early?: boolean }
  /** The peer sent close_notify: it will send no more data (RFC 8446 §6.1). */
  | { type: "close_notify" };

/**
 * RFC 8446 §4.2.10: most bytes of declined early data a server skips (a
 * server that never accepts early data may choose its own limit): 2^14
 * bytes, plus the expansion of one record (§5.2), counted as received.
 */
export const MAX_SKIPPED_EARLY_DATA = MAX_PLAINTEXT + 256;

/** How many received records are opened at once after the handshake (see #handleRun). */
const OPEN_AHEAD = 16;

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
  /** {@inheritDoc HandshakeIO.crypto} */
  readonly crypto: CryptoProvider;
  readonly #config: ClientConfig | ServerConfig;
  /** The handshake state machine, dropped (with its transcript and secrets) once it is done. */
  #handshake?: ClientHandshake | ServerHandshake;
  /** What is kept of it: the peer's chain, and the client random (for the key log). */
  #peerChain: readonly Uint8Array[] = [];
  #clientRandom?: Uint8Array;
  /** A client's resumption secret and session details, to store the tickets it receives. */
  #resumption?: ClientHandshake["resumption"];
  readonly #deframer = new Deframer();
  readonly #joiner: HandshakeJoiner;
  readonly #read = new Direction();
  readonly #receiving = new Serial();
  readonly #outbox: Outbox;
  readonly #limits: {
    handshakeBytes: number;
    ignoredRecords: number;
    keyUpdatesInARow: number;
  };
  #schedule?: KeySchedule;
  #generation = { read: 0, write: 0 };

  #events: ConnectionEvent[] = [];
  /** Read keys being derived: installed before the next record is opened. */
  #readKeys?: Promise<void>;
  #ccsSent = false;

  #run?: Promise<HandshakeInfo>;
  #waiter?: (m: HandshakeMessage) => void;
  #blocked?: () => void;
  #info?: HandshakeInfo;
  #error?: Error;
  #peerClosed = false;
  #closeSent = false;
  /** Whether a handshake message has arrived (a server accepts no CCS before the ClientHello). */
  #helloReceived = false;
  /** Bytes of the records received before the handshake completed. */
  #handshakeBytes = 0;
  /** Whether the peer sent user_canceled: its closing the connection then is no mystery. */
  #canceled = false;
  /** Records in a row that carried nothing. */
  #ignoredRecords = 0;
  /** KeyUpdates received since the last application data. */
  #keyUpdatesInARow = 0;
  /** Declined early data being skipped (RFC 8446 §4.2.10), and its bytes so far. */
  #earlyData: { skip: EarlyDataSkip; bytes: number } = { skip: "none", bytes: 0 };
  /** A server's accepted 0-RTT data: what it may still receive, in bytes. */
  #earlyDataLeft?: number;

  private constructor(role: Side, config: ClientConfig | ServerConfig) {
    this.role = role;
    this.crypto = cryptoOf(config);
    this.#config = config;
    const maxMessage = config.maxHandshakeMessage ?? DEFAULT_LIMITS.maxHandshakeMessage;
    this.#joiner = new HandshakeJoiner(maxMessage);
    this.#limits = {
      handshakeBytes: config.maxHandshakeBytes ?? 2 * maxMessage,
      ignoredRecords: config.maxIgnoredRecords ?? DEFAULT_LIMITS.maxIgnoredRecords,
      keyUpdatesInARow: config.maxKeyUpdatesInARow ?? DEFAULT_LIMITS.maxKeyUpdatesInARow,
    };
    this.#outbox = new Outbox(
      role,
      config.maxFragmentSize ?? MAX_PLAINTEXT,
      config.trace,
    );
    this.#handshake = role === "client"
      ? new ClientHandshake(this, config as ClientConfig)
      : new ServerHandshake(this, config as ServerConfig);
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
    return this.#info;
  }

  /**
   * The peer's certificate chain (DER, leaf first) as received, available
   * even when verification refused it.
   */
  get peerCertificates(): readonly Uint8Array[] {
    return this.#handshake?.peerCertificates ?? this.#peerChain;
  }

  /** The error that ended the connection, if one did. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Whether the peer has sent close_notify. */
  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  /** Bytes received and held (partial records and handshake messages): for limits. */
  get buffered(): number {
    return this.#deframer.buffered + this.#joiner.buffered;
  }

  /** Starts the handshake: a client queues its ClientHello. Idempotent. */
  start(): Promise<void> {
    return this.#receiving.run(() => this.#guard(() => this.#begin()));
  }

  /** Processes bytes received from the peer. */
  receive(bytes: Uint8Array): Promise<void> {
    return this.#receiving.run(() =>
      this.#guard(async () => {
        await this.#begin();
        if (this.#peerClosed) return; // RFC 8446 §6.1: data after close_notify is ignored.
        this.#deframer.push(bytes);
        let rec = this.#deframer.next();
        while (rec && !this.#peerClosed) {
          if (this.#info && this.#read.cipher && rec.type === ContentType.application_data) {
            rec = await this.#handleRun(rec);
          } else {
            await this.#handleRecord(rec);
            rec = this.#deframer.next();
          }
        }
      })
    );
  }

  /**
   * Handles a run of encrypted records after the handshake. With an
   * asynchronous AEAD, up to OPEN_AHEAD are opened at once (WebCrypto works
   * on them in parallel), then handled in order; a synchronous one opens
   * each in its turn. A record that changes the keys (a KeyUpdate) makes the
   * ones opened after it worthless: they are opened again, under the new
   * keys. Returns the record after the run, if one was read.
   */
  async #handleRun(first: RawRecord): Promise<RawRecord | undefined> {
    const run = [first];
    let next = this.#deframer.next();
    while (next && run.length < OPEN_AHEAD && next.type === ContentType.application_data) {
      run.push(next);
      next = this.#deframer.next();
    }
    for (let i = 0; i < run.length && !this.#peerClosed;) {
      await this.#readKeysReady();
      const cipher = this.#read.cipher;
      const opening = [this.#openAhead(run[i])];
      if (opening[0] instanceof Promise) {
        for (let j = i + 1; j < run.length; j++) opening.push(this.#openAhead(run[j]));
      }
      for (const open of opening) {
        await this.#handleRecord(run[i++], open);
        if (this.#peerClosed || this.#readKeys || this.#read.cipher !== cipher) break;
      }
    }
    return next;
  }

  /**
   * Opens a record before its turn: a failure surfaces when its turn comes
   * (after a key change, none does).
   */
  #openAhead(rec: RawRecord): MaybePromise<OpenedRecord> {
    let open: MaybePromise<OpenedRecord>;
    try {
      open = openRecord(this.#read, rec);
    } catch (e) {
      open = Promise.reject(e);
    }
    if (open instanceof Promise) open.catch(() => {});
    return open;
  }

  /** Encrypts application data (after the handshake) into records for the output. */
  async write(data: Uint8Array): Promise<void> {
    if (this.#error) throw this.#error;
    if (!this.#info) {
      throw new Error("cannot write application data before the handshake is complete");
    }
    if (this.#closeSent) throw new Error("cannot write after close()");
    try {
      await this.#outbox.run(() => this.#outbox.seal(ContentType.application_data, data));
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
    if (!this.#info) throw new Error("cannot update keys before the handshake is complete");
    try {
      await this.#outbox.run(() => this.#sendKeyUpdate(requestPeer));
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
    return this.#info !== undefined ||
      (this.role === "server" && this.#outbox.direction.epoch === "application");
  }

  /** RFC 8446 §6.1: sends close_notify; nothing more can be written. */
  async close(): Promise<void> {
    if (this.#closeSent || this.#error) return;
    this.#closeSent = true;
    await this.#outbox.run(() => this.#sendAlert(AlertDescription.close_notify));
  }

  /**
   * The transport reached end of input. Without a close_notify first, this
   * is a truncation (RFC 8446 §6.1), returned as an error.
   */
  endOfInput(): Error | undefined {
    if (this.#peerClosed || this.#error) return undefined;
    this.#error = new TruncationError(
      this.#canceled
        ? "the peer canceled the connection (user_canceled) and closed it"
        : this.#info
        ? "the peer closed the connection without close_notify (the data may be truncated)"
        : "the peer closed the connection during the handshake",
    );
    return this.#error;
  }

  /** Ends the connection with `alert` (for a limit or timeout the driver enforces). */
  async abort(alert: number, message: string): Promise<Error> {
    return await this.#fail(new TlsError(alert, message));
  }

  /** Bytes to send to the peer, in order; empty when there are none. */
  takeOutput(): Uint8Array {
    return this.#outbox.take();
  }

  /** Events since the last call. */
  takeEvents(): ConnectionEvent[] {
    const e = this.#events;
    this.#events = [];
    return e;
  }

  // --- records in (RFC 8446 §5) ---

  /** Installs read keys still being derived (see setReadKeys). */
  async #readKeysReady(): Promise<void> {
    if (this.#readKeys) {
      const ready = this.#readKeys;
      this.#readKeys = undefined;
      await ready;
    }
  }

  /** Handles one record; `opening` is its opening already under way (see #handleRun). */
  async #handleRecord(rec: RawRecord, opening?: MaybePromise<OpenedRecord>): Promise<void> {
    await this.#readKeysReady();
    if (!this.#info) this.#countHandshakeBytes(rec);
    if (rec.type === ContentType.change_cipher_spec) {
      if (this.#config.trace) {
        const bytes = concat(rec.header, rec.fragment);
        const contentType = ContentType.change_cipher_spec;
        const content = bytes.subarray(5);
        this.trace({
          kind: "record",
          from: this.#peer,
          epoch: "plaintext",
          bytes,
          contentType,
          content,
        });
      }
      this.#checkNotInterleaved(rec.type);
      return this.#handleChangeCipherSpec(rec);
    }
    if (this.#read.cipher && rec.type !== ContentType.application_data) {
      // A peer that fails before it has keys sends its alert in the clear (e.g. a client refusing our ServerHello).
      if (!(rec.type === ContentType.alert && !this.#info)) {
        throw new TlsError(
          AlertDescription.unexpected_message,
          `received a plaintext ${ContentType.name(rec.type)} record after encryption started`,
        );
      }
    }
    const epoch = this.#read.epoch;
    const opened = await (opening ?? this.#openOrSkip(rec));
    if (!opened) return;
    if (this.#config.trace) {
      this.trace({
        kind: "record",
        from: this.#peer,
        epoch: opened.encrypted ? epoch : "plaintext",
        bytes: concat(rec.header, rec.fragment),
        contentType: opened.type,
        content: opened.content,
      });
    }
    if (opened.type !== ContentType.handshake) this.#checkNotInterleaved(opened.type);
    switch (opened.type) {
      case ContentType.handshake:
        return await this.#handleHandshake(opened.content);
      case ContentType.alert:
        return this.#handleAlert(opened.content);
      case ContentType.application_data:
        if (!this.#info && epoch === "early" && this.#earlyDataLeft !== undefined) {
          return this.#receiveEarlyData(opened.content);
        }
        if (!this.#info) {
          throw new TlsError(
            AlertDescription.unexpected_message,
            "received application data before the handshake was complete",
          );
        }
        if (opened.content.length === 0) return this.#ignored("an empty application data record");
        this.#ignoredRecords = 0;
        this.#keyUpdatesInARow = 0;
        this.#events.push({ type: "data", data: opened.content });
        return;
      default:
        throw new TlsError(
          AlertDescription.unexpected_message,
          `received an encrypted ${ContentType.name(opened.type)} record`,
        );
    }
  }

  /**
   * Opens a record, unless it is early data this server declined and skips
   * (RFC 8446 §4.2.10): then it returns undefined. Past MAX_SKIPPED_EARLY_DATA
   * the record meets the usual fate.
   */
  async #openOrSkip(rec: RawRecord): Promise<OpenedRecord | undefined> {
    const skip = this.#earlyData.skip;
    if (
      skip === "undecryptable" && rec.type === ContentType.application_data && this.#read.cipher
    ) {
      const opened = await tryOpenRecord(this.#read, rec);
      if (opened) {
        this.#earlyData.skip = "none"; // the client's second flight has begun
        return opened;
      }
      return this.#skipEarlyData(
        rec,
        AlertDescription.bad_record_mac,
        `a record failed to decrypt (bad_record_mac) under the ${this.#read.epoch} keys`,
      );
    }
    if (skip === "encrypted" && rec.type === ContentType.application_data && !this.#read.cipher) {
      return this.#skipEarlyData(
        rec,
        AlertDescription.unexpected_message,
        "received application data before the handshake was complete",
      );
    }
    return await openRecord(this.#read, rec);
  }

  /** Counts a skipped early data record; past the limit, it is what it would be otherwise. */
  #skipEarlyData(rec: RawRecord, alert: number, what: string): undefined {
    this.trace({ kind: "early_data_skipped", bytes: rec.header.length + rec.fragment.length });
    this.#earlyData.bytes += rec.fragment.length;
    if (this.#earlyData.bytes > MAX_SKIPPED_EARLY_DATA) {
      throw new TlsError(
        alert,
        `${what}, past the ${MAX_SKIPPED_EARLY_DATA} bytes of declined early data skipped`,
      );
    }
    return undefined;
  }

  /** RFC 8446 §4.2.10: 0-RTT data, within the limit the server announced. */
  #receiveEarlyData(data: Uint8Array): void {
    this.#earlyDataLeft! -= data.length;
    if (this.#earlyDataLeft! < 0) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        "the client sent more early data than max_early_data_size",
      );
    }
    if (data.length) this.#events.push({ type: "data", data, early: true });
  }

  /** RFC 8446 §5.1: handshake messages must not be interleaved with other record types. */
  #checkNotInterleaved(type: number): void {
    if (this.#joiner.pending) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        `a ${ContentType.name(type)} record arrived in the middle of a handshake message`,
      );
    }
  }

  /**
   * RFC 8446 §5: a plaintext CCS of one byte 0x01 between the first
   * ClientHello and the peer's Finished is dropped; anything else, or one at
   * any other time, is unexpected_message.
   */
  #handleChangeCipherSpec(rec: RawRecord): void {
    if (this.#info) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        "received ChangeCipherSpec after the handshake",
      );
    }
    if (this.role === "server" && !this.#helloReceived) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        "received ChangeCipherSpec before the ClientHello",
      );
    }
    if (rec.fragment.length !== 1 || rec.fragment[0] !== 1) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        "received a ChangeCipherSpec record whose body is not the single byte 0x01",
      );
    }
    this.#ignored("a ChangeCipherSpec record");
  }

  /**
   * Counts a record that carried nothing. A peer may send a few (a CCS, an
   * empty record), but an endless run of them would keep this side busy
   * without progress, so there is a limit (Go's crypto/tls and OpenSSL
   * have one too).
   */
  #ignored(what: string): void {
    if (++this.#ignoredRecords > this.#limits.ignoredRecords) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        `received more than ${this.#limits.ignoredRecords} records in a row that carry nothing ` +
          `(the last one ${what})`,
      );
    }
  }

  /** Bounds what the peer may send before the handshake completes (the transcript holds it all). */
  #countHandshakeBytes(rec: RawRecord): void {
    this.#handshakeBytes += rec.header.length + rec.fragment.length;
    if (this.#handshakeBytes > this.#limits.handshakeBytes) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        `the peer sent more than ${this.#limits.handshakeBytes} bytes without completing the handshake`,
      );
    }
  }

  async #handleHandshake(content: Uint8Array): Promise<void> {
    this.#joiner.push(content);
    this.#ignoredRecords = 0;
    for (let msg = this.#joiner.next(); msg; msg = this.#joiner.next()) {
      this.#helloReceived = true;
      const { type, raw } = msg;
      this.trace({ kind: "message", from: this.#peer, type, raw, epoch: this.#read.epoch });
      if (this.#info) await this.#handlePostHandshake(msg);
      else await this.#deliver(msg);
    }
  }

  /** RFC 8446 §6: alerts. close_notify ends the peer's sending; every other alert but user_canceled is fatal. */
  #handleAlert(content: Uint8Array): void {
    // RFC 8446 §5.4 (and §5.1): an alert record with no content is unexpected_message.
    if (content.length === 0) {
      throw new TlsError(AlertDescription.unexpected_message, "received an empty alert record");
    }
    if (content.length !== 2) {
      throw new TlsError(
        AlertDescription.decode_error,
        `received an alert record of ${content.length} bytes, not 2`,
      );
    }
    const [level, description] = content;
    this.trace({ kind: "alert", from: this.#peer, level, description });
    if (level !== AlertLevel.warning && level !== AlertLevel.fatal) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        `received an alert with unknown level ${level}`,
      );
    }
    if (description === AlertDescription.user_canceled) {
      this.#canceled = true; // e.g. our handshake took longer than the peer's timeout
      return this.#ignored("user_canceled");
    }
    if (description === AlertDescription.close_notify && this.#info) {
      this.#peerClosed = true;
      this.#events.push({ type: "close_notify" });
      return;
    }
    throw new PeerAlert(description);
  }

  // --- the handshake coroutine ---

  async #begin(): Promise<void> {
    if (this.#run) return;
    const blocked = new Promise<void>((r) => this.#blocked = r);
    const handshake = this.#handshake!;
    this.#run = handshake.run().then(async (info) => {
      await this.#outbox.flush(); // what the handshake queued last (a client's Finished, its new keys)
      this.#info = info;
      this.#events.push({ type: "handshake", info });
      // RFC 8446 §4.6.1: the server's tickets follow the handshake; the connection is complete
      // (and can be closed) while they are being sealed.
      if (handshake instanceof ServerHandshake && !this.#closeSent) {
        await handshake.sendNewSessionTickets();
        await this.#outbox.flush();
      }
      this.#forgetHandshake();
      return info;
    });
    this.#run.catch(() => {}); // surfaced through #deliver and #begin instead
    await Promise.race([blocked, this.#run]);
  }

  /**
   * Drops what only the handshake needed (its state, transcript, handshake
   * and master secrets), keeping what the connection still reports.
   */
  #forgetHandshake(): void {
    this.#peerChain = this.#handshake!.peerCertificates;
    this.#clientRandom = this.#handshake!.clientRandom?.slice(); // not a view of the whole hello
    if (this.#handshake instanceof ClientHandshake) this.#resumption = this.#handshake.resumption;
    this.#handshake = undefined;
    this.#schedule?.forgetHandshakeSecrets();
  }

  /** Hands one message to the waiting handshake and waits until it needs the next one (or ends). */
  async #deliver(msg: HandshakeMessage): Promise<void> {
    const waiter = this.#waiter;
    if (!waiter) {
      throw new TlsError(
        AlertDescription.internal_error,
        "the handshake is not waiting for a message",
      );
    }
    this.#waiter = undefined;
    const blocked = new Promise<void>((r) => this.#blocked = r);
    waiter(msg);
    await Promise.race([blocked, this.#run]);
  }

  /** RFC 8446 §4.6: what may follow the handshake: NewSessionTicket (to clients) and KeyUpdate. */
  async #handlePostHandshake(msg: HandshakeMessage): Promise<void> {
    if (msg.type === HandshakeType.new_session_ticket && this.role === "client") {
      return this.#storeTicket(decodeNewSessionTicket(msg.body));
    }
    if (msg.type === HandshakeType.key_update) {
      const requested = decodeKeyUpdate(msg.body);
      this.#countKeyUpdate();
      this.trace({ kind: "key_update", from: this.#peer, requestUpdate: requested });
      await this.#rekey("read");
      // RFC 8446 §4.6.3: answer update_requested with our own KeyUpdate before more data.
      if (requested && !this.#closeSent) await this.#outbox.run(() => this.#sendKeyUpdate(false));
      return;
    }
    throw new TlsError(
      AlertDescription.unexpected_message,
      `received ${messageName(msg.type)} after the handshake`,
    );
  }

  /**
   * RFC 8446 §4.6.1: a ticket becomes a stored session, its PSK derived from
   * the resumption secret and its nonce (without a session store, it is
   * checked and dropped).
   */
  #storeTicket(nst: NewSessionTicket): void {
    const store = (this.#config as ClientConfig).sessions;
    const r = this.#resumption;
    const early = findExtension(nst.extensions, ExtensionType.early_data);
    const maxEarlyData = early ? decodeMaxEarlyData(early) : 0;
    const kept = store && r && nst.lifetime > 0;
    this.trace({
      kind: "psk",
      detail: kept
        ? `ticket kept for resumption${
          maxEarlyData ? `, early data up to ${maxEarlyData} bytes` : ""
        }`
        : "ticket not kept: no session store",
      ok: true,
    });
    if (!kept) return;
    store.put({
      server: r.server,
      ticket: nst.ticket,
      secret: this.#schedule!.ticketPsk(r.secret, nst.nonce),
      suite: r.suite,
      lifetime: nst.lifetime,
      ageAdd: nst.ageAdd,
      received: this.now().getTime(),
      maxEarlyData,
      alpn: r.alpn,
    });
  }

  /**
   * Each KeyUpdate costs a key derivation (and, when requested, one of ours);
   * a peer that sends them without end and no data is refused. As in
   * BoringSSL and rustls, what counts is KeyUpdates in a row: application
   * data in between starts the count again, and time plays no part.
   */
  #countKeyUpdate(): void {
    if (++this.#keyUpdatesInARow > this.#limits.keyUpdatesInARow) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        `the peer sent more than ${this.#limits.keyUpdatesInARow} KeyUpdates in a row ` +
          "without application data",
      );
    }
  }

  async #sendKeyUpdate(requestPeer: boolean): Promise<void> {
    this.trace({ kind: "key_update", from: this.role, requestUpdate: requestPeer });
    const raw = frameHandshake(HandshakeType.key_update, encodeKeyUpdate(requestPeer));
    this.trace({
      kind: "message",
      from: this.role,
      type: HandshakeType.key_update,
      raw,
      epoch: this.#outbox.direction.epoch,
    });
    await this.#outbox.seal(ContentType.handshake, raw);
    await this.#rekey("write");
  }

  /** RFC 8446 §7.2: application_traffic_secret_N+1 for one direction. */
  async #rekey(which: "read" | "write"): Promise<void> {
    const dir = which === "read" ? this.#read : this.#outbox.direction;
    const secret = this.#schedule!.nextTrafficSecret(dir.secret!);
    const n = ++this.#generation[which];
    const side = which === "write" ? this.role : this.#peer;
    this.trace({ kind: "secret", name: `${side}_application_traffic_secret_${n}`, value: secret });
    if (which === "read") this.#checkKeyChange();
    const keys = await this.#keysFor(secret, which === "read" ? "application" : undefined);
    if (which === "read") this.#setRead(keys, secret, "application");
    else this.#outbox.install(keys, secret, "application");
  }

  // --- HandshakeIO: what the handshake code may do (internal: the class has it structurally,
  // so that the public type names none of the handshake's own types) ---

  /**
   * {@inheritDoc HandshakeIO.expect}
   * @internal
   */
  async expect(...types: number[]): Promise<HandshakeMessage> {
    await this.#outbox.flush();
    const msg = await new Promise<HandshakeMessage>((resolve) => {
      this.#waiter = resolve;
      const blocked = this.#blocked;
      this.#blocked = undefined;
      blocked?.();
    });
    if (!types.includes(msg.type)) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        `expected ${types.map(messageName).join(" or ")}, received ${messageName(msg.type)}`,
      );
    }
    return msg;
  }

  /**
   * {@inheritDoc HandshakeIO.send}
   * @internal
   */
  send(type: number, body: Uint8Array): Uint8Array {
    const raw = frameHandshake(type, body);
    this.trace({ kind: "message", from: this.role, type, raw, epoch: this.#outbox.queuedEpoch });
    this.#outbox.queueHandshake(raw);
    return raw;
  }

  /**
   * {@inheritDoc HandshakeIO.acceptEarlyData}
   * @internal
   */
  acceptEarlyData(maxBytes: number): void {
    this.#earlyDataLeft = maxBytes;
  }

  /**
   * {@inheritDoc HandshakeIO.sendInTheClear}
   * @internal
   */
  sendInTheClear(): void {
    this.#outbox.queuePlaintext();
  }

  /**
   * {@inheritDoc HandshakeIO.sendEarlyData}
   * @internal
   */
  sendEarlyData(data: Uint8Array): void {
    this.#outbox.queueApplicationData(data);
  }

  /**
   * {@inheritDoc HandshakeIO.sendChangeCipherSpec}
   * @internal
   */
  sendChangeCipherSpec(): void {
    if (this.#ccsSent) return;
    this.#ccsSent = true;
    this.#outbox.queueChangeCipherSpec();
  }

  /**
   * {@inheritDoc HandshakeIO.setWriteKeys} The keys are derived from now on
   * and take effect in their place in the output queue: what was queued
   * before is sealed under the old keys, what is queued after under these.
   * @internal
   */
  setWriteKeys(schedule: KeySchedule, secret: Uint8Array, epoch: Epoch): Promise<void> {
    this.#schedule = schedule;
    this.#outbox.queueKeys(this.#keysFor(secret), secret, epoch);
    return Promise.resolve();
  }

  /**
   * {@inheritDoc HandshakeIO.setReadKeys} Keys a synchronous provider makes
   * are installed at once; others before the next record is opened.
   * @internal
   */
  setReadKeys(schedule: KeySchedule, secret: Uint8Array, epoch: Epoch): Promise<void> {
    this.#schedule = schedule;
    this.#checkKeyChange();
    const previous = this.#readKeys;
    const keys = this.#keysFor(secret, epoch);
    if (!previous && !(keys instanceof Promise)) {
      this.#setRead(keys, secret, epoch);
      return Promise.resolve();
    }
    const ready = (async () => {
      const k = await keys;
      await previous;
      this.#setRead(k, secret, epoch);
    })();
    ready.catch(() => {}); // awaited (and its failure surfaced) by #handleRecord
    this.#readKeys = ready;
    return Promise.resolve();
  }

  /**
   * {@inheritDoc HandshakeIO.skipEarlyData}
   * @internal
   */
  skipEarlyData(how: EarlyDataSkip): void {
    this.#earlyData.skip = how;
  }

  /**
   * {@inheritDoc HandshakeIO.writeEpoch}
   * @internal
   */
  get writeEpoch(): Epoch {
    return this.#outbox.queuedEpoch;
  }

  /**
   * {@inheritDoc HandshakeIO.random}
   * @internal
   */
  random(n: number): Uint8Array {
    return this.#config.random ? this.#config.random(n) : this.crypto.randomBytes(n);
  }

  /**
   * {@inheritDoc HandshakeIO.now}
   * @internal
   */
  now(): Date {
    return this.#config.now ? this.#config.now() : new Date();
  }

  /**
   * {@inheritDoc HandshakeIO.trace} Also writes the key log, when one is configured.
   * @internal
   */
  trace(event: TraceEvent): void {
    if (event.kind === "secret" && this.#config.keyLog) {
      const random = this.#handshake?.clientRandom ?? this.#clientRandom;
      const line = random && keyLogLine(event, random);
      if (line) this.#config.keyLog(line);
    }
    this.#outbox.observe(event);
  }

  // --- records out ---

  get #peer(): Side {
    return this.role === "client" ? "server" : "client";
  }

  /** RFC 8446 §5.1: handshake messages must not span a key change. */
  #checkKeyChange(): void {
    if (this.#joiner.pending) {
      throw new TlsError(
        AlertDescription.unexpected_message,
        "a handshake message spans a change of keys",
      );
    }
  }

  /**
   * RFC 8446 §7.3: record protection keys from a traffic secret. Read keys
   * (`readEpoch` given) are traced now, where the protocol changes them,
   * whenever they are installed; write keys are traced by the outbox.
   */
  #keysFor(secret: Uint8Array, readEpoch?: Epoch): MaybePromise<Keys> {
    const suite = this.#schedule!.suite;
    const { key, iv } = trafficKeys(suite, secret);
    if (readEpoch) this.trace({ kind: "keys", direction: this.#peer, epoch: readEpoch, key, iv });
    return then(RecordCipher.fromKeys(suite, key, iv), (cipher) => ({ key, iv, cipher }));
  }

  /** Puts keys in force for what we receive. */
  #setRead(keys: Keys, secret: Uint8Array, epoch: Epoch): void {
    this.#read.set(keys.cipher, secret, epoch);
  }

  async #sendAlert(description: number): Promise<void> {
    const closing = description === AlertDescription.close_notify ||
      description === AlertDescription.user_canceled;
    const level = closing ? AlertLevel.warning : AlertLevel.fatal;
    this.trace({ kind: "alert", from: this.role, level, description });
    await this.#outbox.seal(ContentType.alert, new Uint8Array([level, description]));
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
    const err = e instanceof TlsError || e instanceof PeerAlert ? e : new TlsError(
      AlertDescription.internal_error,
      `internal error: ${(e as Error)?.message ?? e}`,
      { cause: e },
    );
    this.#error = err;
    this.#outbox.discardQueued();
    if (err instanceof TlsError && !this.#closeSent) {
      this.#closeSent = true;
      try {
        await this.#outbox.run(() => this.#sendAlert(err.alert));
      } catch {
        // The alert could not be sealed; the connection ends without it.
      }
    }
    return err;
  }
}
