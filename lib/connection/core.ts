/**
 * What the parts of a connection share (`lib/connection.ts` puts them
 * together): its side and settings, the outbox of what it sends (RFC 8446
 * §5), the events for its user, how far it has come, record protection
 * keys from traffic secrets (§7.3), alerts out (§6), and the trace and key
 * log.
 *
 * @module
 */

import { AlertDescription, AlertLevel } from "../errors.ts";
import { ContentType } from "../codepoints.ts";
import { type ClientConfig, cryptoOf, type HandshakeInfo, type ServerConfig } from "../config.ts";
import { RecordCipher, trafficKeys } from "../crypto/aead.ts";
import type { KeySchedule } from "../crypto/key_schedule.ts";
import { then } from "../crypto/maybe.ts";
import type { CryptoProvider, MaybePromise } from "../crypto/provider.ts";
import type { ClientHandshake } from "../handshake/client.ts";
import { keyLogLine } from "../key_log.ts";
import { MAX_PLAINTEXT } from "../record/deframer.ts";
import { type Keys, Outbox } from "../record/outbox.ts";
import type { Epoch } from "../record/record_layer.ts";
import type { Side, TraceEvent } from "../trace.ts";

/** What a connection reports to its driver. */
export type ConnectionEvent =
  /** The handshake completed. */
  | { type: "handshake"; info: HandshakeInfo }
  /** Application data arrived; `early` when it was 0-RTT data (RFC 8446 §2.3: replayable). */
  | { type: "data"; data: Uint8Array; early?: boolean }
  /** The peer sent close_notify: it will send no more data (RFC 8446 §6.1). */
  | { type: "close_notify" };

/** The state the inbound path, the handshake driver and the post-handshake messages share. */
export class ConnectionCore {
  /** Which side this is, and the other. */
  readonly role: Side;
  readonly peer: Side;
  readonly config: ClientConfig | ServerConfig;
  readonly crypto: CryptoProvider;
  /** What we send, in order. */
  readonly outbox: Outbox;
  /** Events for the user since the last `takeEvents()`. */
  events: ConnectionEvent[] = [];
  /** What the handshake negotiated, once it is complete. */
  info?: HandshakeInfo;
  /** The key schedule, once the handshake has made one (its suite makes every key). */
  schedule?: KeySchedule;
  /** A client's resumption secret and session details, kept to store the tickets it receives. */
  resumption?: ClientHandshake["resumption"];
  /** We sent close_notify or a fatal alert: nothing more is written. */
  closeSent = false;
  /** The peer sent close_notify. */
  peerClosed = false;
  /** Where the key log finds the client random (the handshake driver). */
  randomSource?: { readonly clientRandom: Uint8Array | undefined };

  constructor(role: Side, config: ClientConfig | ServerConfig) {
    this.role = role;
    this.peer = role === "client" ? "server" : "client";
    this.config = config;
    this.crypto = cryptoOf(config);
    this.outbox = new Outbox(role, config.maxFragmentSize ?? MAX_PLAINTEXT, config.trace);
  }

  /** {@inheritDoc HandshakeIO.random} */
  random(n: number): Uint8Array {
    return this.config.random ? this.config.random(n) : this.crypto.randomBytes(n);
  }

  /** {@inheritDoc HandshakeIO.now} */
  now(): Date {
    return this.config.now ? this.config.now() : new Date();
  }

  /**
   * Reports a step: a secret goes to the key log (when one is configured),
   * and the event to the trace, in protocol order (see `Outbox.observe`).
   */
  trace(event: TraceEvent): void {
    if (event.kind === "secret" && this.config.keyLog) {
      const random = this.randomSource?.clientRandom;
      const line = random && keyLogLine(event, random);
      if (line) this.config.keyLog(line);
    }
    this.outbox.observe(event);
  }

  /**
   * RFC 8446 §7.3: record protection keys from a traffic secret. Read keys
   * (`readEpoch` given) are traced now, where the protocol changes them,
   * whenever they are installed; write keys are traced by the outbox.
   */
  keysFor(secret: Uint8Array, readEpoch?: Epoch): MaybePromise<Keys> {
    const suite = this.schedule!.suite;
    const { key, iv } = trafficKeys(suite, secret);
    if (readEpoch) this.trace({ kind: "keys", direction: this.peer, epoch: readEpoch, key, iv });
    return then(RecordCipher.fromKeys(suite, key, iv), (cipher) => ({ key, iv, cipher }));
  }

  /**
   * RFC 8446 §6: seals an alert under our current keys; close_notify and
   * user_canceled are warnings, every other alert is fatal. Call only from
   * a job given to `outbox.run()`.
   */
  async sendAlert(description: number): Promise<void> {
    const closing = description === AlertDescription.close_notify ||
      description === AlertDescription.user_canceled;
    const level = closing ? AlertLevel.warning : AlertLevel.fatal;
    this.trace({ kind: "alert", from: this.role, level, description });
    await this.outbox.seal(ContentType.alert, new Uint8Array([level, description]));
  }
}
