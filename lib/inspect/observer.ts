/**
 * Watching a TLS 1.3 conversation between two other programs, from the bytes
 * each side sent (a relay or a capture feeds them in the order they passed):
 * records as framed on the wire (RFC 8446 §5.1), handshake messages put back
 * together (§5.1), and — with the traffic secrets of a key log — records
 * opened (§5.2) with keys that follow the handshake (§7.1) and every
 * KeyUpdate (§4.6.3, §7.2). Without secrets, encrypted records are reported
 * as such and nothing is guessed about what they hold.
 *
 * A relay reads the key log while the programs it watches still write it, and
 * a program may log a secret after its first records have passed (Chromium
 * writes SSLKEYLOGFILE from a background task). An observer told it may
 * `hold` keeps the records of a direction whose secret is not logged yet,
 * up to a bound, and opens them once `retry` finds it, or shows them
 * encrypted when its owner stops waiting (`stopWaiting`); the other
 * direction goes on meanwhile.
 *
 * The events are the trace's own (`lib/trace.ts`), plus what only an observer
 * has to say. Bad input is reported and stops the decoding of that
 * direction; it never throws.
 *
 * @module
 */

import {
  CipherSuite,
  ContentType,
  ExtensionType,
  HandshakeType,
  ProtocolVersion,
} from "../codepoints.ts";
import { decodeSelectedVersion, findExtension } from "../handshake/extensions.ts";
import {
  decodeClientHello,
  decodeKeyUpdate,
  decodeServerHello,
  isHelloRetryRequest,
  messageName,
} from "../handshake/messages.ts";
import { Deframer, type RawRecord } from "../record/deframer.ts";
import { defaultProvider } from "../crypto/default.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import type { Suite } from "../crypto/suites.ts";
import { HandshakeJoiner } from "../record/handshake_joiner.ts";
import { concat } from "../wire/writer.ts";
import { Direction, type Epoch, type OpenedRecord, openRecord } from "../record/record_layer.ts";
import type { Side, TraceEvent } from "../trace.ts";
import type { KeyLogLabel } from "./key_log_reader.ts";
import { decryptableSuite, nextTrafficSecret, type RecordKeys, recordKeys } from "./record_keys.ts";

/** What an observer reports: the trace's events, and its own. */
export type InspectEvent =
  | TraceEvent
  /** An encrypted record that could not be opened, and why. */
  | { kind: "sealed"; from: Side; bytes: Uint8Array; why: string }
  /** A traffic secret was found in the key log. */
  | { kind: "key_log"; from: Side; label: KeyLogLabel; value: Uint8Array }
  /** What one side sends is not TLS records; `head` is its first bytes. */
  | { kind: "not_tls"; from: Side; head: Uint8Array }
  /** Something an observer should know: a suite it cannot decrypt, ... */
  | { kind: "note"; from: Side; text: string }
  /** An older version than TLS 1.3 was chosen: from now on, records only. */
  | { kind: "legacy"; from: Side; version: number }
  /** The bytes of one direction stopped making sense; they are no longer decoded. */
  | { kind: "problem"; from: Side; text: string }
  /** One direction ended; `unfinished` bytes of an incomplete record were left. */
  | { kind: "end"; from: Side; unfinished: number };

/** Looks up a traffic secret of the connection with this client random, as far as it is known now. */
export type SecretLookup = (
  clientRandom: Uint8Array,
  label: KeyLogLabel,
) => Promise<Uint8Array | undefined>;

/** Bytes shown of a stream that is not TLS. */
const HEAD = 64;
/** The largest handshake message put back together (a certificate chain fits easily). */
const MAX_MESSAGE = 1 << 20;

/** Keys one direction switches to at its next encrypted record. */
type NextKeys =
  | { epoch: "handshake" | "application"; label: KeyLogLabel }
  | { epoch: "application"; secret: Uint8Array; generation: number };

