/**
 * The relay's read buffers, shared with its narration worker: each is a
 * SharedArrayBuffer posted to the worker once, then named by its number. A
 * read lands in one, is written on, and the worker is told which one and
 * how much; it gives the number back once that chunk is narrated. Nothing
 * moves between the threads per read, so neither heap sees memory come or go
 * with the bulk data (a transferred ArrayBuffer counts as new external
 * memory where it arrives, and brings collections on with it).
 *
 * @module
 */

import type { Side } from "../lib/trace.ts";
import { type Stretch, stretchSize } from "./inspect_sealed_bodies.ts";

/**
 * What the relay hands over of one side: a read that lies in a slot, or a
 * stretch of it skimmed (without a key log).
 */
export type Piece = { slot: number; length: number } | Stretch;
/** A piece, and which side sent it. */
export type Chunk = Piece & { from: Side };

/** The bytes a piece stands for while it waits to be narrated. */
export function pieceSize(p: Piece): number {
  return "slot" in p ? p.length : stretchSize(p);
}

/** Posted to the narration worker about the slots. */
export type SlotMessage =
  | { kind: "slot"; index: number; buffer: SharedArrayBuffer }
  | { kind: "unslot"; index: number };

/**
 * Read buffers of a few sizes, made as needed up to a number of bytes in
 * all, reused, and dropped once they have been free for a while (an idle
 * relay holds none).
 */
export class Slots {
  readonly #maxBytes: number;
  readonly #post: (m: SlotMessage) => void;
  readonly #all = new Map<number, Uint8Array<SharedArrayBuffer>>();
  /** Free slots by size, and since when, the longest free first (the last freed is reused first). */
  readonly #free = new Map<number, { index: number; since: number }[]>();
  #bytes = 0;
  #next = 0;

  /** Slots of at most `maxBytes` in all; `post` tells the worker of each. */
  constructor(maxBytes: number, post: (m: SlotMessage) => void) {
    this.#maxBytes = maxBytes;
    this.#post = post;
  }

  /** The bytes of all slots that exist now (free or in use). */
  get bytes(): number {
    return this.#bytes;
  }

  /** How many are free. */
  get free(): number {
    let n = 0;
    for (const list of this.#free.values()) n += list.length;
    return n;
  }

  /**
   * A free slot of `size` bytes, or a new one (free slots of other sizes
   * are dropped to make room); undefined when the slots in use leave no room.
   */
  take(size: number): { index: number; view: Uint8Array<SharedArrayBuffer> } | undefined {
    const free = this.#free.get(size)?.pop();
    if (free) return { index: free.index, view: this.#all.get(free.index)! };
    if (this.#bytes + size > this.#maxBytes) this.trim(Infinity, 0);
    if (this.#bytes + size > this.#maxBytes) return undefined;
    const view = new Uint8Array(new SharedArrayBuffer(size));
    const made = this.#next++;
    this.#all.set(made, view);
    this.#bytes += size;
    this.#post({ kind: "slot", index: made, buffer: view.buffer });
    return { index: made, view };
  }

  /** Slot `index` is free again, from `now` on. */
  give(index: number, now: number): void {
    const slot = this.#all.get(index);
    if (!slot) return;
    const list = this.#free.get(slot.length) ?? [];
    list.push({ index, since: now });
    this.#free.set(slot.length, list);
  }

  /** Drops (here and in the worker) the slots free for `idleMs` or more by `now`. */
  trim(now: number, idleMs: number): void {
    for (const list of this.#free.values()) {
      while (list.length > 0 && now - list[0].since >= idleMs) {
        const { index } = list.shift()!;
        this.#bytes -= this.#all.get(index)!.length;
        this.#all.delete(index);
        this.#post({ kind: "unslot", index });
      }
    }
  }
}
