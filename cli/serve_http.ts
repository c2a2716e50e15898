/**
 * `serve --mode http`: answers HTTP/1.1 requests with a page that shows the
 * visitor their own handshake (what their client offered, what was chosen,
 * the chain served, and a sequence diagram of this very connection's
 * messages); `GET /json` gives the same as JSON.
 *
 * @module
 */

import { TruncationError } from "../lib/errors.ts";
import type { HandshakeInfo, ServerConfig } from "../lib/config.ts";
import type { CodePoint } from "../lib/inspect/code_point.ts";
import { type HandshakeReport, handshakeReport, type MessageStep } from "../lib/inspect/report.ts";
import type { TlsConn } from "../lib/tls_conn.ts";
import type { TraceEvent } from "../lib/trace.ts";
import type { BrowserSite } from "./serve_browser.ts";
import { concat } from "../lib/wire/writer.ts";

/** Largest request head accepted, in bytes. */
const MAX_HEAD = 16 * 1024;
/** A connection idle this long between requests is closed. */
const IDLE_MS = 30_000;
/** Requests served on one connection at most. */
const MAX_REQUESTS = 100;

const encoder = new TextEncoder();

/** The trace events of each open connection, and the pages made from them. */
export class HttpSite {
  readonly #events = new Map<number, TraceEvent[]>();
  readonly #chain: readonly Uint8Array[];
  readonly #browser?: BrowserSite;

  /**
   * `config` is the server's: its chain is what every visitor is shown.
   * `browser` serves /browser and /bridge.
   */
  constructor(config: ServerConfig, browser?: BrowserSite) {
    this.#chain = config.certificate?.chain ?? [];
    this.#browser = browser;
  }

  /** A trace for connection `id` that keeps its events for the page. */
  recorder(id: number): (e: TraceEvent) => void {
    const events: TraceEvent[] = [];
    this.#events.set(id, events);
    return (e) => events.push(e);
  }

  /** Forgets connection `id`. */
  forget(id: number): void {
    this.#events.delete(id);
  }

  /** Serves one client's requests until it closes; returns the outcome for the log. */
  async serve(conn: TlsConn, id: number, info: HandshakeInfo): Promise<string> {
    const report = await handshakeReport(this.#events.get(id) ?? [], info, this.#chain);
    let served = 0;
    let buffered = new Uint8Array(0);
    /** Bytes of the connection's data taken so far: the ones before earlyDataLength came as 0-RTT. */
    let consumed = 0;
    const buf = new Uint8Array(MAX_HEAD);
    while (served < MAX_REQUESTS) {
      let end: number;
      while ((end = headEnd(buffered)) < 0) {
        if (buffered.length >= MAX_HEAD) {
          await respond(conn, 431, "text/plain", "request head too large\n", false);
          return `refused a request head over ${MAX_HEAD} bytes`;
        }
        let n: number | null;
        try {
          n = await readWithin(conn, buf, IDLE_MS);
        } catch (e) {
          // Browsers drop idle connections without close_notify; between two requests
          // nothing can have been cut short (HTTP frames its own messages).
          if (!(e instanceof TruncationError) || buffered.length > 0) throw e;
          return `${requests(served)}; the client closed without close_notify, between requests`;
        }
        if (n === null) return requests(served);
        const next = new Uint8Array(buffered.length + n);
        next.set(buffered);
        next.set(buf.subarray(0, n), buffered.length);
        buffered = next;
      }
      const head = new TextDecoder().decode(buffered.subarray(0, end));
      buffered = buffered.slice(end + 4);
      const early = consumed < conn.earlyDataLength;
      consumed += end + 4;
      const [method, target, version] = head.split("\r\n")[0].split(" ");
      const keepAlive = version === "HTTP/1.1" && !/^connection:\s*close\s*$/im.test(head);
      served++;
      // RFC 8470 §5.2: early data may be a replay; only safe methods are served from it.
      if (early && method !== "GET" && method !== "HEAD") {
        await respond(
          conn,
          425,
          "text/plain",
          "too early: send it again after the handshake\n",
          false,
        );
        return `${requests(served)}, answered a ${method} in 0-RTT data with 425 Too Early`;
      }
      if (method !== "GET" && method !== "HEAD") {
        await respond(conn, 405, "text/plain", "only GET and HEAD\n", false);
        return `${requests(served)}, refused a ${method}`;
      }
      const path = (target ?? "/").split("?")[0];
      if (this.#browser?.handles(path)) {
        const request = { target, head, keepAlive, headOnly: method === "HEAD", rest: buffered };
        const taken = await this.#browser.serve(conn, request);
        if (taken !== undefined) return `${requests(served)}; ${taken}`;
        if (!keepAlive) break;
        continue;
      }
      const body = path === "/"
        ? ["text/html; charset=utf-8", renderPage(report)]
        : path === "/json"
        ? ["application/json", JSON.stringify(report, null, 2) + "\n"]
        : undefined;
      if (body) await respond(conn, 200, body[0], body[1], keepAlive, method === "HEAD");
      else await respond(conn, 404, "text/plain", "not found: try / or /json\n", keepAlive);
      if (!keepAlive) break;
    }
    return requests(served);
  }
}

function requests(n: number): string {
  return `served ${n} request${n === 1 ? "" : "s"}`;
}

function headEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

/** Reads, or gives up (closing the connection) after `ms` of silence. */
async function readWithin(conn: TlsConn, buf: Uint8Array, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([conn.read(buf), idle]);
  } finally {
    clearTimeout(timer);
  }
}

