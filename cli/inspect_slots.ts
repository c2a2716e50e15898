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
 * Read buffers, made as needed up to a number, reused, and dropped once
 * they have been free for a while (an idle relay holds none).
 */
export class Slots {
  readonly #size: number;
  readonly #max: number;
  readonly #post: (m: SlotMessage) => void;
  readonly #all = new Map<number, Uint8Array<SharedArrayBuffer>>();
  /** Free slots and since when, the longest free first (the last freed is reused first). */
  readonly #free: { index: number; since: number }[] = [];
  #next = 0;

  /** Slots of `size` bytes, at most `max` of them; `post` tells the worker of each. */
  constructor(size: number, max: number, post: (m: SlotMessage) => void) {
    this.#size = size;
    this.#max = max;
    this.#post = post;
  }

  /** How many slots exist now (free or in use). */
  get count(): number {
    return this.#all.size;
  }

  /** How many are free. */
  get free(): number {
    return this.#free.length;
  }

  /** A free slot, or a new one; undefined when `max` are in use. */
  take(): { index: number; view: Uint8Array<SharedArrayBuffer> } | undefined {
    const free = this.#free.pop();
    if (free) return { index: free.index, view: this.#all.get(free.index)! };
    if (this.#all.size >= this.#max) return undefined;
    const view = new Uint8Array(new SharedArrayBuffer(this.#size));
    const made = this.#next++;
    this.#all.set(made, view);
    this.#post({ kind: "slot", index: made, buffer: view.buffer });
    return { index: made, view };
  }

  /** Slot `index` is free again, from `now` on. */
  give(index: number, now: number): void {
    if (this.#all.has(index)) this.#free.push({ index, since: now });
  }

  /** Drops (here and in the worker) the slots free for `idleMs` or more by `now`. */
  trim(now: number, idleMs: number): void {
    while (this.#free.length > 0 && now - this.#free[0].since >= idleMs) {
      const { index } = this.#free.shift()!;
      this.#all.delete(index);
      this.#post({ kind: "unslot", index });
    }
  }
}
