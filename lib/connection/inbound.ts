/**
 * The inbound record path of a connection (RFC 8446 §5): received bytes
 * split into records, opened under the read keys in force, checked against
 * the record-type rules (§5, §5.1: what may come when, ChangeCipherSpec,
 * handshake messages not interleaved nor spanning a key change), declined
 * early data skipped (§4.2.10), alerts read (§6), and handshake messages
 * put back together and handed on.
 *
 * @module
 */

import { AlertDescription, AlertLevel, PeerAlert, TlsError, type TlsErrorCode } from "../errors.ts";
import { ContentType } from "../codepoints.ts";
import { DEFAULT_LIMITS } from "../config.ts";
import type { MaybePromise } from "../crypto/provider.ts";
import type { EarlyDataSkip } from "../handshake/io.ts";
import type { HandshakeMessage } from "../handshake/messages.ts";
import { decodeAlert } from "../record/alert.ts";
import { decodeChangeCipherSpec } from "../record/change_cipher_spec.ts";
import { Deframer, MAX_PLAINTEXT, type RawRecord } from "../record/deframer.ts";
import { HandshakeJoiner } from "../record/handshake_joiner.ts";
import type { Keys } from "../record/outbox.ts";
import {
  Direction,
  type Epoch,
  type OpenedRecord,
  openRecord,
  tryOpenRecord,
} from "../record/record_layer.ts";
import { concat } from "../wire/writer.ts";
import type { ConnectionCore } from "./core.ts";

/**
 * RFC 8446 §4.2.10: most bytes of declined early data a server skips (a
 * server that never accepts early data may choose its own limit): 2^14
 * bytes, plus the expansion of one record (§5.2), counted as received.
 */
export const MAX_SKIPPED_EARLY_DATA = MAX_PLAINTEXT + 256;

/** How many received records are opened at once after the handshake (see #handleRun). */
const OPEN_AHEAD = 16;

/** Where the inbound path hands what it received. */
export interface InboundHandlers {
  /** A whole handshake message, in order; the next one waits until this resolves. */
  message(msg: HandshakeMessage): Promise<void>;
  /** Application data (not empty) arrived after the handshake. */
  applicationData(): void;
}

/** What a connection receives, record by record. */
export class Inbound {
  readonly #core: ConnectionCore;
  readonly #handlers: InboundHandlers;
  readonly #deframer = new Deframer();
  readonly #joiner: HandshakeJoiner;
  readonly #read = new Direction();
  readonly #limits: { handshakeBytes: number; ignoredRecords: number };
  /** Read keys being derived: installed before the next record is opened. */
  #readKeys?: Promise<void>;
  /** Whether a handshake message has arrived (a server accepts no CCS before the ClientHello). */
  #helloReceived = false;
  /** Bytes of the records received before the handshake completed. */
  #handshakeBytes = 0;
  /** Records in a row that carried nothing. */
  #ignoredRecords = 0;
  /** Declined early data being skipped (RFC 8446 §4.2.10), and its bytes so far. */
  #earlyData: { skip: EarlyDataSkip; bytes: number } = { skip: "none", bytes: 0 };
  /** A server's accepted 0-RTT data: what it may still receive, in bytes. */
  #earlyDataLeft?: number;
  /** Whether the bytes being handled may be overwritten by opening their records in place. */
  #inPlace = false;
  /** Whether the peer sent user_canceled: its closing the connection then is no mystery. */
  canceled = false;

