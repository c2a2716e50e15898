/**
 * What may follow the handshake (RFC 8446 §4.6): a client stores the
 * NewSessionTickets it receives as sessions to resume (§4.6.1), and either
 * side sends and answers KeyUpdate (§4.6.3), moving its traffic secrets on
 * (§7.2), within a limit on how many may come in a row.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { ContentType, ExtensionType, HandshakeType } from "../codepoints.ts";
import { type ClientConfig, DEFAULT_LIMITS } from "../config.ts";
import { findExtension } from "../handshake/extensions.ts";
import {
  decodeKeyUpdate,
  decodeNewSessionTicket,
  encodeKeyUpdate,
  frameHandshake,
  type HandshakeMessage,
  messageName,
  type NewSessionTicket,
} from "../handshake/messages.ts";
import { decodeMaxEarlyData } from "../handshake/psk_extensions.ts";
import type { ConnectionCore } from "./core.ts";
import type { Inbound } from "./inbound.ts";

/** The post-handshake messages of one connection. */
export class PostHandshake {
  readonly #core: ConnectionCore;
  readonly #inbound: Inbound;
  readonly #maxKeyUpdatesInARow: number;
  /** KeyUpdates received since the last application data. */
  #keyUpdatesInARow = 0;
  /** N of each direction's application_traffic_secret_N. */
  #generation = { read: 0, write: 0 };

  constructor(core: ConnectionCore, inbound: Inbound) {
    this.#core = core;
    this.#inbound = inbound;
    this.#maxKeyUpdatesInARow = core.config.maxKeyUpdatesInARow ??
      DEFAULT_LIMITS.maxKeyUpdatesInARow;
  }

  /** RFC 8446 §4.6: NewSessionTicket (to clients) and KeyUpdate; anything else is unexpected. */
  async receive(msg: HandshakeMessage): Promise<void> {
    const core = this.#core;
    if (msg.type === HandshakeType.new_session_ticket && core.role === "client") {
      return this.#storeTicket(decodeNewSessionTicket(msg.body));
    }
    if (msg.type === HandshakeType.key_update) {
      const requested = decodeKeyUpdate(msg.body);
      this.#countKeyUpdate();
      core.trace({ kind: "key_update", from: core.peer, requestUpdate: requested });
      this.#inbound.setKeys(this.#nextSecret("read", this.#inbound.secret!), "application");
      // RFC 8446 §4.6.3: answer update_requested with our own KeyUpdate before more data.
      if (requested && !core.closeSent) await core.outbox.run(() => this.sendKeyUpdate(false));
      return;
    }
    throw new TlsError(
      "handshake_message_after_handshake",
      `received ${messageName(msg.type)} after the handshake`,
    );
  }

  /** Application data arrived: the count of KeyUpdates in a row starts again. */
  applicationData(): void {
    this.#keyUpdatesInARow = 0;
  }

  /**
   * RFC 8446 §4.6.3: sends a KeyUpdate and moves our sending keys forward.
   * Call only from a job given to `outbox.run()`.
   */
  async sendKeyUpdate(requestPeer: boolean): Promise<void> {
    const core = this.#core, outbox = core.outbox;
    core.trace({ kind: "key_update", from: core.role, requestUpdate: requestPeer });
    const raw = frameHandshake(HandshakeType.key_update, encodeKeyUpdate(requestPeer));
    const epoch = outbox.direction.epoch;
    core.trace({ kind: "message", from: core.role, type: HandshakeType.key_update, raw, epoch });
    await outbox.seal(ContentType.handshake, raw);
    const secret = this.#nextSecret("write", outbox.direction.secret!);
    outbox.install(await core.keysFor(secret), secret, "application");
  }

  /** RFC 8446 §7.2: application_traffic_secret_N+1 of one direction, traced (and logged). */
  #nextSecret(which: "read" | "write", secret: Uint8Array): Uint8Array {
    const core = this.#core;
    const next = core.schedule!.nextTrafficSecret(secret);
    const side = which === "write" ? core.role : core.peer;
    const name = `${side}_application_traffic_secret_${++this.#generation[which]}` as const;
    core.trace({ kind: "secret", name, value: next });
    return next;
  }

  /**
   * RFC 8446 §4.6.1: a ticket becomes a stored session, its PSK derived from
   * the resumption secret and its nonce (without a session store, it is
   * checked and dropped).
   */
  #storeTicket(nst: NewSessionTicket): void {
    const core = this.#core;
    const store = (core.config as ClientConfig).sessions;
    const r = core.resumption;
    const early = findExtension(nst.extensions, ExtensionType.early_data);
    const maxEarlyData = early ? decodeMaxEarlyData(early) : 0;
    const kept = store && r && nst.lifetime > 0;
    core.trace({
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
      secret: core.schedule!.ticketPsk(r.secret, nst.nonce),
      suite: r.suite,
      lifetime: nst.lifetime,
      ageAdd: nst.ageAdd,
      received: core.now().getTime(),
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
    if (++this.#keyUpdatesInARow > this.#maxKeyUpdatesInARow) {
      throw new TlsError(
        "too_many_key_updates",
        `the peer sent more than ${this.#maxKeyUpdatesInARow} KeyUpdates in a row ` +
          "without application data",
      );
    }
  }
}
