/**
 * A capture file as TCP conversations: frames (`pcap.ts`) to segments
 * (`packet.ts`), segments grouped by connection (a SYN without ACK names
 * the client; without one, the first to send), each direction put in order
 * (`tcp_stream.ts`), and the bytes handed out in the order the capture saw
 * them become available.
 *
 * @module
 */

import type { Side } from "../trace.ts";
import { readCapture } from "./pcap.ts";
import { tcpSegment } from "./packet.ts";
import { TcpStream } from "./tcp_stream.ts";

/** One TCP connection found in the capture. */
export interface CapturedConnection {
  /** Numbered from 1 in the order they start. */
  readonly id: number;
  readonly client: string;
  readonly server: string;
  readonly streams: Readonly<Record<Side, TcpStream>>;
}

/** What happened next in the capture. */
export type CaptureEvent =
  | { kind: "open"; connection: CapturedConnection }
  | { kind: "data"; connection: CapturedConnection; from: Side; bytes: Uint8Array }
  | { kind: "end"; connection: CapturedConnection; from: Side; reset: boolean }
  /** The end of the file: every connection, and frames that held no TCP, by reason. */
  | { kind: "done"; connections: readonly CapturedConnection[]; skipped: Map<string, number> };

interface Tracked extends CapturedConnection {
  ended: Record<Side, boolean>;
  /** A FIN or RST seen while bytes before it are still missing: the end waits for them. */
  closing: Partial<Record<Side, { reset: boolean }>>;
}

/** The TCP conversations in a pcap or pcapng file. Throws `CaptureError` on a broken file. */
export function* captureEvents(file: Uint8Array): Generator<CaptureEvent> {
  const byPair = new Map<string, Tracked>();
  const all: Tracked[] = [];
  const skipped = new Map<string, number>();
  for (const frame of readCapture(file)) {
    const s = tcpSegment(frame.linkType, frame.data);
    if ("skipped" in s) {
      skipped.set(s.skipped, (skipped.get(s.skipped) ?? 0) + 1);
      continue;
    }
    const pair = [s.src, s.dst].sort().join(" ");
    let c = byPair.get(pair);
    const opening = s.syn && !s.ack;
    const fresh = opening && c !== undefined && (c.ended.client || c.ended.server ||
      c.streams.client.delivered > 0);
    if (!c || fresh) {
      if (!opening && s.payload.length === 0 && !c) continue; // a bare ACK of a connection we missed
      c = {
        id: all.length + 1,
        client: s.src,
        server: s.dst,
        streams: { client: new TcpStream(), server: new TcpStream() },
        ended: { client: false, server: false },
        closing: {},
      };
      byPair.set(pair, c);
      all.push(c);
      yield { kind: "open", connection: c };
    }
    const from: Side = s.src === c.client ? "client" : "server";
    const stream = c.streams[from];
    if (frame.cut) {
      skipped.set(
        "cut by the snapshot length",
        (skipped.get("cut by the snapshot length") ?? 0) + 1,
      );
      continue;
    }
    if (s.syn) stream.syn(s.seq);
    for (const bytes of stream.push(s.syn ? (s.seq + 1) >>> 0 : s.seq, s.payload)) {
      yield { kind: "data", connection: c, from, bytes };
    }
    if (s.fin || s.rst) c.closing[from] ??= { reset: s.rst };
    const closing = c.closing[from];
    if (closing && !c.ended[from] && (stream.stranded === 0 || closing.reset)) {
      c.ended[from] = true;
      stream.finished = true;
      yield { kind: "end", connection: c, from, reset: closing.reset };
    }
  }
  yield { kind: "done", connections: all, skipped };
}
