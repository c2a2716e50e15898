/**
 * The `/browser` page of `serve --mode http`: a TLS 1.3 client running in
 * the page itself. Its script imports the library's browser bundle, opens
 * a WebSocket to `/bridge`, runs a whole handshake across it (the server's
 * certificate verified against the CA embedded here, on the browser's
 * WebCrypto), asks the server for its view of that handshake (`GET /json`),
 * reads to the server's close_notify and sends its own. It draws each step
 * from the connection's trace events as they happen, and writes a JSON
 * summary into the element with id `result`.
 *
 * @module
 */

/** What the page needs from the server. */
export interface BrowserPageOptions {
  /** The CA the page trusts, PEM. */
  caPem: string;
  /** Where the library is served (its browser bundle). */
  libraryPath: string;
  /** Where the bridge is. */
  bridgePath: string;
}

/** Text safe inside a <script> element: JSON with `<` escaped. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** The HTML of the page. */
export function browserPage(options: BrowserPageOptions): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>TLS 1.3 inside this page</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 62rem; margin: 1.5rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; }
#status { font-weight: 600; } #status.ok { color: #080; } #status.failed { color: #b00; }
svg text { font: 12px system-ui, sans-serif; }
ol#steps { font: 12px/1.5 ui-monospace, monospace; padding-left: 2.5rem; }
ol#steps .client { color: #036; } ol#steps .server { color: #630; } ol#steps .bad { color: #b00; font-weight: 600; }
#result { font: 12px ui-monospace, monospace; background: #f4f4f4; padding: .5rem; white-space: pre-wrap; word-break: break-all; }
</style></head>
<body>
<h1>TLS 1.3, run by this page</h1>
<p>This page's own JavaScript (the <a href="${options.libraryPath}">handshake library</a> bundled
for browsers, on the browser's WebCrypto) opens a WebSocket to <code>${options.bridgePath}</code>,
which the server joins to its TLS port, and speaks TLS 1.3 across it: the browser's own TLS is only
the envelope. <span id="status">Starting…</span></p>
<svg id="ladder" xmlns="http://www.w3.org/2000/svg" width="640" height="60" viewBox="0 0 640 60" role="img" aria-label="the handshake, message by message">
<text x="100" y="18" text-anchor="middle" font-weight="bold">This page (client)</text>
<text x="540" y="18" text-anchor="middle" font-weight="bold">Server</text>
<line id="life-client" x1="100" y1="26" x2="100" y2="55" stroke="#bbb"/>
<line id="life-server" x1="540" y1="26" x2="540" y2="55" stroke="#bbb"/>
</svg>
<h2>Step by step</h2>
<ol id="steps"></ol>
<h2>Result</h2>
<pre id="result"></pre>
<script type="module">
import {
  AlertDescription, Connection, HandshakeType, NamedGroup, parseTrustAnchors, PathVerifier,
  PeerAlert, SignatureScheme, TlsConn, TlsError, WebSocketTransport,
} from ${scriptJson(options.libraryPath)};

const CA_PEM = ${scriptJson(options.caPem)};
const params = new URLSearchParams(location.search);
const to = params.get("to");
const serverName = params.get("servername") ?? location.hostname;
const bridge = new URL(${scriptJson(options.bridgePath)}, location.href);
bridge.protocol = location.protocol === "https:" ? "wss:" : "ws:";
if (to) bridge.searchParams.set("to", to);

const started = performance.now();
const svg = document.getElementById("ladder");
const SVG = "http://www.w3.org/2000/svg";
const COLORS = { plaintext: "#666", handshake: "#c60", application: "#080" };
let y = 40;

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  svg.append(e);
}

