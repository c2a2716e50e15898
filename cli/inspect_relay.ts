/**
 * `handshake inspect --listen HOST:PORT --to HOST:PORT`: a TCP relay that
 * passes every byte on unchanged, as soon as it comes, and narrates each
 * connection beside it, in a worker (`inspect_worker.ts`) that runs at the
 * lowest priority: the relay's own thread only moves bytes, and comes first.
 * With a key log (or the byte view), each read lands in a buffer shared
 * with the worker (`inspect_slots.ts`), is written on, and the worker is
 * told where it is; it copies the read out and the buffer is reused: no new
 * memory per read, and none moved between the threads. Without either, the
 * narration needs no record's body that it cannot open
 * (`inspect_sealed_bodies.ts`): each side is read into a buffer of its own,
 * and only the rest is handed over. What a busy connection sends is handed
 * over once it pauses (`inspect_batches.ts`), so that narrating it does not
 * slow the transfer. The narration may fall behind; past a bound
 * (`--max-behind`) it gives up on that connection (saying so) rather than
 * buffer without end.
 *
 * @module
 */

import type { ProviderName } from "../lib/providers.ts";
import type { Side } from "../lib/trace.ts";
import { BATCH_MS, Batches } from "./inspect_batches.ts";
import { SealedBodies } from "./inspect_sealed_bodies.ts";
import { type Piece, pieceSize, Slots } from "./inspect_slots.ts";
import type { FromNarrator, ToNarrator } from "./inspect_worker.ts";
import type { TraceLevel } from "./trace_printer.ts";

/** Bytes read at once from either side, at most (bulk data: fewer, bigger reads cost less). */
const READ_SIZE = 1 << 20;
/** The first read of a side: grown (×4) each time a read fills it (`nextSize`). */
const FIRST_READ = 16 * 1024;
/**
 * How long a shared read buffer is kept once free: bulk data that follows
 * (a transfer often follows another) reads into buffers already faulted in
 * (a new MiB costs 256 page faults), and an idle relay holds none.
 */
const SLOT_IDLE_MS = 5000;

/** Where the relay listens and connects, and how the narration is told. */
export interface RelayOptions {
  readonly listen: { hostname: string; port: number };
  readonly to: { hostname: string; port: number };
  readonly level: TraceLevel;
  readonly json: boolean;
  readonly color: boolean;
  /** The crypto provider the narration opens records with. */
  readonly crypto: ProviderName;
  /** The key log path, if any. */
  readonly keyLog?: string;
  /** How long a secret not yet in the key log is waited for, and how much is held back meanwhile. */
  readonly keyLogWait: { ms: number; maxBytes: number };
  /**
   * How many bytes the narration of one connection may fall behind before
   * it gives up on it (of all connections together: twice that); a busy
   * connection's records wait for a pause up to half of it.
   */
  readonly maxBehind: number;
}

/** Runs the relay until the process ends. */
export async function inspectRelay(o: RelayOptions): Promise<number> {
  const listener = Deno.listen({ ...o.listen, transport: "tcp" });
  const addr = listener.addr as Deno.NetAddr;
  const to = address(o.to);
  const narrator = new Narrator(o);
  console.log(
    o.json
      ? JSON.stringify({ event: "listening", address: address(addr), to })
      : `inspect: listening on ${address(addr)}, relaying to ${to}` +
        (o.keyLog ? `, secrets from ${o.keyLog}` : ", without a key log"),
  );
  let id = 0;
  for await (const client of listener) relayOne(client, ++id, o, narrator);
  return 0;
}

