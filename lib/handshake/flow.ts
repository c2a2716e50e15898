/**
 * One side's handshake messages and keys, over the connection's
 * `HandshakeIO`: what is sent goes into the transcript as it is queued (Go's
 * `writeHandshakeRecord(msg, transcript)`), what is received goes in once its
 * step accepts it (RFC 8446 §4.4.1), and keys are installed by name from the
 * key schedule (RFC 8446 §7.1, §7.3).
 *
 * @module
 */

import type { CommonConfig } from "../config.ts";
import { KeySchedule, type TrafficEpoch } from "../crypto/key_schedule.ts";
import type { Suite } from "../crypto/provider.ts";
import type { Side } from "../trace.ts";
import type { HandshakeIO } from "./io.ts";
import type { HandshakeMessage } from "./messages.ts";
import { Transcript } from "./transcript.ts";

/** The messages of one handshake, as `side` sends and receives them. */
export class HandshakeFlow {
  readonly io: HandshakeIO;
  readonly side: Side;
  /** The other side. */
  readonly peer: Side;
  /** The running Transcript-Hash (RFC 8446 §4.4.1), reported to the trace when there is one. */
  readonly transcript: Transcript;

  constructor(io: HandshakeIO, side: Side, config: Pick<CommonConfig, "trace">) {
    this.io = io;
    this.side = side;
    this.peer = side === "client" ? "server" : "client";
    this.transcript = new Transcript(
      config.trace
        ? (hash, value, after) => io.trace({ kind: "transcript", hash, value, after })
        : undefined,
    );
  }

  /** Queues a handshake message of ours and adds it to the transcript; returns its encoding. */
  send(type: number, body: Uint8Array): Uint8Array {
    const raw = this.io.send(type, body);
    this.transcript.add(raw, this.side);
    return raw;
  }

  /**
   * The peer's next handshake message, one of `types` (unexpected_message
   * otherwise). It is not in the transcript until `accept` adds it: the
   * checks of a CertificateVerify or Finished hash the transcript before it.
   */
  expect(...types: number[]): Promise<HandshakeMessage> {
    return this.io.expect(...types);
  }

  /** Adds a message of the peer's, checked by its step, to the transcript. */
  accept(msg: HandshakeMessage): void {
    this.transcript.add(msg.raw, this.peer);
  }

  /** Transcript-Hash of the messages sent and accepted so far. */
  hash(): Uint8Array {
    return this.transcript.hash();
  }

  /** A key schedule for `suite` whose secrets go to the trace and the key log. */
  keySchedule(suite: Suite): KeySchedule {
    return new KeySchedule(suite, (name, value) => this.io.trace({ kind: "secret", name, value }));
  }

  /** Protects what we send from now on with `schedule`'s keys of `epoch` for our side. */
  writeKeys(schedule: KeySchedule, epoch: TrafficEpoch): Promise<void> {
    return this.io.setWriteKeys(schedule, schedule.trafficSecret(this.side, epoch), epoch);
  }

  /** Opens what we receive from now on with `schedule`'s keys of `epoch` for the peer's side. */
  readKeys(schedule: KeySchedule, epoch: TrafficEpoch): Promise<void> {
    return this.io.setReadKeys(schedule, schedule.trafficSecret(this.peer, epoch), epoch);
  }
}