const REASONS: Record<number, string> = {
  200: "OK",
  404: "Not Found",
  405: "Method Not Allowed",
  425: "Too Early",
  431: "Request Header Fields Too Large",
};

/**
 * Sends one response, head and body with one write, so that a response that
 * fits in a record goes out as one record (and one packet).
 */
async function respond(
  conn: TlsConn,
  status: number,
  type: string,
  body: string,
  keepAlive: boolean,
  headOnly = false,
): Promise<void> {
  const bytes = encoder.encode(body);
  const head = `HTTP/1.1 ${status} ${REASONS[status]}\r\n` +
    `Content-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n` +
    `Cache-Control: no-store\r\nConnection: ${keepAlive ? "keep-alive" : "close"}\r\n\r\n`;
  await conn.write(headOnly ? encoder.encode(head) : concat(encoder.encode(head), bytes));
}

// --- the page ---

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function codes(list: readonly CodePoint[] | undefined): string {
  if (!list) return "<em>not sent</em>";
  return list.map((c) =>
    c.grease
      ? `<span class="grease" title="GREASE (RFC 8701): ignored">GREASE ${c.hex}</span>`
      : c.known
      ? `<code>${esc(c.name)}</code>`
      : `<span class="unknown">unknown ${c.hex}</span>`
  ).join(", ");
}

function row(name: string, value: string): string {
  return `<tr><th>${esc(name)}</th><td>${value}</td></tr>`;
}

