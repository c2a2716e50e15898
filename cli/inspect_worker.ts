/**
 * The relay's narration, in a worker of its own: the relay's thread only
 * moves bytes, so neither decrypting nor a slow terminal can hold the
 * connections up. The relay posts each connection's events here (bytes are
 * transferred, not copied); each connection is narrated in order, all of
 * them at once; every chunk narrated is acknowledged, so that the relay
 * can bound what waits, and its buffer handed back for the relay to read
 * into again (unless records held back are views of it). Records held back
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
import { type Stretch, stretchSize } from "./inspect_sealed_bodies.ts";
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
  | { kind: "data"; id: number; chunks: (Stretch & { from: Side })[] }
  | { kind: "end"; id: number; from: Side }
  | { kind: "forget"; id: number; last?: { text: string; json: Record<string, unknown> } };

/**
 * What the worker answers: `bytes` of connection `id` have been narrated;
 * `buffers` (transferred back) held them, and nothing refers to them now.
 */
export type FromNarrator = { kind: "done"; id: number; bytes: number; buffers: ArrayBuffer[] };

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
          // The relay has written each chunk on before it posts it, and reads into it again only
          // once it is handed back.
          inPlace: true,
        },
        keyLog: m.keyLog ? new KeyLogFile(m.keyLog, true) : undefined,
        wait: m.wait,
      }));
      return;
    case "say":
      return then(m.id, (n) => n.say(m.text, m.json));
    case "data":
      return then(m.id, async (n) => {
        let bytes = 0;
        const buffers: ArrayBuffer[] = [];
        for (const c of m.chunks) {
          await n.feedStretch(c.from, c);
          bytes += stretchSize(c);
          // Records held back for a secret are views of these bytes: that buffer is not reused.
          if ("bytes" in c && !n.holding) buffers.push(c.bytes.buffer);
        }
        self.postMessage({ kind: "done", id: m.id, bytes, buffers } as FromNarrator, buffers);
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
        }
      });
  }
};
