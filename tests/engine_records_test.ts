/**
 * The record paths made for speed: records read in place from a buffer the
 * driver reuses (and opened there, when the driver allows it), several
 * opened at once after the handshake (and opened again after a KeyUpdate
 * among them), the records of one write sent as one piece, and output
 * sealed into memory the driver gave back; and sealing that keeps no
 * buffer an AEAD could read late.
 * Once per crypto provider.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Connection } from "../lib/connection.ts";
import type { ClientConfig, ServerConfig } from "../lib/config.ts";
import type { Aead, CryptoProvider } from "../lib/crypto/provider.ts";
import { Deframer } from "../lib/record/deframer.ts";
import { type CertSet, makeCertSet } from "./helpers/certs.ts";
import { tlsError } from "./helpers/errors.ts";
import { handshakePair as pair, pump, serverConfigFor as serverConfig } from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const p256 = await makeCertSet({ keyType: "ecdsa-p256" });

/** Deterministic bytes: a counter mod 251, so that misplaced bytes show. */
function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i + seed) % 251;
  return out;
}

/** Delivers `bytes` to `to` in pieces of the given sizes, through one buffer reused for each piece. */
async function deliverThroughOneBuffer(to: Connection, bytes: Uint8Array, sizes: number[]) {
  const buf = new Uint8Array(1 << 16);
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length], bytes.length - at, buf.length);
    buf.set(bytes.subarray(at, at + n));
    await to.receive(buf.subarray(0, n));
    buf.fill(0xee); // as a driver does when it reads again into the same buffer
    at += n;
  }
}

/**
 * Delivers `bytes` to `to` with `inPlace` in pieces of the given sizes, through one buffer reused
 * for each piece (as TlsConn does once no data views it): the data of each piece is copied out
 * before the next. Returns that data, and how many data events were views of the buffer.
 */
async function deliverInPlace(to: Connection, bytes: Uint8Array, sizes: number[]) {
  const buf = new Uint8Array(1 << 16);
  const data: Uint8Array[] = [];
  let views = 0;
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length], bytes.length - at, buf.length);
    buf.set(bytes.subarray(at, at + n));
    await to.receive(buf.subarray(0, n), { inPlace: true });
    for (const e of to.takeEvents()) {
      if (e.type !== "data") continue;
      if (e.data.buffer === buf.buffer) views++;
      data.push(e.data.slice());
    }
    buf.fill(0xee);
    at += n;
  }
  return { data, views };
}

