/**
 * What the relay has not yet posted to its narration worker, by connection,
 * and when it is due. Chunks go in batches: of up to BATCH_BYTES, or after
 * BATCH_MS (fewer wake-ups of the worker while bulk data flows). A batch of
 * nothing but records skimmed without a key log (`inspect_sealed_bodies.ts`)
 * waits longer: until its connection pauses for SEALED_PAUSE_MS, or for at
 * most SEALED_MAX_WAIT_MS. Telling records takes the narration's CPU, and on
 * a busy machine that comes out of a transfer in full flow even at the
 * narration's low priority (a core's other hardware thread shares it; on the
 * 2-core machine of bench/README.md a busy loop at nice 19 slows a transfer
 * by a third); waiting costs 5 bytes a record.
 *
 * @module
 */

import type { Chunk } from "./inspect_slots.ts";

/** A batch is posted at once when it holds this many bytes. */
export const BATCH_BYTES = 1 << 20;
/** How often batches are looked at; one that is not full is due after this long. */
export const BATCH_MS = 5;
/** Skimmed records wait until their connection pauses this long... */
export const SEALED_PAUSE_MS = 20;
/** ...or this long at most. */
export const SEALED_MAX_WAIT_MS = 1000;

/** The chunks of one connection not yet posted. */
interface Batch {
  readonly chunks: Chunk[];
  size: number;
  /** When the first and the last came. */
  readonly since: number;
  last: number;
  /** Whether all are skimmed records. */
  sealed: boolean;
}

/** The batches of all connections (see the module comment). */
export class Batches {
  readonly #byId = new Map<number, Batch>();

  /** Connections with a batch. */
  get size(): number {
    return this.#byId.size;
  }

  /** Adds `chunk` (`size` bytes) to connection `id`'s batch; returns whether that batch is full. */
  add(id: number, chunk: Chunk, size: number, now: number): boolean {
    let batch = this.#byId.get(id);
    if (!batch) {
      this.#byId.set(id, batch = { chunks: [], size: 0, since: now, last: now, sealed: true });
    }
    batch.chunks.push(chunk);
    batch.size += size;
    batch.last = now;
    batch.sealed &&= "sealed" in chunk;
    return batch.size >= BATCH_BYTES;
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
      !b.sealed || now - b.last >= SEALED_PAUSE_MS || now - b.since >= SEALED_MAX_WAIT_MS
    ).map(([id]) => id);
  }
}