function grow() {
  y += 26;
  svg.setAttribute("height", String(y + 10));
  svg.setAttribute("viewBox", \`0 0 640 \${y + 10}\`);
  for (const id of ["life-client", "life-server"]) document.getElementById(id).setAttribute("y2", String(y + 5));
}

/** An arrow for a handshake message, drawn as it is sent or received. */
function arrow(from, label, epoch) {
  grow();
  const [x1, x2] = from === "client" ? [100, 540] : [540, 100];
  const head = from === "client" ? x2 - 8 : x2 + 8;
  const color = COLORS[epoch] ?? "#333";
  el("line", { x1, y1: y, x2, y2: y, stroke: color, "stroke-width": 1.5 });
  el("polygon", { points: \`\${x2},\${y} \${head},\${y - 4} \${head},\${y + 4}\`, fill: color });
  el("text", { x: 320, y: y - 4, "text-anchor": "middle", fill: color }, \`\${label} (\${epoch === "plaintext" ? "plaintext" : epoch + " keys"})\`);
}

/** A line in the list of steps. */
function step(text, cls = "") {
  const li = document.createElement("li");
  li.className = cls;
  li.textContent = \`\${(performance.now() - started).toFixed(1).padStart(7)} ms  \${text}\`;
  document.getElementById("steps").append(li);
}

const events = [];
/** The keys each side writes with now, for the arrows of records that are not handshake messages. */
const epochs = { client: "plaintext", server: "plaintext" };
const epochOf = (side) => epochs[side];
const inData = { client: false, server: false };
let records = 0;
/** The connection's trace events, drawn as they happen (secrets are named, never shown). */
function trace(e) {
  events.push(e);
  switch (e.kind) {
    case "message": {
      const name = HandshakeType.name(e.type);
      arrow(e.from, name, e.epoch);
      step(\`\${e.from === "client" ? "→" : "←"} \${name}, \${e.raw.length} bytes (\${e.epoch})\`, e.from);
      break;
    }
    case "record": {
      records++;
      // One arrow for each run of application data records from a side, in wire order.
      const data = e.contentType === 23;
      if (data && !inData[e.from]) {
        arrow(e.from, "application data", e.epoch);
        if (e.from === "server") step("← application data", "server");
      }
      inData[e.from] = data;
      break;
    }
    case "hello_retry": step(\`HelloRetryRequest for \${NamedGroup.name(e.group)}: \${e.reason}\`, "server"); break;
    case "shared_secret": step(\`(EC)DHE shared secret computed over \${NamedGroup.name(e.group)}\`); break;
    case "secret": step(\`key schedule: \${e.name} derived\`); break;
    case "keys": epochs[e.direction] = e.epoch; step(\`\${e.direction} now writes with \${e.epoch} keys\`, e.direction); break;
    case "certificate_link": step(\`certificate "\${e.subject}" checked against "\${e.issuer}": \${e.ok ? "ok" : e.detail}\`, e.ok ? "" : "bad"); break;
    case "certificate_check": step(\`the \${e.peer}'s chain: \${e.ok ? "trusted" : "refused: " + e.detail}\`, e.ok ? "server" : "bad"); break;
    case "signature": step(\`\${e.from}'s CertificateVerify (\${SignatureScheme.name(e.scheme)}): \${e.ok ? "valid" : "INVALID"}\`, e.ok ? e.from : "bad"); break;
    case "finished": step(\`\${e.from}'s Finished: \${e.ok ? "matches the transcript" : "DOES NOT MATCH"}\`, e.ok ? e.from : "bad"); break;
    case "alert": arrow(e.from, \`alert \${AlertDescription.name(e.description)}\`, epochOf(e.from)); step(\`\${e.from === "client" ? "→" : "←"} alert \${AlertDescription.name(e.description)}\`, e.description === 0 ? e.from : "bad"); break;
    case "key_update": step(\`\${e.from} sent KeyUpdate\`, e.from); break;
  }
}

function summary(e) {
  if (e instanceof TlsError) return \`\${e.message} (sent alert \${e.alertName})\`;
  if (e instanceof PeerAlert) return \`the peer sent alert \${e.alertName}\`;
  return e?.message ?? String(e);
}

const status = document.getElementById("status");
let result;
try {
  step(\`WebSocket to \${bridge.href}\`);
  const transport = await WebSocketTransport.open(bridge);
  const verifier = new PathVerifier(parseTrustAnchors(CA_PEM, { source: "the page's CA" }));
  const client = Connection.client({ serverName, verifier, alpn: ["http/1.1"], trace });
  const conn = new TlsConn(client, transport, { handshakeTimeoutMs: 20_000 });
  const info = await conn.handshake();
  step(\`handshake complete: \${info.cipherSuite}, \${info.group}, \${info.signatureScheme}, on the \${info.provider} provider\`, "client");
  const request = \`GET /json HTTP/1.1\\r\\nHost: \${serverName}\\r\\nConnection: close\\r\\n\\r\\n\`;
  await conn.write(new TextEncoder().encode(request));
  step(\`→ \${request.length} bytes of application data: GET /json\`, "client");
  let response = "";
  const buf = new Uint8Array(1 << 14);
  const decoder = new TextDecoder();
  for (let n; (n = await conn.read(buf)) !== null;) {
    response += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  step(\`read \${response.length} bytes of application data, up to the server's close_notify\`, "server");
  await conn.close();
  let serverSaw;
  try {
    serverSaw = JSON.parse(response.slice(response.indexOf("\\r\\n\\r\\n") + 4)).chosen;
  } catch {
    serverSaw = undefined;
  }
  const verified = events.some((e) => e.kind === "certificate_check" && e.peer === "server" && e.ok);
  result = {
    ok: true,
    provider: info.provider,
    cipherSuite: info.cipherSuite,
    group: info.group,
    verified,
    signatureScheme: info.signatureScheme,
    serverName,
    bridgedTo: to ?? "this server",
    records,
    bytesSent: request.length,
    bytesReceived: response.length,
    response: response.split("\\r\\n")[0],
    serverSaw,
    closeNotify: true,
  };
  status.textContent = \`Done: TLS 1.3 with \${info.cipherSuite} over \${info.group}, certificate verified.\`;
  status.className = "ok";
} catch (e) {
  result = { ok: false, error: summary(e) };
  step(\`failed: \${summary(e)}\`, "bad");
  status.textContent = \`Failed: \${summary(e)}\`;
  status.className = "failed";
}
document.getElementById("result").textContent = JSON.stringify(result);
</script>
</body></html>
`;
}
