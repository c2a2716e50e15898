/**
 * The connection as the handshake sees it: the `HandshakeIO` that
 * `ClientHandshake` and `ServerHandshake` talk to (read the next message,
 * queue messages, change keys; RFC 8446 §4), and the coroutine that runs
 * a handshake beside the record path: each message received is handed to
 * the waiting handshake, which runs until it needs the next one. Private to
 * `Connection`: nothing here is reachable from the object users hold.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import type { ClientConfig, HandshakeInfo, ServerConfig } from "../config.ts";
import type { KeySchedule } from "../crypto/key_schedule.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { ClientHandshake } from "../handshake/client.ts";
import type { EarlyDataSkip, HandshakeIO } from "../handshake/io.ts";
import { frameHandshake, type HandshakeMessage, messageName } from "../handshake/messages.ts";
import type { ServerHandshake } from "../handshake/server.ts";
import type { Epoch } from "../record/record_layer.ts";
import type { TraceEvent } from "../trace.ts";
import type { ConnectionCore } from "./core.ts";
import type { Inbound } from "./inbound.ts";

/** The server handshake's module, once a server has started. */
let serverModule: Promise<typeof import("../handshake/server.ts")> | undefined;

/** Runs one handshake over a connection's records. */
export class HandshakeDriver implements HandshakeIO {
  readonly #core: ConnectionCore;
  readonly #inbound: Inbound;
  /** The handshake state machine, dropped (with its transcript and secrets) once it is done. */
  #handshake?: ClientHandshake | ServerHandshake;
  /** What is kept of it: the peer's chain, and the client random (for the key log). */
  #peerChain: readonly Uint8Array[] = [];
  #clientRandom?: Uint8Array;
  #run?: Promise<HandshakeInfo>;
  #waiter?: (m: HandshakeMessage) => void;
  #blocked?: () => void;
  #ccsSent = false;

  constructor(core: ConnectionCore, inbound: Inbound) {
    this.#core = core;
    this.#inbound = inbound;
    core.randomSource = this;
  }