/** The HTML page: the visitor's offer, the choice, the chain, the diagram. */
function renderPage(r: HandshakeReport): string {
  const ch = r.clientHello;
  const offered = ch
    ? [
      row("ClientHello size", `${ch.size} bytes`),
      row("versions", codes(ch.versions)),
      row("cipher suites", codes(ch.cipherSuites)),
      row("groups", codes(ch.groups)),
      row(
        "key shares",
        (ch.keyShares ?? []).map((s) =>
          `${codes([s.group])} <small>${s.length} bytes: <code>${esc(s.publicKey.slice(0, 32))}${
            s.length > 16 ? "…" : ""
          }</code></small>`
        ).join("<br>") || "<em>none</em>",
      ),
      row("signature algorithms", codes(ch.signatureAlgorithms)),
      row(
        "server name (SNI)",
        ch.serverName ? `<code>${esc(ch.serverName)}</code>` : "<em>none</em>",
      ),
      row(
        "ALPN",
        ch.alpn ? ch.alpn.map((p) => `<code>${esc(p)}</code>`).join(", ") : "<em>none</em>",
      ),
      row(
        "extensions, in order",
        ch.extensions.map((e) => `${codes([e.type])} <small>(${e.length})</small>`).join(", "),
      ),
      row("random", `<code>${ch.random}</code>`),
    ].join("\n")
    : row("ClientHello", "<em>could not be decoded</em>");
  const c = r.chosen;
  const chosen = [
    row("version", esc(c.version)),
    row("cipher suite", `<code>${esc(c.cipherSuite)}</code>`),
    row("group", `<code>${esc(c.group)}</code>`),
    row(
      "HelloRetryRequest",
      r.helloRetry ? esc(r.helloRetry.reason) : "no: your key share was usable",
    ),
    row("server signature", `<code>${esc(c.signatureScheme)}</code>`),
    row("ALPN", c.alpn ? `<code>${esc(c.alpn)}</code>` : "<em>none</em>"),
  ].join("\n");
  const chain = r.certificateChain.map((cert, i) =>
    `<table class="cert"><caption>#${i} ${i === 0 ? "(this server)" : ""}</caption>
${row("subject", esc(cert.subject))}
${row("issuer", esc(cert.issuer))}
${row("names", esc(cert.subjectAltNames.join(", ") || "(none)"))}
${row("serial", `<code>${cert.serial}</code>`)}
${row("valid", `${esc(cert.notBefore)} → ${esc(cert.notAfter)}`)}
${row("key", esc(cert.publicKey))}
${row("SHA-256", `<code class="wrap">${cert.sha256}</code>`)}
</table>`
  ).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Your TLS 1.3 handshake</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid #ddd; }
th { width: 12rem; font-weight: 600; }
code { font-size: 90%; } .wrap { word-break: break-all; }
.grease { color: #888; font-style: italic; } .unknown { color: #a60; }
caption { text-align: left; font-weight: 600; }
svg text { font: 13px system-ui, sans-serif; }
</style></head>
<body>
<h1>Your TLS 1.3 handshake with handshake</h1>
<p>This page was served over the connection it describes: a TLS 1.3 implementation written from
scratch in TypeScript read your browser's ClientHello, chose what to use, and proved who it is.</p>
<h2>What your client offered</h2>
<table id="offered">
${offered}
</table>
<h2>What was chosen</h2>
<table id="chosen">
${chosen}
</table>
<h2>The messages of this connection</h2>
${sequenceDiagram(r.messages)}
<h2>The certificate chain served</h2>
${chain}
<p><a href="/json">The same as JSON</a></p>
</body></html>
`;
}

const COLORS: Record<MessageStep["protection"], string> = {
  plaintext: "#666",
  early: "#a0a",
  handshake: "#c60",
  application: "#080",
};

/** An SVG sequence diagram: client on the left, server on the right, one arrow per message. */
function sequenceDiagram(steps: readonly MessageStep[]): string {
  const left = 90, right = 530, top = 50, gap = 30;
  const height = top + steps.length * gap + 20;
  const arrows = steps.map((s, i) => {
    const y = top + i * gap + 15;
    const [x1, x2] = s.from === "client" ? [left, right] : [right, left];
    const head = s.from === "client" ? x2 - 8 : x2 + 8;
    const color = COLORS[s.protection];
    const label = `${s.name} (${
      s.protection === "plaintext" ? "plaintext" : `${s.protection} keys`
    })`;
    return `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${color}" stroke-width="1.5"/>
<polygon points="${x2},${y} ${head},${y - 4} ${head},${y + 4}" fill="${color}"/>
<text x="${(left + right) / 2}" y="${y - 4}" text-anchor="middle" fill="${color}">${
      esc(label)
    }</text>`;
  }).join("\n");
  return `<svg id="sequence" xmlns="http://www.w3.org/2000/svg" width="620" height="${height}" viewBox="0 0 620 ${height}" role="img" aria-label="sequence diagram of this connection">
<text x="${left}" y="20" text-anchor="middle" font-weight="bold">Client (you)</text>
<text x="${right}" y="20" text-anchor="middle" font-weight="bold">Server</text>
<line x1="${left}" y1="30" x2="${left}" y2="${height - 5}" stroke="#bbb"/>
<line x1="${right}" y1="30" x2="${right}" y2="${height - 5}" stroke="#bbb"/>
${arrows}
</svg>`;
}
