/**
 * The limit on handshakes a listener runs at once, shared by the Deno and
 * Node adapters: at the limit a listener stops taking connections.
 *
 * @module
 */

/** Handshakes a listener runs at once unless told otherwise. */
export const DEFAULT_MAX_HANDSHAKES = 256;

/** Counts handshakes in progress; `acquire` waits while all slots are taken. */
export class Slots {
  readonly #limit: number;
  #taken = 0;
  #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Slots taken now. */
  get taken(): number {
    return this.#taken;
  }

  /** Takes a slot, waiting while all are taken. */
  acquire(): Promise<void> {
    if (this.#taken < this.#limit) {
      this.#taken++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Frees a slot, handing it straight to the next waiter if there is one. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#taken--;
  }

  /** Lets every waiter through, over the limit (each releases its slot when done). */
  wakeAll(): void {
    this.#taken += this.#waiting.length;
    this.#waiting.splice(0).forEach((wake) => wake());
  }
}
