/**
 * What a connection sends, in order (RFC 8446 §5): handshake messages
 * queued by the handshake, the compatibility ChangeCipherSpec, key changes
 * queued in their place, application data and alerts, sealed under the
 * keys in force at their turn and joined into one output.
 *
 * The outbox also keeps the trace in protocol order. A key change takes
 * effect only when the queue is flushed, but the trace tells the
 * connection as if each change were sealed at once: what was queued
 * before it (its records) and the change itself come first, what the
 * connection reported after it follows. So events reported while a key
 * change waits in the queue wait with it, and tracing never changes when
 * keys are installed or what is sent.
 *
 * @module
 */

import { ContentType } from "../codepoints.ts";
import type { RecordCipher } from "../crypto/aead.ts";
import type { MaybePromise } from "../crypto/provider.ts";
import { Serial } from "../serial.ts";
import type { Side, TraceEvent } from "../trace.ts";
import { concat } from "../wire/writer.ts";
import { MAX_PLAINTEXT } from "./deframer.ts";
import { Direction, type Epoch, sealRecords } from "./record_layer.ts";

/** Record protection keys derived from a traffic secret, made into the provider's AEAD key. */
export interface Keys {
  key: Uint8Array;
  iv: Uint8Array;
  cipher: RecordCipher;
}

/** RFC 8446 §D.4: the compatibility ChangeCipherSpec, always a plaintext record. */
export const CHANGE_CIPHER_SPEC_RECORD: Uint8Array = new Uint8Array([
  ContentType.change_cipher_spec,
  3,
  3,
  0,
  1,
  1,
]);

/** Sealed output at least this long goes into memory the outbox may reuse (see `release()`). */
const REUSED_OUTPUT = 1 << 14;
/** Output buffers given back by `release()` and kept for reuse, at most. */
const SPARE_OUTPUTS = 2;
/** Reused output buffers are made in multiples of this, so that one fits writes of similar size. */
const OUTPUT_UNIT = 1 << 14;
/**
 * Records of application data an asynchronous AEAD may be sealing at once
 * across writes (see `write()`): WebCrypto works on them in parallel.
 */
const SEALS_IN_FLIGHT = 8;

/** A seal under way: its records join the output once those before it have. */
interface Sealing {
  joined: Promise<void>;
  records: number;
}

/**
 * A queued item: handshake bytes (sealed under the keys in force when their
 * turn comes), the plaintext CCS, a change of our sending keys (its AEAD
 * key possibly still being made, installed in its place in the queue), or
 * a trace event reported after a key change that is still queued.
 */
type Pending =
  | { type: "handshake"; data: Uint8Array }
  | { type: "ccs" }
  | { type: "data"; data: Uint8Array }
  | { type: "plaintext" }
  | { type: "keys"; keys: MaybePromise<Keys>; secret: Uint8Array; epoch: Epoch }
  | { type: "trace"; event: TraceEvent };

/** The sending half of a connection. */
export class Outbox {
  /** Our sending direction: its keys, epoch and traffic secret. */
  readonly direction: Direction = new Direction();
  readonly #side: Side;
  readonly #maxFragment: number;
  readonly #trace?: (event: TraceEvent) => void;
  readonly #serial = new Serial();
  #out: Uint8Array[] = [];
  #pending: Pending[] = [];
  #queuedEpoch: Epoch = "plaintext";
  /** Key changes in `#pending`. */
  #keysQueued = 0;
  /** Flushes begun and not finished. */
  #flushing = 0;
  /** Output buffers handed out (in what `take()` returned) that `release()` may take back. */
  readonly #issued = new WeakSet<ArrayBufferLike>();
  /** Output buffers given back, to seal into again. */
  readonly #spares: ArrayBuffer[] = [];
  /** Seals under way whose records have not joined the output yet, oldest first. */
  readonly #sealing: Sealing[] = [];
  /** Records in `#sealing`. */
  #recordsSealing = 0;

  /**
   * @param side who sends (for the trace)
   * @param maxFragment the largest record content to send (at most 2^14)
   * @param trace receives the `record` and `keys` events of what is sent,
   *   and the events given to `observe()`, in protocol order, when tracing
   */
  constructor(side: Side, maxFragment: number, trace?: (event: TraceEvent) => void) {
    this.#side = side;
    this.#maxFragment = Math.max(1, Math.min(maxFragment, MAX_PLAINTEXT));
    this.#trace = trace;
  }

  /** The epoch queued messages will be sealed under (the last key change queued). */
  get queuedEpoch(): Epoch {
    return this.#queuedEpoch;
  }

  /** Queues a handshake message. */
  queueHandshake(raw: Uint8Array): void {
    this.#pending.push({ type: "handshake", data: raw });
  }

  /** Queues application data: 0-RTT data, sent within the handshake (RFC 8446 §4.2.10). */
  queueApplicationData(data: Uint8Array): void {
    this.#pending.push({ type: "data", data });
  }

