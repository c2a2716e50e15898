/**
 * The outbox (lib/record/outbox.ts) on its own: what is queued goes out in
 * order (RFC 8446 §5), handshake messages in a row share records, the
 * compatibility ChangeCipherSpec stays plaintext (§D.4), a key change takes
 * effect exactly at its place in the queue (even when its AEAD key is still
 * being made), records hold at most the fragment limit, sequence numbers
 * count per key, and what failed or was discarded is not sent.
 */

import assert from "node:assert/strict";
import { ContentType } from "../lib/codepoints.ts";
import { RecordCipher } from "../lib/crypto/aead.ts";
import { defaultProvider } from "../lib/crypto/default.ts";
import { Deframer, type RawRecord } from "../lib/record/deframer.ts";
import { CHANGE_CIPHER_SPEC_RECORD, type Keys, Outbox } from "../lib/record/outbox.ts";
import { Direction, type Epoch, openRecord } from "../lib/record/record_layer.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { tlsError } from "./helpers/errors.ts";

const suite = defaultProvider.suites[0];
const fill = (n: number, v: number) => new Uint8Array(n).fill(v);

/** Keys from a fixed key and IV (`v` tells them apart); a fresh cipher, sequence number 0. */
async function keys(v: number): Promise<Keys> {
  const key = fill(suite.aead.keyLength, v), iv = fill(suite.aead.nonceLength, v + 1);
  return { key, iv, cipher: await RecordCipher.fromKeys(suite, key, iv) };
}

/** Splits output into records. */
function records(out: Uint8Array): RawRecord[] {
  const d = new Deframer();
  d.push(out);
  const all: RawRecord[] = [];
  for (let r = d.next(); r; r = d.next()) all.push(r);
  assert.equal(d.buffered, 0, "the output is whole records");
  return all;
}

/** A receiving direction that opens records sealed under `k` (a cipher of its own). */
async function receiver(k: Keys, epoch: Epoch): Promise<Direction> {
  const dir = new Direction();
  dir.set(await RecordCipher.fromKeys(suite, k.key, k.iv), new Uint8Array(0), epoch);
  return dir;
}

Deno.test("outbox: handshake messages in a row share one plaintext record; take() empties it", async () => {
  const out = new Outbox("client", 1 << 14);
  out.queueHandshake(fill(10, 1));
  out.queueHandshake(fill(20, 2));
  assert.equal(out.take().length, 0, "nothing is sealed before flush()");
  await out.flush();
  const recs = records(out.take());
  assert.equal(recs.length, 1);
  assert.equal(recs[0].type, ContentType.handshake);
  assert.equal(recs[0].version, 0x0303);
  assert.deepEqual(recs[0].fragment, new Uint8Array([...fill(10, 1), ...fill(20, 2)]));
  assert.equal(out.take().length, 0);
});

Deno.test("outbox: plaintext, CCS, key change, encrypted: in queue order, keys at their place", async () => {
  const hs = await keys(0x11);
  const trace: TraceEvent[] = [];
  const out = new Outbox("server", 1 << 14, (e) => trace.push(e));
  out.queueHandshake(fill(5, 0xaa)); // ServerHello-like: plaintext
  out.queueChangeCipherSpec();
  out.queueKeys(hs, fill(32, 0x99), "handshake");
  assert.equal(out.queuedEpoch, "handshake");
  assert.equal(out.direction.epoch, "plaintext", "queued keys are not in force yet");
  out.queueHandshake(fill(7, 0xbb));
  out.queueHandshake(fill(3, 0xcc));
  await out.flush();
  assert.equal(out.direction.epoch, "handshake");
  const recs = records(out.take());
  assert.deepEqual(recs.map((r) => r.type), [
    ContentType.handshake,
    ContentType.change_cipher_spec,
    ContentType.application_data,
  ]);
  assert.deepEqual(recs[0].fragment, fill(5, 0xaa));
  assert.deepEqual(
    new Uint8Array([...recs[1].header, ...recs[1].fragment]),
    CHANGE_CIPHER_SPEC_RECORD,
  );
  const opened = await openRecord(await receiver(hs, "handshake"), recs[2]);
  assert.equal(opened.encrypted, true);
  assert.equal(opened.type, ContentType.handshake);
  assert.deepEqual(opened.content, new Uint8Array([...fill(7, 0xbb), ...fill(3, 0xcc)]));
  assert.deepEqual(
    trace.map((e) => e.kind === "record" ? `record ${e.contentType} ${e.epoch}` : `${e.kind}`),
    ["record 22 plaintext", "record 20 plaintext", "keys", "record 22 handshake"],
  );
});