function joined(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

for (const crypto of PROVIDERS) {
  /** Both sides on this provider. */
  const handshakePair = (client: Partial<ClientConfig>, server: ServerConfig) =>
    pair({ crypto, ...client }, { crypto, ...server });
  const serverConfigFor = (set: CertSet) => serverConfig(set, { crypto });

  Deno.test(`records [${crypto.name}]: a record split across reads of a reused buffer arrives whole`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    assert.ok(r.serverInfo);
    const data = pattern(100_000);
    await r.client.write(data);
    const wire = r.client.takeOutput();
    // Odd sizes, so that records and headers are cut everywhere.
    await deliverThroughOneBuffer(r.server, wire, [1, 3, 4, 5, 6, 1000, 7919, 16_389, 40_000]);
    const got = r.server.takeEvents().filter((e) => e.type === "data").map((e) =>
      (e as { data: Uint8Array }).data
    );
    assert.deepEqual(joined(got), data);
  });

  Deno.test(`records [${crypto.name}]: opened in place, data stays where it arrived and handshake messages are copied`, async () => {
    // 3-byte records: the KeyUpdate spans records, and so deliveries of a reused buffer.
    const r = await pair(
      { crypto, maxFragmentSize: 3 },
      await serverConfig(p256, { crypto, maxFragmentSize: 3 }),
    );
    assert.ok(r.serverInfo);
    await r.client.write(pattern(300, 1));
    await r.client.keyUpdate(true);
    await r.client.write(pattern(300, 2));
    const wire = r.client.takeOutput();
    // One record per delivery: the first piece of the KeyUpdate is held while the buffer is reused.
    const sizes: number[] = [];
    for (let at = 0; at < wire.length; at += sizes.at(-1)!) {
      sizes.push(5 + ((wire[at + 3] << 8) | wire[at + 4]));
    }
    let got = await deliverInPlace(r.server, wire, sizes);
    assert.deepEqual(joined(got.data), joined([pattern(300, 1), pattern(300, 2)]));
    // And in pieces that cut records anywhere.
    await r.client.write(pattern(40_000, 5));
    const views = got.views;
    got = await deliverInPlace(r.server, r.client.takeOutput(), [7, 30, 1000, 2, 64, 20_000]);
    assert.deepEqual(joined(got.data), pattern(40_000, 5));
    got.views += views;
    // Keys that open in place (openssl) hand out views of the bytes given; others, copies.
    const aead = crypto.suites[0].aead;
    const opensInPlace = (await aead.key(new Uint8Array(aead.keyLength))).openInPlace;
    assert.equal(got.views > 0, opensInPlace !== undefined);
    // The KeyUpdate was whole although its pieces' buffer was overwritten: the server answered it.
    await r.server.write(pattern(500, 3));
    await pump(r);
    assert.deepEqual(joined(r.clientReceived), pattern(500, 3));
    assert.equal(r.server.error, undefined);
    assert.equal(r.client.error, undefined);
  });

  Deno.test(`records [${crypto.name}]: a bad record opened in place is bad_record_mac and leaves no plaintext`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    await r.client.write(pattern(20_000));
    const wire = r.client.takeOutput().slice();
    wire[16_384 + 22 + 100] ^= 1; // inside the second record
    const sent = wire.slice();
    await assert.rejects(() => r.server.receive(wire, { inPlace: true }), /bad_record_mac/);
    const body = (w: Uint8Array) => w.subarray(16_384 + 22 + 5, w.length - 16);
    const aead = crypto.suites[0].aead;
    if ((await aead.key(new Uint8Array(aead.keyLength))).openInPlace) {
      // Opened where it lay: what was decrypted before the tag failed is erased.
      assert.ok(body(wire).every((b) => b === 0));
    } else assert.deepEqual(body(wire), body(sent)); // only read
  });

  Deno.test(`records [${crypto.name}]: output given back is sealed into again, and nothing else is`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    const aead = crypto.suites[0].aead;
    const sealsInPlace = (await aead.key(new Uint8Array(aead.keyLength))).sealInPlace;
    const sent: Uint8Array[] = [];
    const writeAndTake = async (seed: number) => {
      await r.client.write(pattern(40_000, seed));
      const out = r.client.takeOutput();
      sent.push(out.slice()); // what went on the wire, before its memory may be reused
      return out;
    };
    const first = await writeAndTake(1);
    r.client.releaseOutput(first);
    r.client.releaseOutput(first); // twice: it is still handed out once
    const second = await writeAndTake(2);
    const third = await writeAndTake(3);
    if (sealsInPlace) assert.equal(second.buffer, first.buffer);
    else assert.notEqual(second.buffer, first.buffer);
    assert.notEqual(third.buffer, first.buffer);
    // Memory the engine did not hand out is not taken: a constant, the caller's own array.
    const foreign = new Uint8Array(100_000);
    r.client.releaseOutput(foreign);
    const fourth = await writeAndTake(4);
    assert.notEqual(fourth.buffer, foreign.buffer);
    assert.ok(foreign.every((b) => b === 0));
    for (const bytes of sent) await r.server.receive(bytes);
    const got = r.server.takeEvents().filter((e) => e.type === "data").map((e) =>
      (e as { data: Uint8Array }).data
    );
    assert.deepEqual(joined(got), joined([1, 2, 3, 4].map((seed) => pattern(40_000, seed))));
  });

  Deno.test(`records [${crypto.name}]: records after a KeyUpdate in the same read are opened under the new keys`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    const before = pattern(70_000, 1);
    const after = pattern(70_000, 2);
    await r.client.write(before);
    await r.client.keyUpdate(false);
    await r.client.write(after);
    await r.client.keyUpdate(true);
    await r.client.write(pattern(5, 3));
    // One delivery: the server opens records ahead under the old keys and must open again.
    await r.server.receive(r.client.takeOutput());
    const got = r.server.takeEvents().filter((e) => e.type === "data").map((e) =>
      (e as { data: Uint8Array }).data
    );
    assert.deepEqual(joined(got), joined([before, after, pattern(5, 3)]));
    // The server answered update_requested; the client reads under the server's new keys.
    await r.server.write(pattern(20_000, 4));
    await pump(r);
    assert.deepEqual(joined(r.clientReceived), pattern(20_000, 4));
    assert.equal(r.server.error, undefined);
    assert.equal(r.client.error, undefined);
  });

  Deno.test(`records [${crypto.name}]: a bad record among those opened at once is bad_record_mac, after the good ones`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    await r.client.write(pattern(50_000));
    const wire = r.client.takeOutput().slice();
    wire[2 * (16_384 + 22) + 100] ^= 1; // inside the third record
    await assert.rejects(() => r.server.receive(wire), tlsError("bad_record_mac"));
    const got = r.server.takeEvents().filter((e) => e.type === "data").map((e) =>
      (e as { data: Uint8Array }).data
    );
    assert.deepEqual(joined(got), pattern(50_000).subarray(0, 2 * 16_384));
  });

  Deno.test(`records [${crypto.name}]: the records of one write are sent as one piece`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    await r.client.write(pattern(3 * 16_384 + 10));
    const out = r.client.takeOutput();
    assert.equal(out.length, 4 * (5 + 16) + 3 * 16_384 + 10 + 4);
    const d = new Deframer();
    d.push(out);
    let n = 0;
    while (d.next()) n++;
    assert.equal(n, 4);
  });

  Deno.test(`records [${crypto.name}]: sealing keeps no shared buffer, even for an AEAD that reads late`, async () => {
    // Two connections write at once through an AEAD that reads what it seals only after a
    // later task: a buffer reused across records or connections would show in the data.
    const late = lateReader(crypto);
    const pairs = await Promise.all(
      [1, 2].map(async () => pair({ crypto: late }, await serverConfig(p256, { crypto: late }))),
    );
    await Promise.all(pairs.map((r, i) => r.client.write(pattern(3 * 16_384 + 100, i))));
    for (const [i, r] of pairs.entries()) {
      await pump(r);
      assert.deepEqual(joined(r.serverReceived), pattern(3 * 16_384 + 100, i));
    }
  });
}

/**
 * `crypto`, but its AEAD keys read what they seal only after a later task:
 * more than `AeadKey` allows, so that code relying on a provider's copying
 * (a scratch buffer reused before a seal completes) fails.
 */
function lateReader(crypto: CryptoProvider): CryptoProvider {
  const late = (aead: Aead): Aead => ({
    ...aead,
    key: async (raw) => {
      const key = await aead.key(raw);
      return {
        seal: async (nonce, aad, plaintext) => {
          await new Promise((resolve) => setTimeout(resolve, 0));
          return await key.seal(nonce, aad, plaintext);
        },
        open: (nonce, aad, ciphertext) => key.open(nonce, aad, ciphertext),
      };
    },
  });
  return {
    ...crypto,
    name: `${crypto.name} (late-reading seal)`,
    suites: crypto.suites.map((s) => ({ ...s, aead: late(s.aead) })),
  };
}