  /**
   * The state machine of our side. The server's is loaded only when a
   * server starts (once per process), so that a client never loads it.
   */
  async #start(): Promise<ClientHandshake | ServerHandshake> {
    const core = this.#core;
    if (core.role === "client") return new ClientHandshake(this, core.config as ClientConfig);
    serverModule ??= import("../handshake/server.ts");
    return new (await serverModule).ServerHandshake(this, core.config as ServerConfig);
  }

  /** The client random, once known (for the key log). */
  get clientRandom(): Uint8Array | undefined {
    return this.#handshake?.clientRandom ?? this.#clientRandom;
  }

  /** The peer's certificate chain (DER, leaf first) as received. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.#handshake?.peerCertificates ?? this.#peerChain;
  }

  /**
   * Starts the handshake, once; resolves when it waits for a message or
   * ends. When it completes, the connection is told (`core.info`, the
   * `handshake` event) and a server sends its tickets (RFC 8446 §4.6.1).
   */
  async begin(): Promise<void> {
    if (this.#run) return;
    const core = this.#core, outbox = core.outbox;
    const handshake = this.#handshake = await this.#start();
    const blocked = new Promise<void>((r) => this.#blocked = r);
    this.#run = handshake.run().then(async (info) => {
      await outbox.flush(); // what the handshake queued last (a client's Finished, its new keys)
      core.info = info;
      core.events.push({ type: "handshake", info });
      // RFC 8446 §4.6.1: the server's tickets follow the handshake; the connection is complete
      // (and can be closed) while they are being sealed.
      if (core.role === "server" && !core.closeSent) {
        await (handshake as ServerHandshake).sendNewSessionTickets();
        await outbox.flush();
      }
      this.#forgetHandshake();
      return info;
    });
    this.#run.catch(() => {}); // surfaced through deliver and begin instead
    await Promise.race([blocked, this.#run]);
  }

  /** Hands one message to the waiting handshake and waits until it needs the next one (or ends). */
  async deliver(msg: HandshakeMessage): Promise<void> {
    const waiter = this.#waiter;
    if (!waiter) {
      throw new TlsError(
        "internal_error",
        "the handshake is not waiting for a message",
      );
    }
    this.#waiter = undefined;
    const blocked = new Promise<void>((r) => this.#blocked = r);
    waiter(msg);
    await Promise.race([blocked, this.#run]);
  }

  /**
   * Drops what only the handshake needed (its state, transcript, handshake
   * and master secrets), keeping what the connection still reports.
   */
  #forgetHandshake(): void {
    const handshake = this.#handshake!;
    this.#peerChain = handshake.peerCertificates;
    this.#clientRandom = handshake.clientRandom?.slice(); // not a view of the whole hello
    if (handshake instanceof ClientHandshake) this.#core.resumption = handshake.resumption;
    this.#handshake = undefined;
    this.#core.schedule?.forgetHandshakeSecrets();
  }

  // --- HandshakeIO ---

  /** {@inheritDoc HandshakeIO.expect} */
  async expect(...types: number[]): Promise<HandshakeMessage> {
    await this.#core.outbox.flush();
    const msg = await new Promise<HandshakeMessage>((resolve) => {
      this.#waiter = resolve;
      const blocked = this.#blocked;
      this.#blocked = undefined;
      blocked?.();
    });
    if (!types.includes(msg.type)) {
      throw new TlsError(
        "unexpected_handshake_message",
        `expected ${types.map(messageName).join(" or ")}, received ${messageName(msg.type)}`,
      );
    }
    return msg;
  }

  /** {@inheritDoc HandshakeIO.send} */
  send(type: number, body: Uint8Array): Uint8Array {
    const core = this.#core;
    const raw = frameHandshake(type, body);
    core.trace({ kind: "message", from: core.role, type, raw, epoch: core.outbox.queuedEpoch });
    core.outbox.queueHandshake(raw);
    return raw;
  }

  /** {@inheritDoc HandshakeIO.acceptEarlyData} */
  acceptEarlyData(maxBytes: number): void {
    this.#inbound.acceptEarlyData(maxBytes);
  }

  /** {@inheritDoc HandshakeIO.sendInTheClear} */
  sendInTheClear(): void {
    this.#core.outbox.queuePlaintext();
  }

  /** {@inheritDoc HandshakeIO.sendEarlyData} */
  sendEarlyData(data: Uint8Array): void {
    this.#core.outbox.queueApplicationData(data);
  }

  /** {@inheritDoc HandshakeIO.sendChangeCipherSpec} */
  sendChangeCipherSpec(): void {
    if (this.#ccsSent) return;
    this.#ccsSent = true;
    this.#core.outbox.queueChangeCipherSpec();
  }

  /**
   * {@inheritDoc HandshakeIO.setWriteKeys} The keys are derived from now on
   * and take effect in their place in the output queue: what was queued
   * before is sealed under the old keys, what is queued after under these.
   */
  setWriteKeys(schedule: KeySchedule, secret: Uint8Array, epoch: Epoch): Promise<void> {
    const core = this.#core;
    core.schedule = schedule;
    core.outbox.queueKeys(core.keysFor(secret), secret, epoch);
    return Promise.resolve();
  }

  /** {@inheritDoc HandshakeIO.setReadKeys} See `Inbound.setKeys` for when they take effect. */
  setReadKeys(schedule: KeySchedule, secret: Uint8Array, epoch: Epoch): Promise<void> {
    this.#core.schedule = schedule;
    this.#inbound.setKeys(secret, epoch);
    return Promise.resolve();
  }

  /** {@inheritDoc HandshakeIO.skipEarlyData} */
  skipEarlyData(how: EarlyDataSkip): void {
    this.#inbound.skipEarlyData(how);
  }

  /** {@inheritDoc HandshakeIO.writeEpoch} */
  get writeEpoch(): Epoch {
    return this.#core.outbox.queuedEpoch;
  }

  /** {@inheritDoc HandshakeIO.crypto} */
  get crypto(): CryptoProvider {
    return this.#core.crypto;
  }

  /** {@inheritDoc HandshakeIO.random} */
  random(n: number): Uint8Array {
    return this.#core.random(n);
  }

  /** {@inheritDoc HandshakeIO.now} */
  now(): Date {
    return this.#core.now();
  }

  /** {@inheritDoc HandshakeIO.trace} Also writes the key log, when one is configured. */
  trace(event: TraceEvent): void {
    this.#core.trace(event);
  }
}
