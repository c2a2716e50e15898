/**
 * The relay's narration, in a worker of its own: the relay's thread only
 * moves bytes, so neither decrypting nor a slow terminal can hold the
 * connections up. The relay posts each connection's events here (bytes are
 * transferred, not copied); each connection is narrated in order, all of
 * them at once; every chunk narrated is acknowledged, so that the relay
 * can bound what waits.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import { cryptoProvider, type ProviderName } from "../lib/providers.ts";
import type { Side } from "../lib/trace.ts";
import { KeyLogFile } from "./inspect_key_log.ts";
import { Narration, type NarrationOutput } from "./inspect_narration.ts";
import { paint } from "./paint.ts";
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
    waitMs: number;
  }
  | { kind: "say"; id: number; text: string; json: Record<string, unknown> }
  | { kind: "data"; id: number; chunks: { from: Side; bytes: Uint8Array }[] }
  | { kind: "end"; id: number; from: Side }
  | { kind: "forget"; id: number };

/** What the worker answers: `bytes` of connection `id` have been narrated. */
export type FromNarrator = { kind: "done"; id: number; bytes: number };

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
let ready: Promise<{ out: NarrationOutput; keyLog?: KeyLogFile }> | undefined;
const connections = new Map<number, Promise<Narration>>();

/** Runs `step` on connection `id`'s narration, after everything before it on that connection. */
function then(id: number, step: (n: Narration) => void | Promise<void>): void {
  let tail = connections.get(id);
  tail ??= ready!.then(({ out, keyLog }) => new Narration(out, id, keyLog?.lookup));
  const next = tail.then(async (n) => {
    try {
      await step(n);
    } catch (e) {
      n.say(`narration stopped: ${(e as Error).message}`, { event: "error" });
    } finally {
      flush();
    }
    return n;
  });
  connections.set(id, next);
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
        },
        keyLog: m.keyLog ? new KeyLogFile(m.keyLog, m.waitMs) : undefined,
      }));
      return;
    case "say":
      return then(m.id, (n) => n.say(m.text, m.json));
    case "data":
      return then(m.id, async (n) => {
        let bytes = 0;
        for (const c of m.chunks) {
          await n.feed(c.from, c.bytes);
          bytes += c.bytes.length;
        }
        self.postMessage({ kind: "done", id: m.id, bytes } as FromNarrator);
      });
    case "end":
      return then(m.id, (n) => n.observer.end(m.from));
    case "forget":
      return then(m.id, () => void connections.delete(m.id));
  }
};
