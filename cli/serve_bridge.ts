/**
 * `/bridge` of `serve --mode http`: a WebSocket joined to a TCP port, so
 * that a TLS client running in a web page (the library's
 * `WebSocketTransport`) can reach a TLS server. It is no open proxy: the
 * only targets are this server's own port and the loopback ports named
 * with `--bridge-to`.
 *
 * @module
 */

import { Serial } from "../lib/serial.ts";
import type { TlsConn } from "../lib/tls_conn.ts";
import { UsageError } from "./common.ts";
import {
  CloseCode,
  closeFrame,
  frame,
  FrameReader,
  Opcode,
  WebSocketError,
  type WebSocketEvent,
} from "./websocket.ts";

/** A TCP address the bridge may join. */
export interface BridgeTarget {
  hostname: string;
  port: number;
}

/** How long the bridge waits for the page's close frame after sending its own. */
const CLOSE_WAIT_MS = 2000;

/** `127.0.0.1:8443` or `[::1]:8443`. */
export function targetName(t: BridgeTarget): string {
  return t.hostname.includes(":") ? `[${t.hostname}]:${t.port}` : `${t.hostname}:${t.port}`;
}

/**
 * Parses `--bridge-to`: a comma-separated list of loopback HOST:PORT
 * (127.0.0.0/8, [::1] or localhost). Anything else would make the bridge
 * a way into other machines, so it is refused.
 */
export function parseBridgeTargets(list: string): BridgeTarget[] {
  return list.split(",").map((item) => {
    const m = item.trim().match(/^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/);
    const hostname = m ? (m[1] ?? m[2]) : "";
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new UsageError(
        `--bridge-to "${item}" is not HOST:PORT`,
        "e.g. --bridge-to 127.0.0.1:4433,[::1]:4433",
      );
    }
    if (!isLoopback(hostname)) {
      throw new UsageError(
        `--bridge-to ${item}: ${hostname} is not a loopback address`,
        "the bridge only reaches this machine: use 127.0.0.1, [::1] or localhost",
      );
    }
    return { hostname: hostname === "localhost" ? "127.0.0.1" : hostname, port };
  });
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Joins the WebSocket on `conn` (its opening handshake already answered)
 * to `target` until either side ends; returns the outcome for the log.
 * `early` holds bytes the page sent right after its upgrade request.
 */
export async function runBridge(
  conn: TlsConn,
  early: Uint8Array,
  target: BridgeTarget,
): Promise<string> {
  const sends = new Serial();
  let closeSent = false;
  const send = (bytes: Uint8Array) => sends.run(() => conn.write(bytes));
  const sendClose = (code: number, reason: string) => {
    if (closeSent) return Promise.resolve();
    closeSent = true;
    return send(closeFrame(code, reason)).then(() => {});
  };
  let tcp: Deno.TcpConn;
  try {
    tcp = await Deno.connect({ hostname: target.hostname, port: target.port });
  } catch (e) {
    await sendClose(CloseCode.internalError, `cannot reach ${targetName(target)}`);
    return `bridge to ${targetName(target)} failed: ${(e as Error).message}`;
  }
  tcp.setNoDelay(true);
  let up = 0, down = 0, tcpOpen = true, why = "";
  const closeTcp = () => {
    if (!tcpOpen) return;
    tcpOpen = false;
    try {
      tcp.close();
    } catch {
      // already closed
    }
  };

  // Page → target: the page's WebSocket frames, unmasked, onto the TCP connection.
  const fromPage = (async () => {
    const reader = new FrameReader();
    const buf = new Uint8Array(1 << 16);
    let events: WebSocketEvent[] = early.length ? reader.push(early) : [];
    while (true) {
      for (const ev of events) {
        if (ev.type === "data" && tcpOpen) {
          up += ev.bytes.length;
          await tcp.write(ev.bytes).catch(() => closeTcp());
        } else if (ev.type === "ping") {
          await send(frame(Opcode.pong, ev.payload));
        } else if (ev.type === "close") {
          why ||= `the page closed the WebSocket${ev.code ? ` (${ev.code})` : ""}`;
          await sendClose(CloseCode.normal, "");
          return;
        }
      }
      const n = await conn.read(buf);
      if (n === null) {
        why ||= "the page ended the connection";
        return;
      }
      events = reader.push(buf.slice(0, n));
    }
  })().catch(async (e) => {
    if (e instanceof WebSocketError) {
      why ||= `refused a frame: ${e.message}`;
      await sendClose(e.code, e.message).catch(() => {});
    } else why ||= `the page's connection failed: ${(e as Error).message}`;
  }).finally(closeTcp);

  // Target → page: each TCP read as one binary message.
  const fromTarget = (async () => {
    const buf = new Uint8Array(1 << 16);
    while (true) {
      const n = await tcp.read(buf).catch(() => null);
      if (n === null) break;
      down += n;
      await send(frame(Opcode.binary, buf.slice(0, n)));
    }
    why ||= `${targetName(target)} closed`;
    await sendClose(CloseCode.normal, "");
  })().catch(() => {
    why ||= "the page's connection failed";
  });

  await Promise.race([fromPage, fromTarget]);
  closeTcp();
  // The other direction ends too: wait briefly for the page's close frame (RFC 6455 §7.1.1).
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all([fromPage, fromTarget]),
    new Promise((resolve) => timer = setTimeout(resolve, CLOSE_WAIT_MS)),
  ]);
  clearTimeout(timer);
  return `bridged to ${targetName(target)}: ${up} bytes up, ${down} down; ${why}`;
}
