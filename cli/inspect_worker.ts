/**
 * The relay's narration, in a worker of its own, at the lowest priority: the
 * relay's thread only moves bytes, so neither decrypting nor a slow terminal
 * can hold the connections up. The relay posts each connection's events
 * here (where its reads lie in the buffers it shares with this worker, or
 * what it skimmed of them); each connection is narrated in order, all of
 * them at once; every chunk narrated is acknowledged, so that the relay
 * can bound what waits and read into its buffer again. Records held back
 * for a secret the key log does not have yet are looked for again every
 * POLL_MS, without holding up the rest.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import { cryptoProvider, type ProviderName } from "../lib/providers.ts";
import type { Side } from "../lib/trace.ts";
import { KeyLogFile } from "./inspect_key_log.ts";
import { Narration, type NarrationOutput } from "./inspect_narration.ts";
import { type Chunk, pieceSize, type SlotMessage } from "./inspect_slots.ts";
import { paint } from "./paint.ts";
import { lowerThisThreadsPriority } from "./thread_priority.ts";
import type { TraceLevel } from "./trace_printer.ts";

/** What the relay tells the worker. */
export type ToNarrator =
  | {
    kind: "setup";
    crypto: ProviderName;
    level: TraceLevel;
    json: boolean;
    color: boolean;
    keyLog?: string;
    wait: { ms: number; maxBytes: number };
  }
  | { kind: "say"; id: number; text: string; json: Record<string, unknown> }
  | SlotMessage
  | { kind: "data"; id: number; chunks: Chunk[] }
  | { kind: "end"; id: number; from: Side }
  | { kind: "forget"; id: number; last?: { text: string; json: Record<string, unknown> } };

/**
 * What the worker answers: `bytes` of connection `id` have been narrated,
 * and the `slots` that held them are free again.
 */
export type FromNarrator = { kind: "done"; id: number; bytes: number; slots: number[] };

/** How often the key log is read again while records are held back. */
const POLL_MS = 25;

// The narration runs on what CPU time the relayed programs and the relay's thread leave (it may
// fall behind, within the relay's bound, and catches up when the transfer pauses or ends).
lowerThisThreadsPriority();

/** Lines waiting to be written: written together, once a step is done. */
let lines: string[] = [];
const encoder = new TextEncoder();

function flush(): void {
  if (lines.length === 0) return;
  const bytes = encoder.encode(lines.join("\n") + "\n");
  lines = [];
  for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
}

/** How to narrate, once the setup message has come and the crypto provider is loaded. */
let ready:
  | Promise<{ out: NarrationOutput; keyLog?: KeyLogFile; wait: { ms: number; maxBytes: number } }>
  | undefined;
const connections = new Map<number, Promise<Narration>>();
/** Connections whose held-back records are looked at again soon. */
const polls = new Set<number>();

/** Runs `step` on connection `id`'s narration, after everything before it on that connection. */
function then(id: number, step: (n: Narration) => void | Promise<void>): void {
  let tail = connections.get(id);
  tail ??= ready!.then(({ out, keyLog, wait }) =>
    new Narration(out, id, keyLog && { lookup: keyLog.lookup, ...wait })
  );
  const next = tail.then(async (n) => {
    try {
      await step(n);
    } catch (e) {
      n.say(`narration stopped: ${(e as Error).message}`, { event: "error" });
    } finally {
      flush();
    }
    if (n.holding) poll(id);
    return n;
  });
  connections.set(id, next);
}

/** The relay's read buffers, by number (`inspect_slots.ts`). */
const slots = new Map<number, Uint8Array>();
/** Each connection's copy of its last read, reused unless records held back are views of it. */
const copies = new Map<number, Uint8Array>();

/**
 * The first `length` bytes of slot `index`, copied for connection `id`: the
 * narration may open records where they lie, and WebCrypto takes no view of
 * shared memory.
 */
function copyOut(id: number, index: number, length: number): Uint8Array {
  let copy = copies.get(id);
  if (!copy || copy.length < length) copies.set(id, copy = new Uint8Array(length));
  copy.set(slots.get(index)!.subarray(0, length));
  return copy.subarray(0, length);
}

/** Looks for the secrets connection `id` awaits again in POLL_MS (unless it is over). */
function poll(id: number): void {
  if (polls.has(id)) return;
  polls.add(id);
  setTimeout(() => {
    polls.delete(id);
    if (connections.has(id)) then(id, (n) => n.poll());
  }, POLL_MS);
}

self.onmessage = (e: MessageEvent<ToNarrator>) => {
  const m = e.data;
  switch (m.kind) {
    case "setup":
      ready = cryptoProvider(m.crypto).then((crypto) => ({
        out: {
          level: m.level,
          json: m.json,
          paint: paint(m.color),
          write: (line) => void lines.push(line),
          crypto,
          // What is fed is a copy of the relay's read (`copyOut`), or a skimmed stretch: ours.
          inPlace: true,
        },
        keyLog: m.keyLog ? new KeyLogFile(m.keyLog, true) : undefined,
        wait: m.wait,
      }));
      return;
    case "say":
      return then(m.id, (n) => n.say(m.text, m.json));
    case "slot":
      return void slots.set(m.index, new Uint8Array(m.buffer));
    case "unslot":
      return void slots.delete(m.index);
    case "data":
      return then(m.id, async (n) => {
        try {
          for (const c of m.chunks) {
            if (!("slot" in c)) {
              await n.feedStretch(c.from, c);
              continue;
            }
            await n.feed(c.from, copyOut(m.id, c.slot, c.length));
            // Records held back for a secret are views of that copy: the next read gets a new one.
            if (n.holding) copies.delete(m.id);
          }
        } catch (e) {
          copies.delete(m.id); // what the failed step left may be views of it too
          throw e;
        } finally {
          // Told, or never to be if the narration stopped: the relay counts them off either way.
          self.postMessage(
            {
              kind: "done",
              id: m.id,
              bytes: m.chunks.reduce((sum, c) => sum + pieceSize(c), 0),
              slots: m.chunks.flatMap((c) => "slot" in c ? [c.slot] : []),
            } satisfies FromNarrator,
          );
        }
      });
    case "end":
      return then(m.id, (n) => n.observer.end(m.from));
    case "forget":
      // The last line comes after the records held back (for up to the wait).
      return then(m.id, async (n) => {
        try {
          while (n.holding) {
            await new Promise((r) => setTimeout(r, POLL_MS));
            await n.poll();
            flush();
          }
        } finally {
          if (m.last) n.say(m.last.text, m.last.json);
          connections.delete(m.id);
          copies.delete(m.id);
        }
      });
  }
};
