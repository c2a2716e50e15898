/**
 * One watched connection from bytes to words: an observer
 * (`lib/inspect/observer.ts`) fed in order, and its events printed as text
 * (`inspect_printer.ts`) or as JSON lines (`inspect_json.ts`), every line
 * marked with the connection's number. With a key log that is still being
 * written, records whose secret is not in it yet are held back and looked
 * for again (`poll`), up to a time and a size.
 *
 * @module
 */

import type { CryptoProvider } from "../lib/crypto/provider.ts";
import type { InspectEvent, SecretLookup } from "../lib/inspect/observer.ts";
import { ConversationObserver } from "../lib/inspect/observer.ts";
import { HEADER_LENGTH, MAX_CIPHERTEXT } from "../lib/record/deframer.ts";
import type { Side } from "../lib/trace.ts";
import type { Stretch } from "./inspect_sealed_bodies.ts";
import { eventJson } from "./inspect_json.ts";
import { InspectPrinter } from "./inspect_printer.ts";
import type { Paint } from "./paint.ts";
import type { TraceLevel } from "./trace_printer.ts";

/** Where and how narrations are written. */
export interface NarrationOutput {
  readonly level: TraceLevel;
  readonly json: boolean;
  readonly paint: Paint;
  /** Receives each line (without newline). */
  readonly write: (line: string) => void;
  /** The crypto provider that opens records. */
  readonly crypto: CryptoProvider;
  /**
   * Fed bytes are the caller's to overwrite (the relay's, once written on):
   * records may be opened where they lie, unless the byte view shows them.
   */
  readonly inPlace?: boolean;
}

/** The narration of connection number `id`. */
export class Narration {
  readonly id: number;
  readonly observer: ConversationObserver;
  readonly #out: NarrationOutput;
  readonly #printer: InspectPrinter;
  /** Bytes fed, per side. */
  readonly bytes: Record<Side, number> = { client: 0, server: 0 };
  /** How long a secret is waited for (0: a complete key log, nothing is held back). */
  readonly #waitMs: number;
  /** When the records held back began to wait (or last saw a secret come). */
  #since?: number;
  /**
   * A record of zeros, headed in turn by each header of a skimmed stretch
   * (`feedStretch`); this connection's own, since an event may still hold a
   * view of it while another connection is narrated.
   */
  #blank?: Uint8Array;

  /**
   * `secrets.lookup` reads the key log; `ms` > 0 (a key log still being
   * written): records whose secret it does not have yet are held back, up
   * to `maxBytes`, and opened if it comes within `ms`.
   */
  constructor(
    out: NarrationOutput,
    id: number,
    secrets?: { lookup: SecretLookup; ms: number; maxBytes: number },
  ) {
    this.id = id;
    this.#out = out;
    this.#printer = new InspectPrinter({ ...out, prefix: `#${id} ` });
    this.#waitMs = secrets?.ms ?? 0;
    const hold = this.#waitMs > 0 ? { maxBytes: secrets!.maxBytes } : undefined;
    const inPlace = out.inPlace === true && !out.level.bytes;
    this.observer = new ConversationObserver(
      this.#event,
      secrets?.lookup,
      out.crypto,
      hold,
      inPlace,
    );
  }

  /** Whether records are held back, waiting for a secret: call `poll` soon. */
  get holding(): boolean {
    return this.observer.holding;
  }

  /** Feeds bytes `from` sent (one call at a time). */
  async feed(from: Side, bytes: Uint8Array): Promise<void> {
    this.bytes[from] += bytes.length;
    await this.observer.feed(from, bytes);
    if (this.holding) this.#since ??= Date.now();
  }

  /**
   * Feeds a stretch of what `from` sent, as the relay skims it without a
   * key log: a record whose body the relay kept to itself is fed as its
   * header and a body of zeros, since without secrets it is told by its
   * header and length and its body is never read (nor shown: the relay
   * skims only when the byte view is off).
   */
  async feedStretch(from: Side, s: Stretch): Promise<void> {
    if ("bytes" in s) return await this.feed(from, s.bytes);
    const headers = "sealed" in s ? s.sealed : s.unfinished;
    const blank = this.#blank ??= new Uint8Array(HEADER_LENGTH + MAX_CIPHERTEXT);
    for (let at = 0; at < headers.length; at += HEADER_LENGTH) {
      blank.set(headers.subarray(at, at + HEADER_LENGTH));
      const length = "sealed" in s ? (blank[3] << 8) | blank[4] : s.seen;
      await this.feed(from, blank.subarray(0, HEADER_LENGTH + length));
    }
  }

  /** Looks for the secrets awaited again; past the wait, shows what is held back encrypted. */
  async poll(): Promise<void> {
    if (!this.holding) return;
    const found = await this.observer.retry();
    const now = Date.now();
    if (found) this.#since = now;
    else if (now - (this.#since ?? now) >= this.#waitMs) {
      await this.observer.stopWaiting(`waited ${this.#waitMs / 1000} s for it`);
    }
    if (!this.holding) this.#since = undefined;
  }

  /** A line about the connection itself, with its JSON form. */
  say(text: string, json: Record<string, unknown>): void {
    if (this.#out.json) this.#out.write(JSON.stringify({ connection: this.id, ...json }));
    else this.#printer.line(text);
  }

  readonly #event = (e: InspectEvent): void => {
    if (!this.#out.json) return this.#printer.event(e);
    const obj = eventJson(this.id, e, this.#out.level.secrets);
    if (obj) this.#out.write(JSON.stringify(obj));
  };
}
