#!/usr/bin/env node
// A TLS 1.3 echo server for Node.js 20 and later on the bundled library (`deno task bundle` makes
// dist/handshake-node.mjs): each client gets back what it sends, until it sends close_notify.
// One line per connection on standard output says what was negotiated and how it ended.
//
//   node examples/node_server.mjs PORT CERT_FILE KEY_FILE     (PORT 0 picks a free one)

import { readFileSync } from "node:fs";
import { listen, loadCertifiedKey, PeerAlert, TlsError } from "../dist/handshake-node.mjs";

function summary(e) {
  if (e instanceof TlsError) return `${e.message} (sent alert ${e.alertName})`;
  if (e instanceof PeerAlert) return `the peer sent alert ${e.alertName}`;
  return e?.message ?? String(e);
}

/** Echoes one client; never throws. */
async function serve(conn) {
  const peer = `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`;
  try {
    const info = await conn.handshake();
    let bytes = 0;
    for await (const chunk of conn.readable) {
      bytes += chunk.length;
      await conn.write(chunk);
    }
    await conn.close();
    console.log(`${peer}  ${info.group} ${info.cipherSuite}  ok, echoed ${bytes} bytes`);
  } catch (e) {
    await conn.close().catch(() => {});
    console.log(`${peer}  failed: ${summary(e)}`);
  }
}

const [portText, certFile, keyFile] = process.argv.slice(2);
if (!keyFile) {
  console.error("usage: node examples/node_server.mjs PORT CERT_FILE KEY_FILE");
  process.exit(2);
}
try {
  const certificate = await loadCertifiedKey(
    readFileSync(certFile, "utf8"),
    readFileSync(keyFile, "utf8"),
  );
  const listener = await listen({
    port: Number(portText),
    certificate,
    handshakeTimeoutMs: 10_000,
  });
  console.error(`node_server: listening on ${listener.addr.hostname}:${listener.addr.port}`);
  process.on("SIGTERM", () => listener.close());
  for await (const conn of listener) serve(conn);
} catch (e) {
  console.error(`node_server: ${summary(e)}`);
  process.exit(1);
}