/** Relays one connection and has it narrated. */
async function relayOne(client: Deno.TcpConn, id: number, o: RelayOptions, narrator: Narrator) {
  const from = address(client.remoteAddr);
  const to = address(o.to);
  let server: Deno.TcpConn;
  try {
    server = await Deno.connect({ ...o.to, transport: "tcp" });
  } catch (e) {
    const error = (e as Error).message;
    narrator.say(id, `${from}: cannot reach ${to} (${error}); closed`, {
      event: "unreachable",
      error,
    });
    narrator.forget(id);
    close(client);
    return;
  }
  narrator.say(id, `TCP ${from} → relayed to ${to}`, { event: "connection", client: from, to });
  const relayed: Record<Side, number> = { client: 0, server: 0 };
  const pump = async (src: Deno.TcpConn, dst: Deno.TcpConn, side: Side) => {
    // Without a key log, only what the narration needs is handed over (a copy).
    const skim = narrator.skims ? new SealedBodies() : undefined;
    // The next read's size: grown while reads fill it, shrunk when they are small, so that bulk
    // data takes few reads and a side that waits holds little.
    let size = FIRST_READ;
    // This side's own buffer: every read when skimming; otherwise reads that are not narrated.
    let own: Uint8Array | undefined;
    // The shared buffer of the read under way, until it is handed over.
    let slot: { index: number; view: Uint8Array } | undefined;
    try {
      while (true) {
        slot = skim ? undefined : narrator.slot(id, size);
        if (!slot && own?.length !== size) own = new Uint8Array(size);
        const buf = slot?.view ?? own!;
        const n = await src.read(buf);
        if (n === null) break;
        const chunk = buf.subarray(0, n);
        for (let at = 0; at < n;) at += await dst.write(chunk.subarray(at));
        relayed[side] += n;
        if (slot) narrator.data(id, side, { slot: slot.index, length: n });
        else if (skim) { for (const s of skim.take(chunk)) narrator.data(id, side, s); }
        slot = undefined;
        size = nextSize(size, n);
      }
      await dst.closeWrite().catch(() => {});
    } catch {
      close(src);
      close(dst);
    }
    if (slot) narrator.unused(slot.index);
    for (const s of skim?.end() ?? []) narrator.data(id, side, s);
    narrator.end(id, side);
  };
  await Promise.all([pump(client, server, "client"), pump(server, client, "server")]);
  close(client);
  close(server);
  narrator.forget(id, {
    text:
      `closed: relayed ${relayed.client} bytes from the client, ${relayed.server} from the server`,
    json: { event: "closed", clientBytes: relayed.client, serverBytes: relayed.server },
  });
}

/** The size of the next read, after one of `n` bytes into `size`. */
function nextSize(size: number, n: number): number {
  if (n === size) return Math.min(size * 4, READ_SIZE);
  return n <= size / 16 ? Math.max(size / 4, FIRST_READ) : size;
}

/** `host:port`, `[v6]:port`. */
function address(a: { hostname: string; port: number }): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

function close(c: Deno.Conn): void {
  try {
    c.close();
  } catch {
    // already closed
  }
}

/**
 * The narration worker, how far behind each connection's narration is, and
 * the read buffers shared with it.
 */
class Narrator {
  readonly #worker: Worker;
  readonly #pending = new Map<number, number>();
  /** Bytes posted and not yet narrated, all connections together. */
  #total = 0;
  readonly #behind = new Set<number>();
  /** Chunks not yet posted, by connection, and the timer that will post them. */
  readonly #batches: Batches;
  #timer?: ReturnType<typeof setTimeout>;
  /** Read buffers shared with the worker: as many as the backlog bound needs. */
  readonly #slots: Slots;
  /** The timer that drops the slots free for SLOT_IDLE_MS. */
  #trim?: ReturnType<typeof setTimeout>;
  /** The worker failed: nothing is posted to it any more. */
  #failed = false;
  /** Without a key log, nor the bytes shown: handed over is what `SealedBodies` leaves. */
  readonly skims: boolean;
  /** How far the narration of one connection, and of all, may fall behind. */
  readonly #maxBehind: number;
  readonly #maxTotalBehind: number;

