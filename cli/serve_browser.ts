/**
 * `/browser` and `/bridge` of `serve --mode http`: a page whose own
 * JavaScript runs a TLS 1.3 client (the library's browser bundle, from
 * `deno task bundle`), and the WebSocket bridge it speaks through, joined
 * to this server's TLS port or a loopback port named with `--bridge-to`.
 *
 * @module
 */

import type { TlsConn } from "../lib/tls_conn.ts";
import { browserPage } from "./browser_page.ts";
import { type BridgeTarget, parseBridgeTargets, runBridge, targetName } from "./serve_bridge.ts";
import { acceptKey } from "./websocket.ts";

/** The flags of the browser page and the bridge. */
export const BROWSER_FLAGS = {
  "bridge-to": { type: "string" },
  "browser-ca": { type: "string", default: "certs/ca.pem" },
  "browser-js": { type: "string", default: "dist/handshake-browser.mjs" },
} as const;

/** Their lines in `serve --help`. */
export const BROWSER_HELP =
  `  --browser-ca FILE   http mode: the CA the /browser page trusts (default certs/ca.pem)
  --browser-js FILE   http mode: the library the /browser page runs
                      (default dist/handshake-browser.mjs, made by \`deno task bundle\`)
  --bridge-to LIST    http mode: loopback HOST:PORTs /bridge?to= may join besides this server`;

const PAGE = "/browser";
const LIBRARY = "/browser/handshake.mjs";
const BRIDGE = "/bridge";

/** One request, as the HTTP site parsed it. */
export interface BrowserRequest {
  /** The request target, query included. */
  target: string;
  /** The whole request head. */
  head: string;
  keepAlive: boolean;
  headOnly: boolean;
  /** Bytes received after the head. */
  rest: Uint8Array;
}

const encoder = new TextEncoder();

/** The --bridge-to targets, checked (loopback HOST:PORTs only) before any file is read. */
export function bridgeTargets(values: { "bridge-to"?: string }): BridgeTarget[] {
  return values["bridge-to"] ? parseBridgeTargets(values["bridge-to"]) : [];
}

/** Serves the page, the library and the bridge. */
export class BrowserSite {
  readonly #page?: string;
  readonly #library?: string;
  readonly #unavailable?: string;
  readonly #own: () => BridgeTarget;
  readonly #others: readonly BridgeTarget[];

  /**
   * `own` gives this server's address once it listens; `values` are the
   * flags; `others` the --bridge-to targets (see `bridgeTargets`). A missing
   * library or CA turns /browser off (it says why).
   */
  static async load(
    values: { "browser-ca": string; "browser-js": string },
    own: () => BridgeTarget,
    others: readonly BridgeTarget[],
  ): Promise<BrowserSite> {
    const [library, caPem] = await Promise.all([
      readOrWhy(values["browser-js"], "run `deno task bundle` to make it, or give --browser-js"),
      readOrWhy(values["browser-ca"], "give --browser-ca the CA that issued --cert"),
    ]);
    if ("why" in library || "why" in caPem) {
      const why = "why" in library ? library.why : (caPem as { why: string }).why;
      return new BrowserSite(own, others, undefined, undefined, why);
    }
    const page = browserPage({ caPem: caPem.text, libraryPath: LIBRARY, bridgePath: BRIDGE });
    return new BrowserSite(own, others, page, library.text);
  }

  private constructor(
    own: () => BridgeTarget,
    others: readonly BridgeTarget[],
    page?: string,
    library?: string,
    unavailable?: string,
  ) {
    this.#own = own;
    this.#others = others;
    this.#page = page;
    this.#library = library;
    this.#unavailable = unavailable;
  }

  /** Why /browser is off, if it is. */
  get unavailable(): string | undefined {
    return this.#unavailable;
  }

  /** Whether `path` is one of this site's. */
  handles(path: string): boolean {
    return path === PAGE || path === LIBRARY || path === BRIDGE;
  }

  /**
   * Answers one request. Returns the outcome for the log when the
   * connection was taken over (the bridge), undefined when HTTP goes on.
   */
  async serve(conn: TlsConn, req: BrowserRequest): Promise<string | undefined> {
    const path = req.target.split("?")[0];
    if (path === BRIDGE) return await this.#bridge(conn, req);
    const body = path === PAGE ? this.#page : this.#library;
    if (body === undefined) {
      await conn.write(response(404, "text/plain", `${this.#unavailable}\n`, req));
      return undefined;
    }
    const type = path === PAGE ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8";
    await conn.write(response(200, type, body, req));
    return undefined;
  }

  /** RFC 6455 §4.2: checks the upgrade and the target, answers 101, then bridges. */
  async #bridge(conn: TlsConn, req: BrowserRequest): Promise<string | undefined> {
    const headers = parseHeaders(req.head);
    const refuse = async (status: number, text: string, extra: Record<string, string> = {}) => {
      await conn.write(
        response(status, "text/plain", `${text}\n`, { ...req, keepAlive: false }, extra),
      );
      return `refused a bridge: ${text}`;
    };
    const key = headers.get("sec-websocket-key") ?? "";
    if (
      req.headOnly ||
      !/\bwebsocket\b/i.test(headers.get("upgrade") ?? "") ||
      !/\bupgrade\b/i.test(headers.get("connection") ?? "") ||
      !/^[A-Za-z0-9+/]{22}==$/.test(key)
    ) {
      return await refuse(400, "/bridge is a WebSocket: send a WebSocket upgrade");
    }
    if (headers.get("sec-websocket-version") !== "13") {
      return await refuse(426, "WebSocket version 13 only", { "Sec-WebSocket-Version": "13" });
    }
    // A page from another site may open WebSockets here too: only this site's own pages may.
    const origin = headers.get("origin");
    if (origin !== undefined && safeHost(origin) !== headers.get("host")) {
      return await refuse(403, `WebSockets from ${origin} are not allowed here`);
    }
    const wanted = new URL(req.target, "https://bridge.invalid").searchParams.get("to");
    const own = this.#own();
    const target = wanted === null
      ? own
      : [own, ...this.#others].find((t) => targetName(t) === wanted);
    if (!target) {
      return await refuse(
        403,
        `${wanted} is not a bridge target: this server and --bridge-to ports only`,
      );
    }
    await conn.write(encoder.encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
    ));
    return await runBridge(conn, req.rest, target);
  }
}

async function readOrWhy(path: string, hint: string): Promise<{ text: string } | { why: string }> {
  try {
    return { text: await Deno.readTextFile(path) };
  } catch (e) {
    return { why: `/browser is off: cannot read ${path} (${(e as Error).name}): ${hint}` };
  }
}

/** Header names (lower case) to values. */
function parseHeaders(head: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  return headers;
}

/** The host:port of an origin URL, or "" if it is not one. */
function safeHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return "";
  }
}

/** A whole response, head and body, to be sent in one write. */
function response(
  status: number,
  type: string,
  body: string,
  req: { keepAlive: boolean; headOnly?: boolean },
  extra: Record<string, string> = {},
): Uint8Array {
  const reason = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    426: "Upgrade Required",
  }[status];
  const bytes = encoder.encode(body);
  const head = encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n` +
      `Cache-Control: no-store\r\nConnection: ${req.keepAlive ? "keep-alive" : "close"}\r\n` +
      Object.entries(extra).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n",
  );
  if (req.headOnly) return head;
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}
