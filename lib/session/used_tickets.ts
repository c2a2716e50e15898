/**
 * The anti-replay record of RFC 8446 §8.1 ("single-use tickets"): a server
 * accepts 0-RTT data at most once per ticket by remembering each ticket
 * whose early data it accepted until the ticket expires. The record is
 * bounded: when it is full, early data is declined (the handshake goes on
 * in 1-RTT), never accepted unrecorded. It is per process: servers sharing
 * ticket keys do not share it, so a ticket replayed to another server may
 * be accepted once there too (RFC 8446 §8, §E.5: the application must
 * treat early data as replayable).
 *
 * @module
 */

import type { Hash } from "../crypto/provider.ts";

/** Tickets whose early data was accepted, until each expires. */
export class UsedTickets {
  readonly #max: number;
  readonly #hash: Hash;
  /** Ticket digest (hex) → expiry time (ms since the epoch), in insertion order. */
  readonly #used = new Map<string, number>();

  /** `hash` digests tickets (SHA-256); at most `max` are remembered at once. */
  constructor(hash: Hash, max: number = 100_000) {
    this.#hash = hash;
    this.#max = max;
  }

  /** How many tickets are remembered. */
  get size(): number {
    return this.#used.size;
  }

  /**
   * Records that `ticket`'s early data is being accepted, if it never was:
   * true the first time, false on any replay or when the record is full.
   */
  claim(ticket: Uint8Array, expires: number, now: number): boolean {
    this.#expire(now);
    const key = this.#hash.digest(ticket).toHex();
    if (this.#used.has(key) || this.#used.size >= this.#max) return false;
    this.#used.set(key, expires);
    return true;
  }

  /**
   * Forgets expired tickets (a replay of one would be refused as expired
   * anyway), oldest first, stopping at the first that is still valid: each
   * claim costs the entries it removes, not a scan of the whole record.
   */
  #expire(now: number): void {
    for (const [key, expires] of this.#used) {
      if (expires > now) return;
      this.#used.delete(key);
    }
  }
}
