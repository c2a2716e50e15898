/**
 * What a handshake state machine may do: read the next handshake message,
 * queue messages to send, and change keys. The connection's private driver
 * (lib/connection/driver.ts) implements it; the handshake code never sees
 * records or sockets, and users of `Connection` never see this interface.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { ExtensionType } from "../codepoints.ts";
import type { KeySchedule } from "../crypto/key_schedule.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import type { Epoch } from "../record/record_layer.ts";
import type { TraceEvent } from "../trace.ts";
import type { Extension } from "./extensions.ts";
import type { HandshakeMessage } from "./messages.ts";
import { messageName } from "./messages.ts";

/** How a server skips early data it declined (see `HandshakeIO.skipEarlyData`). */
export type EarlyDataSkip = "undecryptable" | "encrypted" | "none";

/** The connection as the handshake sees it. */
export interface HandshakeIO {
  /**
   * The next handshake message, which must be one of `types`
   * (unexpected_message otherwise). Flushes what is queued first.
   */
  expect(...types: number[]): Promise<HandshakeMessage>;
  /** Queues a handshake message under the current write keys; returns its encoding. */
  send(type: number, body: Uint8Array): Uint8Array;
  /**
   * Server: application data received under the early keys is the client's
   * 0-RTT data, delivered marked as early, up to `maxBytes` in all (RFC 8446
   * §4.2.10: more is unexpected_message).
   */
  acceptEarlyData(maxBytes: number): void;
  /**
   * Client: what is sent from now on goes in the clear again (a second
   * ClientHello after 0-RTT data, RFC 8446 §4.1.4).
   */
  sendInTheClear(): void;
  /** Queues 0-RTT application data under the current (early) write keys (RFC 8446 §4.2.10). */
  sendEarlyData(data: Uint8Array): void;
  /** Sends the middlebox-compatibility ChangeCipherSpec record (RFC 8446 §D.4), at most once. */
  sendChangeCipherSpec(): void;
  /** Protects what we send from now on with keys from `secret` (queued messages go out first). */
  setWriteKeys(schedule: KeySchedule, secret: Uint8Array, epoch: Epoch): Promise<void>;
  /** Opens what we receive from now on with keys from `secret`. */
  setReadKeys(schedule: KeySchedule, secret: Uint8Array, epoch: Epoch): Promise<void>;
  /**
   * RFC 8446 §4.2.10: how to skip the early data of a client whose offer of
   * it this server declines, from now on: `undecryptable` drops records
   * that do not open under the handshake keys, until one does; `encrypted`
   * drops every application_data record (after a HelloRetryRequest, until
   * the second ClientHello); `none` stops skipping.
   */
  skipEarlyData(how: EarlyDataSkip): void;
  /** The epoch of the keys that protect what we send. */
  readonly writeEpoch: Epoch;
  /** The crypto provider of the connection. */
  readonly crypto: CryptoProvider;
  /** Random bytes. */
  random(n: number): Uint8Array;
  /** The current time. */
  now(): Date;
  /** Reports a step, if tracing. */
  trace(event: TraceEvent): void;
}

/** RFC 8446 §4.4.3: the content covered by a CertificateVerify signature. */
export function certificateVerifyContent(
  side: "server" | "client",
  transcriptHash: Uint8Array,
): Uint8Array {
  const context = new TextEncoder().encode(`TLS 1.3, ${side} CertificateVerify`);
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out[64 + context.length] = 0;
  out.set(transcriptHash, 65 + context.length);
  return out;
}

/**
 * RFC 8446 §4.2: checks the extensions of a message received in reply to
 * ours: one we did not offer is unsupported_extension; one we offered that
 * does not belong in this message is illegal_parameter.
 */
export function checkReplyExtensions(
  exts: readonly Extension[],
  message: number,
  offered: ReadonlySet<number>,
  allowed: ReadonlySet<number>,
): void {
  for (const e of exts) {
    if (!offered.has(e.type)) {
      throw new TlsError(
        "unsolicited_extension",
        `${messageName(message)} carries the ${
          ExtensionType.name(e.type)
        } extension, which was not offered`,
      );
    }
    if (!allowed.has(e.type)) {
      throw new TlsError(
        "extension_not_allowed",
        `${messageName(message)} carries the ${
          ExtensionType.name(e.type)
        } extension, which does not belong there`,
      );
    }
  }
}