  constructor(o: RelayOptions) {
    this.skims = !o.keyLog && !o.level.bytes;
    this.#maxBehind = o.maxBehind;
    this.#maxTotalBehind = 2 * o.maxBehind;
    this.#batches = new Batches(o.maxBehind / 2);
    this.#worker = new Worker(new URL("./inspect_worker.ts", import.meta.url), { type: "module" });
    this.#slots = new Slots(
      this.#maxTotalBehind,
      (m) => this.#worker.postMessage(m satisfies ToNarrator),
    );
    this.#worker.onmessage = (e: MessageEvent<FromNarrator>) => {
      this.#total -= e.data.bytes;
      for (const index of e.data.slots) this.#give(index);
      const left = (this.#pending.get(e.data.id) ?? 0) - e.data.bytes;
      if (left > 0) this.#pending.set(e.data.id, left);
      else this.#pending.delete(e.data.id);
    };
    this.#worker.onerror = (e) => {
      e.preventDefault();
      if (this.#failed) return;
      this.#failed = true;
      console.error(
        `inspect: the narration failed (${e.message}): connections are still relayed, not shown`,
      );
    };
    this.#worker.postMessage(
      {
        kind: "setup",
        crypto: o.crypto,
        level: o.level,
        json: o.json,
        color: o.color,
        keyLog: o.keyLog,
        wait: o.keyLogWait,
      } satisfies ToNarrator,
    );
  }

  /** Posts a message, after the chunks of its connection that came before it. */
  #post(m: Exclude<ToNarrator, { kind: "setup" | "data" | "slot" | "unslot" }>): void {
    if (this.#failed) return;
    this.#flush(m.id);
    this.#worker.postMessage(m);
  }

  #flush(id: number): void {
    const chunks = this.#batches.take(id);
    if (!chunks) return;
    const m: ToNarrator = { kind: "data", id, chunks };
    // Skimmed stretches are copies made for the worker: theirs to keep.
    const copies = chunks.flatMap((c) =>
      "bytes" in c ? [c.bytes.buffer] : "sealed" in c ? [c.sealed.buffer] : []
    );
    this.#worker.postMessage(m, copies);
  }

  /**
   * A shared buffer for the next read of connection `id`, or undefined when
   * it is not narrated (or cannot be: every buffer the bound allows is in
   * use, and the connection is given up on).
   */
  slot(
    id: number,
    size: number,
  ): { index: number; view: Uint8Array<SharedArrayBuffer> } | undefined {
    if (this.#failed || this.#behind.has(id)) return undefined;
    const slot = this.#slots.take(size);
    if (!slot) this.#fellBehind(id, "buffers");
    return slot;
  }

  /** A slot taken for a read whose bytes are not handed over (the side ended, or failed). */
  unused(index: number): void {
    this.#give(index);
  }

  /** Slot `index` is free; the ones free for SLOT_IDLE_MS are dropped. */
  #give(index: number): void {
    this.#slots.give(index, performance.now());
    this.#trim ??= setTimeout(this.#trimSlots, SLOT_IDLE_MS);
  }

  readonly #trimSlots = () => {
    this.#slots.trim(performance.now(), SLOT_IDLE_MS);
    this.#trim = this.#slots.free > 0 ? setTimeout(this.#trimSlots, SLOT_IDLE_MS / 5) : undefined;
  };

  say(id: number, text: string, json: Record<string, unknown>): void {
    this.#post({ kind: "say", id, text, json });
  }

  /** Hands over `p`, the next of what `from` sent: a read in a slot, or a skimmed stretch. */
  data(id: number, from: Side, p: Piece): void {
    const unused = () => "slot" in p && this.#give(p.slot);
    if (this.#failed || this.#behind.has(id)) return void unused();
    const size = pieceSize(p);
    const pending = this.#pending.get(id) ?? 0;
    const alone = pending + size > this.#maxBehind;
    if (alone || this.#total + size > this.#maxTotalBehind) {
      this.#fellBehind(id, alone ? "connection" : "all");
      return void unused();
    }
    this.#pending.set(id, pending + size);
    this.#total += size;
    if (this.#batches.add(id, { from, ...p }, size, performance.now())) this.#flush(id);
    else this.#timer ??= setTimeout(this.#due, BATCH_MS);
  }

  /** Posts the batches that are due; looks again while some wait. */
  readonly #due = () => {
    this.#timer = undefined;
    for (const id of this.#batches.due(performance.now())) this.#flush(id);
    if (this.#batches.size > 0) this.#timer = setTimeout(this.#due, BATCH_MS);
  };

  /**
   * Gives up on narrating connection `id`: its own backlog is past the
   * bound, or that of all connections, or the shared read buffers, which
   * hold what the narration has not told yet, are full (many small reads
   * fill them before the backlog does).
   */
  #fellBehind(id: number, of: "connection" | "all" | "buffers"): void {
    this.#behind.add(id);
    const why = "(narrating, decrypting above all, or writing it out is slower than the transfer)";
    const limit = of === "connection" ? this.#maxBehind : this.#maxTotalBehind;
    const mib = Math.floor(limit / (1 << 20));
    const how = of === "connection"
      ? `more than ${mib} MiB behind this connection`
      : of === "all"
      ? `more than ${mib} MiB behind all connections together`
      : `behind until the relay's read buffers were full (${mib} MiB, reads not yet told)`;
    this.say(
      id,
      `the narration fell ${how} ${why}: the rest of this connection is relayed, not shown`,
      { event: "behind", limitBytes: limit, of },
    );
  }

  end(id: number, from: Side): void {
    if (!this.#behind.has(id)) this.#post({ kind: "end", id, from });
  }

  /** The connection is over: `last` is said once its narration has caught up (records held back included). */
  forget(id: number, last?: { text: string; json: Record<string, unknown> }): void {
    this.#post({ kind: "forget", id, last });
    this.#behind.delete(id);
    this.#pending.delete(id);
  }
}