  /** Queues a return to plaintext: what is queued after it is sent in the clear. */
  queuePlaintext(): void {
    this.#pending.push({ type: "plaintext" });
    this.#queuedEpoch = "plaintext";
  }

  /** Queues the compatibility ChangeCipherSpec. */
  queueChangeCipherSpec(): void {
    this.#pending.push({ type: "ccs" });
  }

  /** Queues a change of keys: what is queued after it is sealed under them. */
  queueKeys(keys: MaybePromise<Keys>, secret: Uint8Array, epoch: Epoch): void {
    if (keys instanceof Promise) keys.catch(() => {}); // awaited, and its failure surfaced, by flush()
    this.#pending.push({ type: "keys", keys, secret, epoch });
    this.#keysQueued++;
    this.#queuedEpoch = epoch;
  }

  /**
   * Reports a trace event of the connection at this point of the protocol:
   * at once, or after the key changes queued before it, when they are.
   */
  observe(event: TraceEvent): void {
    if (!this.#trace) return;
    if (this.#keysQueued > 0 || this.#flushing > 0) this.#pending.push({ type: "trace", event });
    else this.#trace(event);
  }

  /** Drops what is queued and not yet sealed (the connection failed); its trace events are told. */
  discardQueued(): void {
    const items = this.#pending;
    this.#pending = [];
    this.#keysQueued = 0;
    if (this.#trace) this.#tell(items, 0, items.length);
  }

  /** Puts keys in force for what we send from now on. */
  install(keys: Keys, secret: Uint8Array, epoch: Epoch): void {
    this.#trace?.({ kind: "keys", direction: this.#side, epoch, key: keys.key, iv: keys.iv });
    this.direction.set(keys.cipher, secret, epoch);
    this.#queuedEpoch = epoch;
  }

  /** Runs `job` in the sending order: no other sealing overlaps it. */
  run<T>(job: () => Promise<T>): Promise<T> {
    return this.#serial.run(job);
  }

  /**
   * Seals what is queued, in order, installing the key changes between.
   * The trace events queued after a key change are told before what
   * follows that change is sealed (see the module's comment).
   */
  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const items = this.#pending;
    this.#pending = [];
    this.#keysQueued = 0;
    if (!this.#trace) return await this.#serial.run(() => this.#sealItems(items, 0, items.length));
    this.#flushing++;
    let done = 0;
    try {
      await this.#serial.run(async () => {
        while (done < items.length) {
          const keys = items.findIndex((item, i) => i >= done && item.type === "keys");
          const end = keys < 0 ? items.length : keys + 1;
          this.#tell(items, done, end);
          await this.#sealItems(items, done, end);
          done = end;
        }
      });
    } finally {
      this.#tell(items, done, items.length); // a key change failed: the events are still told
      if (--this.#flushing === 0) this.#tellLeadingEvents();
    }
  }

  /** Seals the items from `start` to `end` (trace events aside), installing a key change. */
  async #sealItems(items: Pending[], start: number, end: number): Promise<void> {
    for (let i = start; i < end;) {
      const item = items[i];
      if (item.type === "ccs") {
        await this.#sealing.at(-1)?.joined; // after what is being sealed
        this.#traceRecord(ContentType.change_cipher_spec, "plaintext", CHANGE_CIPHER_SPEC_RECORD);
        this.#out.push(CHANGE_CIPHER_SPEC_RECORD);
        i++;
      } else if (item.type === "keys") {
        this.install(await item.keys, item.secret, item.epoch);
        i++;
      } else if (item.type === "plaintext") {
        this.direction.clear();
        i++;
      } else if (item.type === "data") {
        await this.seal(ContentType.application_data, item.data);
        i++;
      } else if (item.type === "trace") {
        i++;
      } else {
        const run: Uint8Array[] = [];
        for (; i < end && (items[i].type === "handshake" || items[i].type === "trace"); i++) {
          const next = items[i];
          if (next.type === "handshake") run.push(next.data);
        }
        await this.seal(ContentType.handshake, run.length === 1 ? run[0] : concat(...run));
      }
    }
  }

  /** Tells the trace events among the items from `start` to `end`, in order. */
  #tell(items: Pending[], start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const item = items[i];
      if (item.type === "trace") this.#trace!(item.event);
    }
  }

  /**
   * After the last flush under way: tells the events queued while it ran,
   * up to the first key change still queued, and keeps the rest queued.
   */
  #tellLeadingEvents(): void {
    const keys = this.#pending.findIndex((item) => item.type === "keys");
    const end = keys < 0 ? this.#pending.length : keys;
    if (!this.#pending.slice(0, end).some((item) => item.type === "trace")) return;
    this.#tell(this.#pending, 0, end);
    this.#pending = this.#pending.filter((item, i) => i >= end || item.type !== "trace");
  }

  /**
   * Seals application data after the handshake, in the sending order. With
   * an asynchronous AEAD (and no trace), a write's sequence numbers are
   * taken and its seals started in its turn, and the next write may start
   * its own while up to SEALS_IN_FLIGHT records are being sealed; records
   * join the output in order, each write's once those before it have, and
   * none after a failed seal. Resolves once this write's records are in the
   * output (or rejects with its seal's failure, or an earlier one's).
   */
  async write(data: Uint8Array): Promise<void> {
    let joined: Promise<void> = Promise.resolve();
    await this.#serial.run(async () => {
      if (this.#trace) return await this.seal(ContentType.application_data, data);
      joined = this.#startSeal(ContentType.application_data, data);
      while (this.#recordsSealing > SEALS_IN_FLIGHT) {
        await this.#sealing[0].joined.catch(() => {});
      }
    });
    await joined;
  }

  /** Seals `content` of `type` under the keys in force. Call only from a job given to run(). */
  async seal(type: number, content: Uint8Array): Promise<void> {
    await this.#startSeal(type, content);
  }

  /**
   * Starts sealing `content` of `type` under the keys in force (sequence
   * numbers taken now); the returned promise resolves once its records are
   * in the output, after those of every seal started before.
   */
  #startSeal(type: number, content: Uint8Array): Promise<void> {
    const epoch = this.direction.epoch;
    const sealed = sealRecords(this.direction, type, content, this.#maxFragment, this.#allocate);
    const output = (records: Uint8Array[]) => {
      if (this.#trace) {
        let at = 0;
        for (const bytes of records) {
          const n = Math.min(content.length - at, this.#maxFragment);
          this.#traceRecord(type, epoch, bytes, content.subarray(at, at + n));
          at += n;
        }
      }
      this.#out.push(...records);
    };
    if (!(sealed instanceof Promise) && this.#sealing.length === 0) {
      output(sealed);
      return Promise.resolve();
    }
    if (sealed instanceof Promise) sealed.catch(() => {}); // surfaced through `joined`, in its turn
    const previous = this.#sealing.at(-1)?.joined ?? Promise.resolve();
    // An earlier seal's failure fails this one too: nothing after a failed record is sent.
    const joined = previous.then(() => sealed).then(output);
    const entry: Sealing = { joined, records: Math.ceil(content.length / this.#maxFragment) || 1 };
    this.#sealing.push(entry);
    this.#recordsSealing += entry.records;
    const settled = () => {
      this.#sealing.splice(this.#sealing.indexOf(entry), 1);
      this.#recordsSealing -= entry.records;
    };
    joined.then(settled, settled);
    return joined;
  }

  #traceRecord(type: number, epoch: Epoch, bytes: Uint8Array, content = bytes.subarray(5)): void {
    this.#trace?.({ kind: "record", from: this.#side, epoch, bytes, contentType: type, content });
  }

  /** The bytes sealed so far, in order; empty when there are none. */
  take(): Uint8Array {
    if (this.#out.length === 0) return new Uint8Array(0);
    const parts = this.#out;
    this.#out = [];
    if (parts.length === 1) return parts[0];
    const out = joinOutput(parts);
    // Joined into new memory: the parts were copied, and their buffers may be sealed into again.
    if (out.buffer !== parts[0].buffer) { for (const p of parts) this.release(p); }
    return out;
  }

  /**
   * The caller is done with `bytes`, which `take()` returned (they have been
   * written): later records may be sealed into that memory. Memory the
   * outbox did not hand out, or has taken back already, is left alone; so
   * is everything while tracing (the trace may keep the records it was shown).
   */
  release(bytes: Uint8Array): void {
    const buffer = bytes.buffer;
    if (!this.#issued.delete(buffer)) return;
    if (this.#spares.length < SPARE_OUTPUTS) this.#spares.push(buffer as ArrayBuffer);
  }

  /**
   * Memory for `length` bytes of sealed records: a spare buffer or a new
   * one for long output (taken back by `release()`), a new array otherwise.
   */
  #allocate = (length: number): Uint8Array => {
    if (length < REUSED_OUTPUT || this.#trace) return new Uint8Array(length);
    const i = this.#spares.findIndex((b) => b.byteLength >= length);
    const buffer = i >= 0
      ? this.#spares.splice(i, 1)[0]
      : new ArrayBuffer(Math.ceil(length / OUTPUT_UNIT) * OUTPUT_UNIT);
    this.#issued.add(buffer);
    return new Uint8Array(buffer, 0, length);
  };
}

/**
 * Joins output in order: consecutive views of one buffer (records sealed
 * together) are taken as they are, without a copy, when nothing else is queued.
 */
function joinOutput(parts: Uint8Array[]): Uint8Array {
  const first = parts[0];
  let end = first.byteOffset + first.length;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.buffer !== first.buffer || p.byteOffset !== end) return concat(...parts);
    end += p.length;
  }
  return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}
