/**
 * The observer opens a run of encrypted records at once (several WebCrypto
 * calls in flight instead of one at a time): the story it tells must be the
 * one it tells when fed record by record, with every byte of data decrypted,
 * also when a KeyUpdate sits in the middle of a run (the records after it
 * are opened again under the new keys). Once per crypto provider.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ContentType } from "../lib/codepoints.ts";
import { Connection } from "../lib/connection.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";
import { KeyLogBook } from "../lib/inspect/key_log_reader.ts";
import { ConversationObserver, type InspectEvent } from "../lib/inspect/observer.ts";
import type { Side } from "../lib/trace.ts";
import { makeCertSet, verifierFor } from "./helpers/certs.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { testEachProvider } from "./helpers/providers.ts";

const set = await makeCertSet();

/** Deterministic bytes: a counter mod 251, so that misplaced bytes show. */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i + seed) % 251;
  return out;
}

/**
 * A conversation whose client sends, in one piece: 100,000 bytes (7
 * records), a KeyUpdate asking for the server's, and 50,000 bytes more.
 */
async function conversation(crypto: CryptoProvider) {
  let keyLog = "";
  const client = Connection.client({
    crypto,
    verifier: verifierFor(set),
    serverName: "localhost",
    keyLog: (line) => keyLog += line,
  });
  const server = Connection.server(await serverConfigFor(set, { crypto }));
  const chunks: { from: Side; bytes: Uint8Array }[] = [];
  const move = async () => {
    for (let quiet = false; !quiet;) {
      const a = client.takeOutput();
      if (a.length) chunks.push({ from: "client", bytes: a.slice() });
      if (a.length) await server.receive(a);
      const b = server.takeOutput();
      if (b.length) chunks.push({ from: "server", bytes: b.slice() });
      if (b.length) await client.receive(b);
      quiet = !a.length && !b.length;
    }
  };
  await client.start();
  await move();
  await client.write(pattern(100_000, 1));
  await client.keyUpdate(true);
  await client.write(pattern(50_000, 2));
  await server.write(pattern(40_000, 3));
  await move();
  await client.close();
  await move();
  return { chunks, keyLog };
}

/** What the observer tells, fed each chunk whole or one record at a time. */
async function story(
  crypto: CryptoProvider,
  conv: Awaited<ReturnType<typeof conversation>>,
  byRecord: boolean,
): Promise<InspectEvent[]> {
  const book = new KeyLogBook();
  book.add(conv.keyLog);
  book.end();
  const events: InspectEvent[] = [];
  const o = new ConversationObserver(
    (e) => events.push(e),
    (random, label) => Promise.resolve(book.get(random, label)),
    crypto,
  );
  for (const { from, bytes } of conv.chunks) {
    if (!byRecord) {
      await o.feed(from, bytes);
      continue;
    }
    for (let at = 0; at < bytes.length;) {
      const end = at + 5 + ((bytes[at + 3] << 8) | bytes[at + 4]);
      await o.feed(from, bytes.subarray(at, end));
      at = end;
    }
  }
  o.end("client");
  o.end("server");
  return events;
}

/** The application data told as decrypted from `from`, joined. */
function dataFrom(events: InspectEvent[], from: Side): Uint8Array {
  const parts = events.flatMap((e) =>
    e.kind === "record" && e.from === from && e.contentType === ContentType.application_data
      ? [e.content]
      : []
  );
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

const text = (events: InspectEvent[]) =>
  events.map((e) => JSON.stringify(e, (_, v) => v instanceof Uint8Array ? v.toHex() : v));

testEachProvider(
  "inspect: records opened at once tell the story told record by record, across a KeyUpdate",
  async (crypto) => {
    const conv = await conversation(crypto);
    const whole = await story(crypto, conv, false);
    const one = await story(crypto, conv, true);
    assert.deepEqual(text(whole), text(one));
    const sent = new Uint8Array([...pattern(100_000, 1), ...pattern(50_000, 2)]);
    assert.deepEqual(dataFrom(whole, "client"), sent);
    assert.deepEqual(dataFrom(whole, "server"), pattern(40_000, 3));
    assert.ok(!whole.some((e) => e.kind === "sealed" || e.kind === "problem"));
  },
);
