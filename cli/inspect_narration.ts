/**
 * One watched connection from bytes to words: an observer
 * (`lib/inspect/observer.ts`) fed in order, and its events printed as text
 * (`inspect_printer.ts`) or as JSON lines (`inspect_json.ts`), every line
 * marked with the connection's number.
 *
 * @module
 */

import type { CryptoProvider } from "../lib/crypto/provider.ts";
import type { InspectEvent, SecretLookup } from "../lib/inspect/observer.ts";
import { ConversationObserver } from "../lib/inspect/observer.ts";
import type { Side } from "../lib/trace.ts";
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
}

/** The narration of connection number `id`. */
export class Narration {
  readonly id: number;
  readonly observer: ConversationObserver;
  readonly #out: NarrationOutput;
  readonly #printer: InspectPrinter;
  /** Bytes fed, per side. */
  readonly bytes: Record<Side, number> = { client: 0, server: 0 };

  constructor(out: NarrationOutput, id: number, lookup?: SecretLookup) {
    this.id = id;
    this.#out = out;
    this.#printer = new InspectPrinter({ ...out, prefix: `#${id} ` });
    this.observer = new ConversationObserver(this.#event, lookup, out.crypto);
  }

  /** Feeds bytes `from` sent (one call at a time). */
  feed(from: Side, bytes: Uint8Array): Promise<void> {
    this.bytes[from] += bytes.length;
    return this.observer.feed(from, bytes);
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
