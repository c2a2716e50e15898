/**
 * `inspect`'s narration of one watched connection, in the trace's words:
 * every record as it crossed the wire (type, version, length, and what it
 * held once opened), and the handshake messages, keys, alerts and KeyUpdates
 * printed by the trace's own printer. Application data is shown in a line:
 * text as text, anything else as hex.
 *
 * @module
 */

import { ContentType, HandshakeType } from "../lib/codepoints.ts";
import { dissectSealed } from "../lib/inspect/dissect.ts";
import type { InspectEvent } from "../lib/inspect/observer.ts";
import type { Side } from "../lib/trace.ts";
import { versionName } from "../lib/codepoints.ts";
import { renderFields } from "./byte_view.ts";
import type { Paint } from "./paint.ts";
import { type TraceLevel, TracePrinter } from "./trace_printer.ts";

/** Application data is shown up to this many characters. */
const PREVIEW = 72;
/** Decodes ASCII (never asked to stream, so it keeps no state between calls). */
const ascii = new TextDecoder();

/** Prints the events of one connection. */
export class InspectPrinter {
  readonly #trace: TracePrinter;
  readonly #level: TraceLevel;
  readonly #p: Paint;
  readonly #write: (line: string) => void;
  readonly #prefix: string;
  /** TLS 1.2 or older: ChangeCipherSpec means what it says. */
  #legacy = false;

  constructor(
    o: { level: TraceLevel; paint: Paint; write: (line: string) => void; prefix: string },
  ) {
    this.#trace = new TracePrinter({ ...o, observer: true });
    this.#level = o.level;
    this.#p = o.paint;
    this.#write = o.write;
    this.#prefix = o.prefix;
  }

  /** A line about the connection itself (opened, closed). */
  line(text: string): void {
    this.#write(`${this.#prefix}${text}`);
  }

  /** Prints one event. */
  readonly event = (e: InspectEvent): void => {
    switch (e.kind) {
      case "record":
        return this.#record(e);
      case "sealed":
        return this.#sealed(e.from, e.bytes, e.why);
      case "key_log":
        return this.#detail(
          `from the key log: ${e.label}${this.#level.secrets ? ` = ${e.value.toHex()}` : ""}`,
        );
      case "not_tls":
        return this.#heading(
          e.from,
          this.#p.bad(`not TLS: ${preview(e.head)}`) + " · relayed as it is, not decoded",
        );
      case "note":
        return this.#detail(e.text);
      case "legacy":
        this.#legacy = true;
        return this.#detail(
          `${versionName(e.version)} was chosen: inspect decodes TLS 1.3, so what follows is ` +
            "shown as records only",
        );
      case "problem":
        return this.#heading(e.from, this.#p.bad(`no longer decoded: ${e.text}`));
      case "end":
        return this.#heading(
          e.from,
          "closes its side of the TCP connection" +
            (e.unfinished
              ? this.#p.bad(` inside a record (${e.unfinished} bytes unfinished)`)
              : ""),
        );
      case "message":
        this.#trace.event(e);
        if (e.type === HandshakeType.finished) {
          this.#detail(`verify_data ${e.raw.subarray(4).toHex()}`);
        }
        return;
      default:
        return this.#trace.event(e);
    }
  };

  #arrow(from: Side): string {
    const text = `${from} → ${from === "client" ? "server" : "client"}`;
    return from === "client" ? this.#p.client(text) : this.#p.server(text);
  }

  #heading(from: Side, text: string): void {
    this.line(`${this.#arrow(from)}  ${text}`);
  }

  #detail(text: string): void {
    this.line(`    ${text}`);
  }

  /** `record handshake · TLS 1.0 · 512 bytes`: the header as it was on the wire. */
  #wire(bytes: Uint8Array): string {
    const type = ContentType.name(bytes[0]);
    const version = versionName((bytes[1] << 8) | bytes[2]);
    const n = bytes.length - 5;
    return `record ${type} · ${version} · ${n} byte${n === 1 ? "" : "s"}`;
  }

  #record(e: Extract<InspectEvent, { kind: "record" }>): void {
    if (this.#level.bytes) {
      this.#trace.event(e);
    } else {
      const inside = e.epoch === "plaintext"
        ? ""
        : ` → opened with ${e.epoch} keys: ${ContentType.name(e.contentType)}, ` +
          `${e.content.length} bytes`;
      const ccs = e.contentType !== ContentType.change_cipher_spec
        ? ""
        : this.#legacy
        ? ": ChangeCipherSpec, encrypted from here on"
        : ": ChangeCipherSpec, for middlebox compatibility only";
      this.#heading(e.from, this.#p.dim(this.#wire(e.bytes) + inside) + ccs);
    }
    if (e.contentType === ContentType.application_data && e.epoch !== "plaintext") {
      this.#detail(`application data: ${preview(e.content)}`);
    }
  }

  #sealed(from: Side, bytes: Uint8Array, why: string): void {
    const n = bytes.length - 5;
    this.#heading(from, `${this.#p.dim(this.#wire(bytes))}: encrypted, ${n} bytes (${why})`);
    if (!this.#level.bytes) return;
    for (const line of renderFields(dissectSealed(bytes), this.#p, 4)) this.line(line);
  }
}

/**
 * Bytes in one line: printable text in quotes (newlines and tabs escaped),
 * anything else as hex; cut with `…` and the full size.
 */
export function preview(bytes: Uint8Array): string {
  // Only what can show: at most 4 bytes a character.
  const head = bytes.subarray(0, PREVIEW * 4 + 4);
  const kind = scan(head);
  if (kind === "binary") return hexPreview(bytes);
  const size = `(${bytes.length} byte${bytes.length === 1 ? "" : "s"})`;
  if (kind === "ascii") {
    // One character a byte, each escaped to one or more: the first PREVIEW + 1 decide the line.
    const shown = head.subarray(0, PREVIEW + 1);
    const escaped = JSON.stringify(ascii.decode(shown)).slice(1, -1);
    return escaped.length <= PREVIEW && shown.length === bytes.length
      ? `"${escaped}"`
      : `"${escaped.slice(0, PREVIEW)}…" ${size}`;
  }
  // `stream` keeps a character cut at the end from reading as invalid.
  const text = new TextDecoder("utf-8").decode(head, { stream: head.length < bytes.length });
  // Control characters are ruled out above; what does not decode reads as U+FFFD.
  if (text.includes("\ufffd")) return hexPreview(bytes);
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length <= PREVIEW && head.length === bytes.length
    ? `"${escaped}"`
    : `"${escaped.slice(0, PREVIEW)}…" ${size}`;
}

/**
 * What `head` holds, from its bytes alone: a control character other than
 * tab, newline and carriage return (a byte below 0x20, or 0x7f, is that
 * character in UTF-8, whatever comes before it) makes it binary; printable
 * ASCII only is text as it stands; anything else must be decoded to tell.
 */
function scan(head: Uint8Array): "binary" | "ascii" | "utf-8" {
  let ascii = true;
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b < 0x20 ? b !== 0x09 && b !== 0x0a && b !== 0x0d : b === 0x7f) return "binary";
    if (b > 0x7f) ascii = false;
  }
  return ascii ? "ascii" : "utf-8";
}

function hexPreview(bytes: Uint8Array): string {
  const hex = bytes.subarray(0, PREVIEW / 2).toHex();
  return bytes.length <= PREVIEW / 2
    ? `hex ${hex}`
    : `hex ${hex}… (${bytes.length} byte${bytes.length === 1 ? "" : "s"})`;
}
