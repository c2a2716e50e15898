/**
 * What the relay has not yet posted to its narration worker, by connection,
 * and when it is due. Telling records takes the narration's CPU (decrypting
 * them above all), and on a busy machine that comes out of a transfer in
 * full flow even at the narration's low priority (a core's other hardware
 * thread shares it: on the 2-core machine of bench/README.md a busy loop at
 * nice 19 slows a transfer by a third). So the records a connection sends
 * while it is busy wait until it pauses for PAUSE_MS, for at most
 * MAX_WAIT_MS, and up to a number of bytes (the relay holds them meanwhile:
 * the headers of records skimmed without a key log, 5 bytes a record, or
 * the reads themselves with one). What cannot wait: the bytes skimming
 * hands over whole (the handshake before encryption, whatever is not TLS),
 * posted after BATCH_MS, or at once past BATCH_BYTES.
 *
 * @module
 */

import type { Chunk } from "./inspect_slots.ts";

/** A batch that does not wait is posted at once when it holds this many bytes... */
export const BATCH_BYTES = 1 << 20;
/** ...or after this long; batches are looked at this often. */
export const BATCH_MS = 5;
/** Records wait until their connection pauses this long... */
export const PAUSE_MS = 20;
/** ...or this long at most. */
export const MAX_WAIT_MS = 1000;

/** The chunks of one connection not yet posted. */
interface Batch {
  readonly chunks: Chunk[];
  size: number;
  /** When the first and the last came. */
  readonly since: number;
  last: number;
  /** Whether all of them may wait for a pause. */
  waits: boolean;
}

/** The batches of all connections (see the module comment). */
export class Batches {
  readonly #byId = new Map<number, Batch>();
  readonly #waitBytes: number;

  /** A batch of records waits for a pause until it holds `waitBytes`. */
  constructor(waitBytes: number) {
    this.#waitBytes = waitBytes;
  }

  /** Connections with a batch. */
  get size(): number {
    return this.#byId.size;
  }

  /** Adds `chunk` (`size` bytes) to connection `id`'s batch; returns whether that batch is due now. */
  add(id: number, chunk: Chunk, size: number, now: number): boolean {
    let batch = this.#byId.get(id);
    if (!batch) {
      this.#byId.set(id, batch = { chunks: [], size: 0, since: now, last: now, waits: true });
    }
    batch.chunks.push(chunk);
    batch.size += size;
    batch.last = now;
    batch.waits &&= "sealed" in chunk || "slot" in chunk;
    return batch.size >= (batch.waits ? this.#waitBytes : BATCH_BYTES);
  }

  /** Takes connection `id`'s batch, to post it. */
  take(id: number): Chunk[] | undefined {
    const batch = this.#byId.get(id);
    this.#byId.delete(id);
    return batch?.chunks;
  }

  /** The connections whose batch is due `now` (looked at every BATCH_MS). */
  due(now: number): number[] {
    return [...this.#byId].filter(([, b]) =>
      !b.waits || now - b.last >= PAUSE_MS || now - b.since >= MAX_WAIT_MS
    ).map(([id]) => id);
  }
}
