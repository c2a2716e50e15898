/**
 * `handshake inspect FILE`: the TLS story of every TCP connection in a pcap
 * or pcapng capture, told as the relay tells it live.
 *
 * @module
 */

import { captureEvents } from "../lib/inspect/capture.ts";
import { UsageError } from "./common.ts";
import type { KeyLogFile } from "./inspect_key_log.ts";
import { Narration, type NarrationOutput } from "./inspect_narration.ts";

/** Reads `path` and narrates it; returns the exit status (a broken file throws CaptureError). */
export async function inspectCapture(
  path: string,
  out: NarrationOutput,
  keyLog?: KeyLogFile,
): Promise<number> {
  let file: Uint8Array;
  try {
    file = await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "does not exist" : (e as Error).message;
    throw new UsageError(`cannot read the capture ${path}: ${why}`);
  }
  const narrations = new Map<number, Narration>();
  for (const e of captureEvents(file)) {
    switch (e.kind) {
      case "open": {
        const c = e.connection;
        const n = new Narration(out, c.id, keyLog && { lookup: keyLog.lookup, ms: 0, maxBytes: 0 });
        narrations.set(c.id, n);
        n.say(`TCP ${c.client} → ${c.server}`, {
          event: "connection",
          client: c.client,
          server: c.server,
        });
        break;
      }
      case "data":
        await narrations.get(e.connection.id)!.feed(e.from, e.bytes);
        break;
      case "end":
        narrations.get(e.connection.id)!.observer.end(e.from);
        break;
      case "done":
        for (const c of e.connections) {
          const n = narrations.get(c.id)!;
          const s = c.streams;
          const count = (f: "retransmitted" | "outOfOrder") => s.client[f] + s.server[f];
          const stranded = s.client.stranded + s.server.stranded;
          const tcp = [
            count("retransmitted") && `${count("retransmitted")} retransmitted segments dropped`,
            count("outOfOrder") && `${count("outOfOrder")} out-of-order segments put in order`,
            stranded && `${stranded} bytes after a gap the capture never filled`,
          ].filter(Boolean).join(", ");
          n.say(
            `end of capture: client sent ${n.bytes.client} bytes, server ${n.bytes.server}` +
              (tcp ? ` (${tcp})` : ""),
            {
              event: "summary",
              clientBytes: n.bytes.client,
              serverBytes: n.bytes.server,
              retransmitted: count("retransmitted"),
              outOfOrder: count("outOfOrder"),
              stranded,
              tls: !n.observer.notTls,
            },
          );
        }
        if (e.connections.length === 0) {
          const why = [...e.skipped].map(([k, v]) => `${v} × ${k}`).join(", ");
          out.write(`no TCP connection in ${path}${why ? ` (frames: ${why})` : ""}`);
        }
    }
  }
  return 0;
}
