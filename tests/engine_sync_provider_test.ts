/**
 * The engine with a provider whose AEAD answers synchronously (as libcrypto
 * through FFI does): no Promise between a record and its sealing or
 * opening. The AEAD here is a test construction (a SHA-256 keystream and an
 * HMAC tag), enough to exercise the synchronous paths of the record layer:
 * keys installed at once, records sealed and opened in line, KeyUpdate, and
 * a tampered record refused with bad_record_mac.
 */

import assert from "node:assert/strict";
import { AlertDescription, PeerAlert, TlsError } from "../lib/errors.ts";
import type { Aead, AeadKey, CryptoProvider, Hash } from "../lib/crypto/provider.ts";
import { webcrypto } from "../lib/crypto/webcrypto/mod.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { handshakePair, pump, serverConfigFor, text } from "./helpers/pair.ts";

/** Keystream XOR and a truncated HMAC over nonce, additional data and ciphertext; synchronous. */
function testAead(name: string, keyLength: number, hash: Hash): Aead {
  const keyed = (key: Uint8Array): AeadKey => {
    const stream = (nonce: Uint8Array, data: Uint8Array) => {
      const out = new Uint8Array(data.length);
      for (let block = 0; block * 32 < data.length; block++) {
        const pad = hash.hmac(key, Uint8Array.of(...nonce, block >> 8, block & 0xff));
        for (let i = 0; i < 32 && block * 32 + i < data.length; i++) {
          out[block * 32 + i] = data[block * 32 + i] ^ pad[i];
        }
      }
      return out;
    };
    const tag = (nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array) =>
      hash.hmac(key, Uint8Array.of(...nonce, ...aad, ...ct)).subarray(0, 16);
    return {
      seal: (nonce, aad, plaintext) => {
        const ct = stream(nonce, plaintext);
        return Uint8Array.of(...ct, ...tag(nonce, aad, ct));
      },
      open: (nonce, aad, sealed) => {
        const ct = sealed.subarray(0, sealed.length - 16);
        const expected = tag(nonce, aad, ct);
        if (expected.some((b, i) => b !== sealed[ct.length + i])) throw new Error("bad tag");
        return stream(nonce, ct);
      },
    };
  };
  return { name, keyLength, nonceLength: 12, tagLength: 16, key: (raw) => keyed(raw.slice()) };
}

const synchronous: CryptoProvider = {
  ...webcrypto,
  name: "webcrypto with a synchronous test AEAD",
  suites: webcrypto.suites.map((s) => ({
    ...s,
    aead: testAead(`test-${s.aead.name}`, s.aead.keyLength, s.hash),
  })),
};

const set = await makeCertSet({ keyType: "ecdsa-p256" });
const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("sync AEAD: the AEAD answers without a Promise", () => {
  const key = synchronous.suites[0].aead.key(new Uint8Array(16));
  assert.ok(!(key instanceof Promise));
  const sealed = (key as AeadKey).seal(new Uint8Array(12), encode("h"), encode("x"));
  assert.ok(!(sealed instanceof Promise));
});

Deno.test("sync AEAD: handshake, data both ways, 1-byte records, KeyUpdate both ways", async () => {
  const r = await handshakePair(
    { crypto: synchronous, maxFragmentSize: 1 },
    await serverConfigFor(set, { crypto: synchronous }),
  );
  assert.equal(r.clientError, undefined);
  assert.equal(r.serverError, undefined);
  assert.equal(r.clientInfo?.provider, synchronous.name);
  await r.client.write(encode("ping"));
  await r.client.keyUpdate(true);
  await r.client.write(encode(" again"));
  await pump(r);
  await r.server.write(encode("pong"));
  await pump(r);
  assert.equal(text(r.serverReceived), "ping again");
  assert.equal(text(r.clientReceived), "pong");
});

Deno.test("sync AEAD: many records in one delivery, across a KeyUpdate", async () => {
  const r = await handshakePair(
    { crypto: synchronous },
    await serverConfigFor(set, { crypto: synchronous }),
  );
  const big = new Uint8Array(40_000).map((_, i) => i % 251);
  await r.client.write(big);
  await r.client.keyUpdate(false);
  await r.client.write(big);
  await r.server.receive(r.client.takeOutput());
  const got = r.server.takeEvents().flatMap((e) => e.type === "data" ? [...e.data] : []);
  assert.deepEqual(got, [...big, ...big]);
});

Deno.test("sync AEAD: a tampered record is bad_record_mac, and the peer is told", async () => {
  const r = await handshakePair(
    { crypto: synchronous },
    await serverConfigFor(set, { crypto: synchronous }),
  );
  await r.client.write(encode("hello"));
  const wire = r.client.takeOutput().slice();
  wire[wire.length - 1] ^= 1;
  await assert.rejects(() => r.server.receive(wire), (e) => {
    assert.ok(e instanceof TlsError);
    assert.equal(e.alert, AlertDescription.bad_record_mac);
    return true;
  });
  await assert.rejects(() => r.client.receive(r.server.takeOutput()), (e) => {
    assert.ok(e instanceof PeerAlert);
    assert.equal(e.alert, AlertDescription.bad_record_mac);
    return true;
  });
});