  constructor(core: ConnectionCore, handlers: InboundHandlers) {
    this.#core = core;
    this.#handlers = handlers;
    const config = core.config;
    const maxMessage = config.maxHandshakeMessage ?? DEFAULT_LIMITS.maxHandshakeMessage;
    this.#joiner = new HandshakeJoiner(maxMessage);
    this.#limits = {
      handshakeBytes: config.maxHandshakeBytes ?? 2 * maxMessage,
      ignoredRecords: config.maxIgnoredRecords ?? DEFAULT_LIMITS.maxIgnoredRecords,
    };
  }

  /** Bytes received and held (partial records and handshake messages): for limits. */
  get buffered(): number {
    return this.#deframer.buffered + this.#joiner.buffered;
  }

  /** The traffic secret that protects what we receive (for KeyUpdate), if encrypted. */
  get secret(): Uint8Array | undefined {
    return this.#read.secret;
  }

  /**
   * Handles the records in `bytes` (and any held from before), in order.
   * With `inPlace`, records may be opened where they lie (see
   * `ReceiveOptions`); never while tracing, which shows the records as
   * received once they are opened.
   */
  async receive(bytes: Uint8Array, inPlace = false): Promise<void> {
    const core = this.#core;
    this.#inPlace = inPlace && !core.config.trace;
    this.#deframer.push(bytes);
    let rec = this.#deframer.next();
    while (rec && !core.peerClosed) {
      if (core.info && this.#read.cipher && rec.type === ContentType.application_data) {
        rec = await this.#handleRun(rec);
      } else {
        await this.#handleRecord(rec);
        rec = this.#deframer.next();
      }
    }
  }

  /**
   * Opens what we receive from now on with keys from `secret`. Keys a
   * synchronous provider makes are installed at once; others before the
   * next record is opened.
   */
  setKeys(secret: Uint8Array, epoch: Epoch): void {
    this.#checkKeyChange();
    const previous = this.#readKeys;
    const keys = this.#core.keysFor(secret, epoch);
    if (!previous && !(keys instanceof Promise)) return this.#install(keys, secret, epoch);
    const ready = (async () => {
      const k = await keys;
      await previous;
      this.#install(k, secret, epoch);
    })();
    ready.catch(() => {}); // awaited (and its failure surfaced) by #handleRecord
    this.#readKeys = ready;
  }

  /** {@inheritDoc HandshakeIO.acceptEarlyData} */
  acceptEarlyData(maxBytes: number): void {
    this.#earlyDataLeft = maxBytes;
  }

  /** {@inheritDoc HandshakeIO.skipEarlyData} */
  skipEarlyData(how: EarlyDataSkip): void {
    this.#earlyData.skip = how;
  }

  #install(keys: Keys, secret: Uint8Array, epoch: Epoch): void {
    this.#read.set(keys.cipher, secret, epoch);
  }

  /** Installs read keys still being derived (see setKeys). */
  async #readKeysReady(): Promise<void> {
    if (this.#readKeys) {
      const ready = this.#readKeys;
      this.#readKeys = undefined;
      await ready;
    }
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
    for (let i = 0; i < run.length && !this.#core.peerClosed;) {
      if (this.#readKeys) await this.#readKeysReady();
      const cipher = this.#read.cipher;
      const opening = [this.#openAhead(run[i])];
      if (opening[0] instanceof Promise) {
        for (let j = i + 1; j < run.length; j++) opening.push(this.#openAhead(run[j]));
      }
      for (const open of opening) {
        const rec = run[i++];
        // Data opened at once, the common case, is handed on without a Promise.
        if (!(open instanceof Promise) && this.#isPlainData(open)) this.#data(open.content);
        else await this.#handleRecord(rec, open);
        if (this.#core.peerClosed || this.#readKeys || this.#read.cipher !== cipher) break;
      }
    }
    return next;
  }

  /**
   * Whether an opened record after the handshake is application data that
   * needs nothing of #handleRecord but `#data`: not empty, not traced, and no
   * handshake message pending (RFC 8446 §5.1).
   */
  #isPlainData(opened: OpenedRecord): boolean {
    return opened.type === ContentType.application_data && opened.content.length > 0 &&
      !this.#core.config.trace && !this.#joiner.pending;
  }

  /** Application data (not empty) arrived after the handshake: it goes to the user. */
  #data(content: Uint8Array): void {
    this.#ignoredRecords = 0;
    this.#handlers.applicationData();
    this.#core.events.push({ type: "data", data: content });
  }

  /**
   * Opens a record before its turn: a failure surfaces when its turn comes
   * (after a key change, none does).
   */
  #openAhead(rec: RawRecord): MaybePromise<OpenedRecord> {
    let open: MaybePromise<OpenedRecord>;
    try {
      open = openRecord(this.#read, rec, this.#inPlace);
    } catch (e) {
      open = Promise.reject(e);
    }
    if (open instanceof Promise) open.catch(() => {});
    return open;
  }

  /** Handles one record; `opening` is its opening already under way (see #handleRun). */
  async #handleRecord(rec: RawRecord, opening?: MaybePromise<OpenedRecord>): Promise<void> {
    const core = this.#core;
    await this.#readKeysReady();
    if (!core.info) this.#countHandshakeBytes(rec);
    if (rec.type === ContentType.change_cipher_spec) {
      if (core.config.trace) {
        const bytes = concat(rec.header, rec.fragment);
        const contentType = ContentType.change_cipher_spec;
        const content = bytes.subarray(5);
        core.trace({
          kind: "record",
          from: core.peer,
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
      if (!(rec.type === ContentType.alert && !core.info)) {
        throw new TlsError(
          "plaintext_after_encryption",
          `received a plaintext ${ContentType.name(rec.type)} record after encryption started`,
        );
      }
    }
    const epoch = this.#read.epoch;
    const opened = await (opening ?? this.#openOrSkip(rec));
    if (!opened) return;
    if (core.config.trace) {
      core.trace({
        kind: "record",
        from: core.peer,
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
        if (!core.info && epoch === "early" && this.#earlyDataLeft !== undefined) {
          return this.#receiveEarlyData(opened.content);
        }
        if (!core.info) {
          throw new TlsError(
            "application_data_before_finished",
            "received application data before the handshake was complete",
          );
        }
        if (opened.content.length === 0) return this.#ignored("an empty application data record");
        return this.#data(opened.content);
      default:
        throw new TlsError(
          "unexpected_encrypted_content_type",
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
        "bad_record_mac",
        `a record failed to decrypt (bad_record_mac) under the ${this.#read.epoch} keys`,
      );
    }
    if (skip === "encrypted" && rec.type === ContentType.application_data && !this.#read.cipher) {
      return this.#skipEarlyData(
        rec,
        "application_data_before_finished",
        "received application data before the handshake was complete",
      );
    }
    return await openRecord(this.#read, rec, this.#inPlace);
  }

  /** Counts a skipped early data record; past the limit, it is what it would be otherwise. */
  #skipEarlyData(rec: RawRecord, code: TlsErrorCode, what: string): undefined {
    this.#core.trace({
      kind: "early_data_skipped",
      bytes: rec.header.length + rec.fragment.length,
    });
    this.#earlyData.bytes += rec.fragment.length;
    if (this.#earlyData.bytes > MAX_SKIPPED_EARLY_DATA) {
      throw new TlsError(
        code,
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
        "too_much_early_data",
        "the client sent more early data than max_early_data_size",
      );
    }
    if (data.length) this.#core.events.push({ type: "data", data, early: true });
  }

  /** RFC 8446 §5.1: handshake messages must not be interleaved with other record types. */
  #checkNotInterleaved(type: number): void {
    if (this.#joiner.pending) {
      throw new TlsError(
        "record_interleaved_with_handshake_message",
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
    if (this.#core.info) {
      throw new TlsError(
        "change_cipher_spec_after_handshake",
        "received ChangeCipherSpec after the handshake",
      );
    }
    if (this.#core.role === "server" && !this.#helloReceived) {
      throw new TlsError(
        "change_cipher_spec_before_client_hello",
        "received ChangeCipherSpec before the ClientHello",
      );
    }
    decodeChangeCipherSpec(rec.fragment);
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
        "too_many_empty_records",
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
        "handshake_too_long",
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
      this.#core.trace({
        kind: "message",
        from: this.#core.peer,
        type,
        raw,
        epoch: this.#read.epoch,
      });
      await this.#handlers.message(msg);
    }
  }

  /** RFC 8446 §6: alerts. close_notify ends the peer's sending; every other alert but user_canceled is fatal. */
  #handleAlert(content: Uint8Array): void {
    const { level, description } = decodeAlert(content);
    this.#core.trace({ kind: "alert", from: this.#core.peer, level, description });
    if (level !== AlertLevel.warning && level !== AlertLevel.fatal) {
      throw new TlsError(
        "alert_unknown_level",
        `received an alert with unknown level ${level}`,
      );
    }
    if (description === AlertDescription.user_canceled) {
      this.canceled = true; // e.g. our handshake took longer than the peer's timeout
      return this.#ignored("user_canceled");
    }
    if (description === AlertDescription.close_notify && this.#core.info) {
      this.#core.peerClosed = true;
      this.#core.events.push({ type: "close_notify" });
      return;
    }
    throw new PeerAlert(description);
  }

  /** RFC 8446 §5.1: handshake messages must not span a key change. */
  #checkKeyChange(): void {
    if (this.#joiner.pending) {
      throw new TlsError(
        "handshake_message_spans_key_change",
        "a handshake message spans a change of keys",
      );
    }
  }
}
