/**
 * The trace events the engine emits: the transcript hash after every
 * handshake message (checked against a hash of the messages traced), the
 * HelloRetryRequest's message_hash, and the ChangeCipherSpec records.
 */

import assert from "node:assert/strict";
import { ContentType, NamedGroup } from "../lib/codepoints.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { concat } from "../lib/wire/writer.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { handshakePair, serverConfigFor } from "./helpers/pair.ts";

const set = await makeCertSet();

/** Runs a pair with both sides traced. */
async function traced(client: { groups?: number[] } = {}, server: { groups?: number[] } = {}) {
  const c: TraceEvent[] = [], s: TraceEvent[] = [];
  const r = await handshakePair(
    { ...client, trace: (e) => c.push(e) },
    await serverConfigFor(set, { ...server, trace: (e) => s.push(e) }),
  );
  assert.equal(r.clientError, undefined);
  assert.equal(r.serverError, undefined);
  return { client: c, server: s };
}

const labels = (events: TraceEvent[]) =>
  events.flatMap((e) => e.kind === "transcript" ? [e.after] : []);

Deno.test("trace: a transcript hash after every handshake message, on both sides", async () => {
  const { client, server } = await traced();
  const expected = [
    "ClientHello",
    "ServerHello",
    "EncryptedExtensions",
    "server Certificate",
    "server CertificateVerify",
    "server Finished",
    "client Finished",
  ];
  assert.deepEqual(labels(client), expected);
  assert.deepEqual(labels(server), expected);
  // Each value is SHA-256 of the messages traced so far.
  for (const events of [client, server]) {
    const messages = events.flatMap((e) => e.kind === "message" ? [e.raw] : []);
    const hashes = events.flatMap((e) => e.kind === "transcript" ? [e] : []);
    for (const [i, h] of hashes.entries()) {
      assert.equal(h.hash, "SHA-256");
      // Checked against WebCrypto's own SHA-256, independently of the provider's.
      const all = concat(...messages.slice(0, i + 1));
      const want = new Uint8Array(await crypto.subtle.digest("SHA-256", all as BufferSource));
      assert.equal(h.value.toHex(), want.toHex(), h.after);
    }
  }
});

Deno.test("trace: after a HelloRetryRequest, ClientHello1 becomes message_hash", async () => {
  const { client, server } = await traced(
    { groups: [NamedGroup.secp256r1, NamedGroup.x25519] },
    { groups: [NamedGroup.x25519] },
  );
  const expected = [
    "ClientHello",
    "message_hash (in place of ClientHello1)",
    "HelloRetryRequest",
    "ClientHello",
    "ServerHello",
  ];
  assert.deepEqual(labels(client).slice(0, 5), expected);
  assert.deepEqual(labels(server).slice(0, 5), expected);
  const hrr = client.find((e) => e.kind === "hello_retry");
  assert.ok(hrr && hrr.kind === "hello_retry" && hrr.group === NamedGroup.x25519);
});

Deno.test("trace: ChangeCipherSpec records are traced, sent and received", async () => {
  const { client, server } = await traced();
  const ccs = (events: TraceEvent[]) =>
    events.filter((e) => e.kind === "record" && e.contentType === ContentType.change_cipher_spec)
      .map((e) => e.kind === "record" && `${e.from} ${e.bytes.toHex()}`);
  assert.deepEqual(ccs(client), ["client 140303000101", "server 140303000101"]);
  assert.deepEqual(ccs(server), ["server 140303000101", "client 140303000101"]);
});
