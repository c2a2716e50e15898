/**
 * The public `Connection` is a facade: the handshakes' own interface
 * (`HandshakeIO`: expect, send, key changes, trace, ...) lives on a private
 * driver, so a user cannot inject handshake messages, change keys or write
 * a forged key log line through the object they hold.
 */

import assert from "node:assert/strict";
import { Connection } from "../lib/mod.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { misuse } from "./helpers/errors.ts";
import { acceptAnything, handshakePair, serverConfigFor } from "./helpers/pair.ts";

/** Every member of HandshakeIO (lib/handshake/io.ts). */
const HANDSHAKE_IO = [
  "expect",
  "send",
  "acceptEarlyData",
  "sendInTheClear",
  "sendEarlyData",
  "sendChangeCipherSpec",
  "setWriteKeys",
  "setReadKeys",
  "skipEarlyData",
  "writeEpoch",
  "crypto",
  "random",
  "now",
  "trace",
];

Deno.test("connection API: none of the handshake's interface is reachable from a Connection", async () => {
  const lines: string[] = [];
  const client = Connection.client({
    serverName: "localhost",
    verifier: acceptAnything,
    keyLog: (line) => lines.push(line),
  });
  await client.start();
  for (const name of HANDSHAKE_IO) assert.ok(!(name in client), `Connection has ${name}`);
  const members = Object.getOwnPropertyNames(Connection.prototype).sort();
  assert.deepEqual(members, [
    "abort",
    "buffered",
    "canSendCloseNotify",
    "close",
    "constructor",
    "endOfInput",
    "error",
    "handshakeInfo",
    "keyUpdate",
    "peerCertificates",
    "peerClosed",
    "receive",
    "releaseOutput",
    "start",
    "takeEvents",
    "takeOutput",
    "write",
  ]);
  assert.deepEqual(Object.keys(client), ["role"]);
  assert.deepEqual(lines, [], "nothing is logged before the server's flight");
});

Deno.test("connection API: write and keyUpdate at the wrong time are refused as API misuse, and nothing is sent", async () => {
  const client = Connection.client({ serverName: "localhost", verifier: acceptAnything });
  await client.start();
  client.takeOutput();
  await assert.rejects(() => client.write(Uint8Array.of(1)), misuse("write_before_handshake"));
  await assert.rejects(() => client.keyUpdate(), misuse("key_update_before_handshake"));
  assert.equal(client.takeOutput().length, 0);
  assert.equal(client.error, undefined, "the connection itself has not failed");

  const r = await handshakePair({}, await serverConfigFor(await makeCertSet()));
  await r.client.close();
  r.client.takeOutput();
  await assert.rejects(() => r.client.write(Uint8Array.of(1)), misuse("write_after_close"));
  assert.equal(r.client.takeOutput().length, 0);
});
