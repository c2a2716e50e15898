#!/usr/bin/env node
// A TLS 1.3 client for Node.js 20 and later on the bundled library (`deno task bundle` makes
// dist/handshake-node.mjs). It verifies the server against CA_FILE and SERVERNAME, copies standard
// input to the server and the server's data to standard output, and fails closed: one line on
// standard error and exit status 1 when the server cannot be trusted or the connection fails.
//
//   node examples/node_client.mjs HOST PORT CA_FILE SERVERNAME

import { readFileSync } from "node:fs";
import { connect, parseTrustAnchors, PathVerifier, TlsError } from "../dist/handshake-node.mjs";

const USAGE = "usage: node examples/node_client.mjs HOST PORT CA_FILE SERVERNAME";

/** The one line said about a failure; an alert we sent is named, as the CLI does. */
function summary(e) {
  if (e instanceof TlsError) return `${e.message} (sent alert ${e.alertName})`;
  return e?.message ?? String(e);
}

/** Ends the process once everything written to `stream` is flushed (process.exit alone may drop it). */
function exitAfter(stream, code) {
  stream.write("", () => process.exit(code));
}

let failed = false;

/** Says why in one line (once, whichever part fails first) and exits with status 1. */
function fail(e) {
  if (failed) return;
  failed = true;
  process.stderr.write(`node_client: ${summary(e)}\n`);
  exitAfter(process.stderr, 1);
}

async function main() {
  const [host, portText, caFile, serverName] = process.argv.slice(2);
  if (!serverName) throw new Error(USAGE);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`"${portText}" is not a TCP port`);
  let caPem;
  try {
    caPem = readFileSync(caFile, "utf8");
  } catch (e) {
    throw new Error(`cannot read the CA file ${caFile}: ${e.code ?? e.message}`);
  }
  const verifier = new PathVerifier(parseTrustAnchors(caPem, { source: caFile }));
  const conn = await connect({ hostname: host, port, serverName, verifier });
  const info = await conn.handshake();
  process.stderr.write(
    `node_client: connected, ${info.cipherSuite} ${info.group} (${info.provider} provider)\n`,
  );
  (async () => {
    for await (const chunk of process.stdin) await conn.write(chunk);
    await conn.closeWrite(); // close_notify: the server knows we are done
  })().catch(fail);
  for await (const chunk of conn.readable) {
    if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once("drain", r));
  }
  // The server sent close_notify: whatever standard input still holds has nowhere to go.
  await conn.close();
  if (!failed) exitAfter(process.stdout, 0);
}

main().catch(fail);