/** One direction of the conversation. */
class Flow {
  readonly deframer = new Deframer();
  readonly joiner = new HandshakeJoiner(MAX_MESSAGE);
  epoch: Epoch = "plaintext";
  keys?: RecordKeys;
  next?: NextKeys;
  generation = 0;
  /** Encrypted records can no longer be opened (no keys, or they did not open). */
  blind = false;
  /** TLS 1.2: this side sent ChangeCipherSpec, so every record after it is encrypted. */
  changedCipher = false;
  /** Nothing more is decoded (not TLS, or broken framing). */
  stopped = false;
  records = 0;
  /** The key log label awaited: records are held back until it is logged. */
  awaiting?: KeyLogLabel;
  /** Records held back, in order, while `awaiting`. */
  held: RawRecord[] = [];
  /** This side closed while records were held back: its `end` is told after them. */
  endedHolding?: { unfinished: number };
  /** How many records hold the handshake message being put back together. */
  span = 1;
  /** The first bytes sent, kept until the first record is whole (to show what is not TLS). */
  head: Uint8Array = new Uint8Array(0);
}

/**
 * Follows one connection. `feed` the bytes each side sent, in the order they
 * passed, one call at a time (await each); `end` when a side closes.
 */
export class ConversationObserver {
  readonly #emit: (e: InspectEvent) => void;
  readonly #lookup?: SecretLookup;
  readonly #crypto: CryptoProvider;
  readonly #flows: Record<Side, Flow> = { client: new Flow(), server: new Flow() };
  #clientRandom?: Uint8Array;
  #suite?: Suite;
  /** TLS 1.2 (or lower) was chosen: records are shown, messages are not decoded. */
  #legacy = false;
  /** Bytes of records that may be held back, both directions together (0: none). */
  readonly #maxHeld: number;
  #heldBytes = 0;
  /** Fed bytes may be overwritten: records are opened where they lie, when the provider can. */
  readonly #inPlace: boolean;

  /**
   * `lookup` gives traffic secrets (from a key log); without it nothing is
   * decrypted. `crypto` opens the records (the suites it implements).
   * `hold.maxBytes`: records whose secret `lookup` does not know yet are
   * held back, up to this many bytes, for `retry` (without it they are
   * shown encrypted at once: a finished capture with a complete key log).
   * `inPlace`: the caller lets `feed` overwrite what it is given, and needs
   * no ciphertext afterwards: an encrypted record's bytes (in `record` and
   * `sealed` events) then hold what was decrypted, or zeros, after the
   * header (a synchronous provider opens in place; no copy per record).
   */
  constructor(
    emit: (e: InspectEvent) => void,
    lookup?: SecretLookup,
    crypto: CryptoProvider = defaultProvider,
    hold?: { maxBytes: number },
    inPlace = false,
  ) {
    this.#emit = emit;
    this.#lookup = lookup;
    this.#crypto = crypto;
    this.#maxHeld = hold?.maxBytes ?? 0;
    this.#inPlace = inPlace;
  }

  /** Whether records are held back, waiting for a secret. */
  get holding(): boolean {
    return this.#flows.client.awaiting !== undefined || this.#flows.server.awaiting !== undefined;
  }

  /**
   * Looks up the secrets awaited again; the records held back for one that
   * is found now are opened (and told) in order. Returns whether any was found.
   */
  async retry(): Promise<boolean> {
    let found = false;
    for (const from of ["client", "server"] as const) {
      const flow = this.#flows[from];
      const label = flow.awaiting;
      if (!label || !(await this.#lookup!(this.#clientRandom!, label))) continue;
      found = true;
      const n = flow.held.length;
      this.#emit({
        kind: "note",
        from,
        text: `${label} is in the key log now: the ${n} record${
          n === 1 ? "" : "s"
        } held back follow`,
      });
      await this.#release(from, flow);
    }
    return found;
  }

