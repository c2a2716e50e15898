/**
 * One direction of a TCP connection put back in order from captured
 * segments (RFC 9293 §3.4, §3.10.7.4): sequence numbers relative to the
 * first (after a SYN, the byte after it), with wrap-around; retransmitted
 * bytes given once; segments that arrive early held until the gap before
 * them fills; overlaps trimmed. What is held waiting is bounded.
 *
 * @module
 */

/** Bytes held out of order, at most (beyond that, later segments are dropped and counted). */
const MAX_HELD = 8 << 20;

/** One direction's byte stream, reassembled. */
export class TcpStream {
  /** The sequence number of stream offset 0, once known. */
  #base?: number;
  /** Bytes delivered in order so far. */
  #delivered = 0;
  /** Segments ahead of the next expected byte, by stream offset. */
  #held = new Map<number, Uint8Array>();
  #heldBytes = 0;
  /** Segments whose bytes had all been delivered already. */
  retransmitted = 0;
  /** Segments that arrived before a gap in front of them was filled. */
  outOfOrder = 0;
  /** Segments dropped because too much was held. */
  dropped = 0;
  /** Whether a FIN was seen. */
  finished = false;

  /** Bytes delivered in order so far. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Bytes held after a gap that never filled. */
  get stranded(): number {
    return this.#heldBytes;
  }

  /** A SYN: the stream starts at the byte after `seq`. */
  syn(seq: number): void {
    if (this.#base === undefined) this.#base = (seq + 1) >>> 0;
  }

  /** A segment's payload at `seq`: returns the bytes now in order (possibly none). */
  push(seq: number, payload: Uint8Array): Uint8Array[] {
    if (payload.length === 0) return [];
    this.#base ??= seq;
    // Relative offset, modulo 2^32; offsets "behind" the start wrap to huge values.
    const rel = (seq - this.#base) >>> 0;
    const offset = rel >= 0x80000000 ? rel - 0x100000000 : rel;
    const end = offset + payload.length;
    if (end <= this.#delivered) {
      this.retransmitted++;
      return [];
    }
    if (offset > this.#delivered) {
      const had = this.#held.get(offset);
      if (had && had.length >= payload.length) {
        this.retransmitted++;
        return [];
      }
      if (this.#heldBytes + payload.length > MAX_HELD) {
        this.dropped++;
        return [];
      }
      this.outOfOrder++;
      if (had) this.#heldBytes -= had.length;
      this.#held.set(offset, payload);
      this.#heldBytes += payload.length;
      return [];
    }
    const out = [payload.subarray(this.#delivered - offset)];
    this.#delivered = end;
    this.#drain(out);
    return out;
  }

  /** Moves held segments that now continue the stream to `out`. */
  #drain(out: Uint8Array[]): void {
    let moved = true;
    while (moved && this.#held.size > 0) {
      moved = false;
      for (const [offset, bytes] of this.#held) {
        if (offset > this.#delivered) continue;
        this.#held.delete(offset);
        this.#heldBytes -= bytes.length;
        const end = offset + bytes.length;
        if (end > this.#delivered) {
          out.push(bytes.subarray(this.#delivered - offset));
          this.#delivered = end;
        }
        moved = true;
      }
    }
  }
}