Deno.test("outbox: a key change whose AEAD key is still being made waits its turn", async () => {
  const first = await keys(0x21), second = await keys(0x31);
  let resolve!: (k: Keys) => void;
  const pending = new Promise<Keys>((r) => resolve = r);
  const out = new Outbox("client", 1 << 14);
  out.queueKeys(first, fill(32, 1), "handshake");
  out.queueHandshake(fill(4, 1)); // Finished-like, under the first keys
  out.queueKeys(pending, fill(32, 2), "application");
  out.queueHandshake(fill(4, 2)); // under the second keys
  const flushed = out.flush();
  setTimeout(() => resolve(second), 20);
  await flushed;
  const [a, b] = records(out.take());
  assert.deepEqual((await openRecord(await receiver(first, "handshake"), a)).content, fill(4, 1));
  assert.deepEqual(
    (await openRecord(await receiver(second, "application"), b)).content,
    fill(4, 2),
  );
  await assert.rejects(
    async () => await openRecord(await receiver(first, "handshake"), b),
    tlsError("bad_record_mac"),
    "the second record is not under the first keys",
  );
});

Deno.test("outbox: content longer than the fragment limit is split, sequence numbers count on", async () => {
  const k = await keys(0x41);
  const out = new Outbox("client", 100);
  out.install(k, fill(32, 3), "application");
  const content = new Uint8Array(250).map((_, i) => i);
  await out.run(() => out.seal(ContentType.application_data, content));
  const recs = records(out.take());
  assert.deepEqual(recs.map((r) => r.fragment.length - suite.aead.tagLength - 1), [100, 100, 50]);
  const rx = await receiver(k, "application");
  const parts = [];
  for (const r of recs) parts.push((await openRecord(rx, r)).content);
  assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), content);
  assert.equal(k.cipher.seq, 3);
  assert.equal(rx.cipher!.seq, 3);
});

Deno.test("outbox: the fragment limit is at least 1 and at most 2^14", async () => {
  const big = new Outbox("client", 1 << 20);
  big.queueHandshake(new Uint8Array((1 << 14) + 1));
  await big.flush();
  assert.deepEqual(records(big.take()).map((r) => r.fragment.length), [1 << 14, 1]);
  const tiny = new Outbox("client", 0);
  tiny.queueHandshake(fill(3, 7));
  await tiny.flush();
  assert.deepEqual(records(tiny.take()).map((r) => r.fragment.length), [1, 1, 1]);
});

Deno.test("outbox: discardQueued() drops what is not sealed; sealed output stays", async () => {
  const out = new Outbox("server", 1 << 14);
  out.queueHandshake(fill(2, 1));
  await out.flush();
  out.queueHandshake(fill(2, 2));
  out.discardQueued();
  await out.flush();
  const recs = records(out.take());
  assert.equal(recs.length, 1);
  assert.deepEqual(recs[0].fragment, fill(2, 1));
});

Deno.test("outbox: keys that fail to be made fail flush(), and nothing after them is sent", async () => {
  const out = new Outbox("client", 1 << 14);
  out.queueHandshake(fill(2, 1));
  out.queueKeys(Promise.reject(new Error("no AEAD key")), fill(32, 1), "handshake");
  out.queueHandshake(fill(2, 2));
  await assert.rejects(out.flush(), /no AEAD key/);
  const recs = records(out.take());
  assert.equal(recs.length, 1, "only what came before the failed key change");
  assert.equal(recs[0].type, ContentType.handshake);
  assert.deepEqual(recs[0].fragment, fill(2, 1));
  assert.equal(out.direction.epoch, "plaintext");
});