  /**
   * Stops waiting for the secrets awaited (`why` says why): the records held
   * back are shown encrypted, and so is what follows them.
   */
  async stopWaiting(why: string): Promise<void> {
    for (const from of ["client", "server"] as const) {
      const flow = this.#flows[from];
      const label = flow.awaiting;
      if (!label) continue;
      this.#emit({ kind: "note", from, text: `no ${label} in the key log (${why})` });
      flow.epoch = flow.next?.epoch ?? flow.epoch;
      flow.next = undefined;
      flow.keys = undefined;
      flow.blind = true;
      this.#missing = label;
      await this.#release(from, flow);
    }
  }

  /** Whether a side turned out not to speak TLS. */
  get notTls(): boolean {
    return this.#flows.client.stopped && this.#flows.client.records === 0 ||
      this.#flows.server.stopped && this.#flows.server.records === 0;
  }

  /**
   * Bytes `from` sent, in order. They must not change until this resolves
   * (the events it emits hold views of them), nor while `holding` (records
   * held back are views of them); then nothing here refers to them, and the
   * caller may reuse their memory (the relay reads into it again).
   */
  async feed(from: Side, bytes: Uint8Array): Promise<void> {
    const flow = this.#flows[from];
    if (flow.stopped || bytes.length === 0) return;
    if (flow.records === 0 && flow.head.length < HEAD) {
      flow.head = concat(flow.head, bytes.subarray(0, HEAD - flow.head.length));
    }
    flow.deframer.push(bytes);
    // The whole records these bytes complete (views of them, or of the deframer's own copy).
    const records: RawRecord[] = [];
    let broken: Error | undefined;
    try {
      for (let r = flow.deframer.next(); r; r = flow.deframer.next()) records.push(r);
    } catch (e) {
      broken = e as Error;
    }
    const ahead = new OpeningAhead(records, this.#inPlace);
    for (let i = 0; i < records.length && !flow.stopped; i++) {
      flow.records++;
      const opening = this.#opensAhead(flow) ? ahead.outcome(flow.keys!, i) : undefined;
      if (!opening) await this.#record(from, flow, records[i]);
      else this.#tell(from, flow, records[i], opening instanceof Promise ? await opening : opening);
    }
    if (broken && !flow.stopped) this.#framingFailed(from, flow, broken);
  }

  /**
   * Whether `flow`'s next encrypted records are opened with the keys it has
   * now, whatever they hold: none of them can change the keys before the
   * one after it is opened (a KeyUpdate sets `next`, a record that does not
   * open makes the flow blind), so they may be opened ahead.
   */
  #opensAhead(flow: Flow): boolean {
    return flow.keys !== undefined && !flow.next && !flow.blind && !flow.awaiting &&
      !flow.changedCipher;
  }

  /** `from` closed its side of the connection. */
  end(from: Side): void {
    const flow = this.#flows[from];
    if (flow.awaiting) {
      flow.endedHolding = { unfinished: flow.stopped ? 0 : flow.deframer.buffered };
      flow.stopped = true;
      return;
    }
    this.#emit({ kind: "end", from, unfinished: flow.stopped ? 0 : flow.deframer.buffered });
    flow.stopped = true;
  }

  #framingFailed(from: Side, flow: Flow, e: Error): void {
    flow.stopped = true;
    if (flow.records === 0) {
      this.#emit({ kind: "not_tls", from, head: flow.head });
      // Not a TLS connection: nothing more is said of it, either way.
      this.#flows[from === "client" ? "server" : "client"].stopped = true;
    } else {
      this.#problem(from, `the record layer breaks off: ${e.message}`);
    }
  }

  #problem(from: Side, text: string): void {
    this.#flows[from].stopped = true;
    this.#emit({ kind: "problem", from, text });
  }

  /** Holds `record` back while `flow` awaits its secret, or gives up past the bound. */
  async #hold(from: Side, flow: Flow, record: RawRecord): Promise<void> {
    const size = record.header.length + record.fragment.length;
    if (flow.held.length === 0) {
      const text = `${flow.awaiting} is not in the key log yet: records from the ${from} ` +
        "are held back until it is";
      this.#emit({ kind: "note", from, text });
    }
    flow.held.push(record);
    this.#heldBytes += size;
    if (this.#heldBytes > this.#maxHeld) {
      await this.stopWaiting(`more than ${this.#maxHeld} bytes held back`);
    }
  }

  /** Stops holding `flow`'s records back and tells them, in order (they may be held again). */
  async #release(from: Side, flow: Flow): Promise<void> {
    const held = flow.held;
    flow.held = [];
    flow.awaiting = undefined;
    const stopped = flow.stopped;
    for (const record of held) {
      this.#heldBytes -= record.header.length + record.fragment.length;
      // A problem in one of them stops the rest.
      if (!flow.stopped || stopped) await this.#record(from, flow, record);
    }
    if (flow.endedHolding && !flow.awaiting) {
      this.#emit({ kind: "end", from, unfinished: flow.endedHolding.unfinished });
      flow.endedHolding = undefined;
    }
  }

  async #record(from: Side, flow: Flow, record: RawRecord): Promise<void> {
    if (flow.awaiting) return await this.#hold(from, flow, record);
    const bytes = wholeRecord(record);
    if (flow.changedCipher) {
      return this.#emit({ kind: "sealed", from, bytes, why: "TLS 1.2, after ChangeCipherSpec" });
    }
    if (record.type === ContentType.application_data && flow.epoch === "plaintext" && !flow.next) {
      flow.blind = true;
    }
    if (record.type === ContentType.application_data && !flow.blind && flow.next) {
      if (!(await this.#switchKeys(from, flow))) return await this.#hold(from, flow, record);
    }
    if (record.type === ContentType.application_data && (flow.blind || !flow.keys)) {
      return this.#emit({ kind: "sealed", from, bytes, why: this.#whySealed(flow) });
    }
    let outcome: Outcome;
    try {
      outcome = { opened: await (flow.keys ?? PLAINTEXT).open(record, this.#inPlace) };
    } catch (e) {
      outcome = { error: e as Error };
    }
    this.#tell(from, flow, record, outcome);
  }

  /** Tells `record` once opened (or not), and what it holds. */
  #tell(from: Side, flow: Flow, record: RawRecord, outcome: Outcome): void {
    const bytes = wholeRecord(record);
    if ("error" in outcome) {
      if (record.type === ContentType.application_data) {
        flow.blind = true;
        const why = `does not open with the key log's secret (${outcome.error.message})`;
        return this.#emit({ kind: "sealed", from, bytes, why });
      }
      return this.#problem(from, outcome.error.message);
    }
    const opened = outcome.opened;
    const epoch = opened.encrypted ? flow.epoch : "plaintext";
    const { type, content } = opened;
    this.#emit({ kind: "record", from, epoch, bytes, contentType: type, content });
    if (type === ContentType.change_cipher_spec && this.#legacy) flow.changedCipher = true;
    if (type === ContentType.handshake && !this.#legacy) {
      this.#handshake(from, flow, content, epoch);
    } else if (type === ContentType.alert) {
      if (content.length !== 2) {
        return this.#problem(from, `an alert record of ${content.length} bytes, not 2`);
      }
      this.#emit({ kind: "alert", from, level: content[0], description: content[1] });
    }
  }

  #handshake(from: Side, flow: Flow, fragment: Uint8Array, epoch: Epoch): void {
    const next = () => {
      try {
        return flow.joiner.next();
      } catch (e) {
        this.#problem(from, (e as Error).message);
      }
    };
    flow.span = flow.joiner.pending ? flow.span + 1 : 1;
    try {
      flow.joiner.push(fragment);
    } catch (e) {
      return this.#problem(from, (e as Error).message);
    }
    let first = true;
    for (let m = next(); m; m = next()) {
      this.#emit({ kind: "message", from, type: m.type, raw: m.raw, epoch });
      if (first && flow.span > 1) {
        this.#emit({ kind: "note", from, text: `put back together from ${flow.span} records` });
      }
      // A message still incomplete after this one began in this record.
      first = false;
      flow.span = 1;
      try {
        this.#message(from, m.type, m.body);
      } catch (e) {
        // The records go on being shown; keys that depended on this message are not followed.
        const text = `this ${messageName(m.type)} cannot be used: ${(e as Error).message}`;
        this.#emit({ kind: "note", from, text });
      }
    }
  }

  /** What a message means for the keys of the records that follow it. */
  #message(from: Side, type: number, body: Uint8Array): void {
    const client = this.#flows.client, server = this.#flows.server;
    switch (type) {
      case HandshakeType.client_hello:
        this.#clientRandom ??= decodeClientHello(body).random;
        return;
      case HandshakeType.server_hello: {
        const sh = decodeServerHello(body);
        if (isHelloRetryRequest(sh)) return;
        const sv = findExtension(sh.extensions, ExtensionType.supported_versions);
        const version = sv ? decodeSelectedVersion(sv) : sh.legacyVersion;
        if (version !== ProtocolVersion.TLSv1_3) {
          this.#legacy = client.blind = server.blind = true;
          return this.#emit({ kind: "legacy", from, version });
        }
        this.#suite = decryptableSuite(this.#crypto, sh.cipherSuite);
        if (!this.#suite && this.#lookup) {
          this.#emit({
            kind: "note",
            from,
            text: `${CipherSuite.name(sh.cipherSuite)} cannot be decrypted here ` +
              `(the ${this.#crypto.name} crypto provider does not implement it)`,
          });
        }
        server.next = { epoch: "handshake", label: "SERVER_HANDSHAKE_TRAFFIC_SECRET" };
        client.next = { epoch: "handshake", label: "CLIENT_HANDSHAKE_TRAFFIC_SECRET" };
        return;
      }
      case HandshakeType.finished:
        this.#flows[from].next = {
          epoch: "application",
          label: from === "server" ? "SERVER_TRAFFIC_SECRET_0" : "CLIENT_TRAFFIC_SECRET_0",
        };
        return;
      case HandshakeType.key_update: {
        const requested = decodeKeyUpdate(body);
        this.#emit({ kind: "key_update", from, requestUpdate: requested });
        const flow = this.#flows[from];
        if (flow.keys && this.#suite) {
          const secret = nextTrafficSecret(this.#suite, flow.keys.secret);
          flow.next = { epoch: "application", secret, generation: flow.generation + 1 };
        }
        return;
      }
    }
  }

  /**
   * Installs the keys `flow.next` names, from the key log or a KeyUpdate.
   * Returns false, changing nothing, when the key log does not have the
   * secret yet and records may be held back until it does.
   */
  async #switchKeys(from: Side, flow: Flow): Promise<boolean> {
    const next = flow.next!;
    let secret: Uint8Array | undefined;
    if (this.#suite && this.#lookup && this.#clientRandom && "label" in next) {
      secret = await this.#lookup(this.#clientRandom, next.label);
      if (!secret && this.#maxHeld > 0) {
        flow.awaiting = next.label;
        return false;
      }
    }
    flow.next = undefined;
    flow.keys = undefined;
    flow.epoch = next.epoch;
    if (!this.#suite || !this.#lookup || !this.#clientRandom) {
      flow.blind = true;
      return true;
    }
    if ("label" in next) {
      if (!secret) {
        flow.blind = true;
        this.#missing = next.label;
        return true;
      }
      this.#emit({ kind: "key_log", from, label: next.label, value: secret });
    } else {
      secret = next.secret;
      flow.generation = next.generation;
      this.#emit({
        kind: "secret",
        name: `${from}_application_traffic_secret_${next.generation}`,
        value: secret,
      });
    }
    flow.keys = await recordKeys(this.#suite, secret, next.epoch);
    const { key, iv } = flow.keys;
    this.#emit({ kind: "keys", direction: from, epoch: next.epoch, key, iv });
    return true;
  }

  /** The label last looked up in vain. */
  #missing?: KeyLogLabel;

  #whySealed(flow: Flow): string {
    if (this.#legacy) return "TLS 1.2 record";
    if (!this.#lookup) return "no key log";
    if (!this.#suite) return "suite not decryptable here";
    if (!this.#clientRandom) return "the ClientHello was not seen";
    if (this.#missing) return `the key log has no ${this.#missing} for this connection`;
    return flow.epoch === "plaintext"
      ? "sent before any ServerHello (0-RTT early data, which this tool does not follow)"
      : "not opened";
  }
}

/** A record opened, or why it did not open. */
type Outcome = { opened: OpenedRecord } | { error: Error };

/**
 * Records of one direction opened at once, at most: an asynchronous
 * provider works on all of them while their results are told in order
 * (WebCrypto's AES-GCM runs on other threads, and a hand-off per record,
 * waited for, costs more CPU than the decryption of 16 KiB).
 */
const OPEN_AHEAD = 16;

/**
 * The records of one `feed`, opened up to OPEN_AHEAD ahead of the one
 * being told, with the keys the flow had then. Each is opened once, in
 * order, so the keys' sequence numbers follow the records; when the keys
 * change, what was opened with the old ones is dropped.
 */
class OpeningAhead {
  readonly #records: readonly RawRecord[];
  readonly #inPlace: boolean;
  readonly #outcomes: (Outcome | Promise<Outcome> | undefined)[] = [];
  #keys?: RecordKeys;
  /** Records before this one have been opened (or passed over: not application data). */
  #next = 0;

  constructor(records: readonly RawRecord[], inPlace: boolean) {
    this.#records = records;
    this.#inPlace = inPlace;
  }

  /**
   * Record `i`'s outcome with `keys`, the flow's keys now, which open every
   * application data record from `i` on; undefined if it is not one.
   */
  outcome(keys: RecordKeys, i: number): Outcome | Promise<Outcome> | undefined {
    if (keys !== this.#keys) {
      this.#keys = keys;
      this.#next = i;
    }
    this.#next = Math.max(this.#next, i);
    // A record opened in place with keys that turn out wrong (after a KeyUpdate) is lost: in
    // place, each is opened when its turn comes (a synchronous provider gains nothing ahead).
    const ahead = this.#inPlace && keys.opensInPlace ? 1 : OPEN_AHEAD;
    const end = Math.min(this.#records.length, i + ahead);
    while (this.#next < end && this.#records[this.#next].type === ContentType.application_data) {
      this.#outcomes[this.#next] = open(keys, this.#records[this.#next], this.#inPlace);
      this.#next++;
    }
    const outcome = this.#outcomes[i];
    this.#outcomes[i] = undefined;
    return outcome;
  }
}

/** Opens `record` with `keys`; a failure is an outcome too, never a rejection. */
function open(keys: RecordKeys, record: RawRecord, inPlace: boolean): Outcome | Promise<Outcome> {
  try {
    const opened = keys.open(record, inPlace);
    return opened instanceof Promise
      ? opened.then((o) => ({ opened: o }), (e) => ({ error: e as Error }))
      : { opened };
  } catch (e) {
    return { error: e as Error };
  }
}

/** Before keys, records pass through the record layer as plaintext (with its size limit). */
const PLAINTEXT: Pick<RecordKeys, "open"> = {
  open: async (record) => await openRecord(new Direction(), record),
};

/**
 * The record as it crossed the wire: header and fragment are adjacent views
 * of bytes that never change (what `feed` was given, or the deframer's own
 * copy of a record that spanned feeds), so a view of both will do.
 */
function wholeRecord(r: RawRecord): Uint8Array {
  const h = r.header;
  return new Uint8Array(h.buffer, h.byteOffset, h.length + r.fragment.length);
}
