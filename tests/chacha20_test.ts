/**
 * TLS_CHACHA20_POLY1305_SHA256 (RFC 8446 §B.4) on every provider: the AEAD
 * against RFC 8439's published vectors (RFC 8446's example traces do not
 * cover ChaCha20), a connection recorded with openssl s_server replayed
 * byte for byte, tampering refused, the two providers' records opening
 * each other's, and the server's choice of suite: AES-GCM first unless its
 * configuration says otherwise, ChaCha20 for a client that offers only it.
 */

import assert from "node:assert/strict";
import { CipherSuite } from "../lib/codepoints.ts";
import type { Aead, CryptoProvider } from "../lib/crypto/provider.ts";
import { suiteById } from "../lib/crypto/suites.ts";
import { Connection } from "../lib/connection.ts";
import type { HandshakeInfo } from "../lib/config.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { LINE, recordedClient, RECORDING, type Recording } from "./helpers/chacha_recording.ts";
import { handshakePair, pump, serverConfigFor, text } from "./helpers/pair.ts";
import { PROVIDERS, testEachProvider } from "./helpers/providers.ts";

const hex = (s: string) => Uint8Array.fromHex(s.replace(/\s+/g, ""));
const utf8 = (s: string) => new TextEncoder().encode(s);
const CHACHA = CipherSuite.TLS_CHACHA20_POLY1305_SHA256;

function chacha(crypto: CryptoProvider): Aead {
  const suite = suiteById(crypto, CHACHA);
  assert.ok(suite, `${crypto.name} has no TLS_CHACHA20_POLY1305_SHA256`);
  assert.equal(suite.hash.name, "SHA-256");
  return suite.aead;
}

/** RFC 8439 §2.8.2: the AEAD_CHACHA20_POLY1305 example. */
const SECTION_2_8_2 = {
  key: hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
  nonce: hex("07000000 4041424344454647"),
  aad: hex("50515253c0c1c2c3c4c5c6c7"),
  plaintext: utf8(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for " +
      "the future, sunscreen would be it.",
  ),
  sealed: hex(`
    d31a8d34648e60db7b86afbc53ef7ec2 a4aded51296e08fea9e2b5a736ee62d6
    3dbea45e8ca9671282fafb69da92728b 1a71de0a9e060b2905d6a5b67ecd3b36
    92ddbd7f2d778b8c9803aee328091b58 fab324e4fad675945585808b4831d7bc
    3ff4def08e4b7a9de576d26586cec64b 6116
    1ae10b594f09e26a7e902ecbd0600691`),
};

/** RFC 8439 §A.5: the ChaCha20-Poly1305 AEAD decryption example (an Internet-Draft's opening words). */
const APPENDIX_A_5 = {
  key: hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0"),
  nonce: hex("000000000102030405060708"),
  aad: hex("f33388860000000000004e91"),
  sealed: hex(`
    64a0861575861af460f062c79be643bd 5e805cfd345cf389f108670ac76c8cb2
    4c6cfc18755d43eea09ee94e382d26b0 bdb7b73c321b0100d4f03b7f355894cf
    332f830e710b97ce98c8a84abd0b9481 14ad176e008d33bd60f982b1ff37c855
    9797a06ef4f0ef61c186324e2b350638 3606907b6a7c02b0f9f6157b53c867e4
    b9166c767b804d46a59b5216cde7a4e9 9040c5a40433225ee282a1b0a06c523e
    af4534d7f83fa1155b0047718cbc546a 0d072b04b3564eea1b422273f548271a
    0bb2316053fa76991955ebd63159434e cebb4e466dae5a1073a6727627097a10
    49e617d91d361094fa68f0ff77987130 305beaba2eda04df997b714d6c6f2c29
    a6ad5cb4022b02709b
    eead9d67890cbb22392336fea1851f38`),
  plaintextStart: "Internet-Drafts are draft documents valid for a maximum of six months",
  plaintextEnd: "to cite them other than as /\u201cwork in progress./\u201d",
};

testEachProvider("ChaCha20-Poly1305: RFC 8439 §2.8.2 seals and opens", async (c) => {
  const aead = chacha(c);
  assert.deepEqual([aead.keyLength, aead.nonceLength, aead.tagLength], [32, 12, 16]);
  const v = SECTION_2_8_2;
  const key = await aead.key(v.key);
  assert.equal((await key.seal(v.nonce, v.aad, v.plaintext)).toHex(), v.sealed.toHex());
  assert.deepEqual(await key.open(v.nonce, v.aad, v.sealed), v.plaintext);
});

testEachProvider("ChaCha20-Poly1305: RFC 8439 §A.5 opens", async (c) => {
  const v = APPENDIX_A_5;
  const key = await chacha(c).key(v.key);
  const opened = await key.open(v.nonce, v.aad, v.sealed);
  assert.equal(opened.length, 265);
  const plaintext = new TextDecoder().decode(opened);
  assert.ok(plaintext.startsWith(v.plaintextStart), plaintext);
  assert.ok(plaintext.endsWith(v.plaintextEnd), plaintext);
});

testEachProvider("ChaCha20-Poly1305: tampering and the wrong key are refused", async (c) => {
  const v = SECTION_2_8_2;
  const key = await chacha(c).key(v.key);
  const refused = (nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) =>
    assert.rejects(async () => await key.open(nonce, aad, sealed));
  for (const at of [0, 100, v.sealed.length - 1]) {
    const t = v.sealed.slice();
    t[at] ^= 0x01;
    await refused(v.nonce, v.aad, t);
  }
  await refused(v.nonce, hex("50515253c0c1c2c3c4c5c6c6"), v.sealed);
  await refused(hex("070000004041424344454648"), v.aad, v.sealed);
  await refused(v.nonce, v.aad, v.sealed.subarray(0, 15));
  const other = await chacha(c).key(new Uint8Array(32));
  await assert.rejects(async () => await other.open(v.nonce, v.aad, v.sealed));
  await assert.rejects(async () => await chacha(c).key(new Uint8Array(16)));
});

Deno.test("ChaCha20-Poly1305: each provider opens what the other sealed", async () => {
  const [a, b] = PROVIDERS;
  const raw = a.randomBytes(32), nonce = a.randomBytes(12), aad = utf8("record header");
  for (const size of [0, 1, 63, 64, 65, 16384]) {
    const plaintext = a.randomBytes(size);
    for (const [from, to] of [[a, b], [b, a]]) {
      const sealed = await (await chacha(from).key(raw)).seal(nonce, aad, plaintext);
      assert.deepEqual(await (await chacha(to).key(raw)).open(nonce, aad, sealed), plaintext);
    }
  }
});

const p256 = await makeCertSet({ keyType: "ecdsa-p256" });

testEachProvider(
  "ChaCha20-Poly1305: the server prefers AES-GCM when the client offers both",
  async (c) => {
    const r = await handshakePair({ crypto: c }, await serverConfigFor(p256, { crypto: c }));
    assert.equal(r.serverInfo?.cipherSuite, "TLS_AES_128_GCM_SHA256");
    assert.deepEqual(c.suites.map((s) => s.id), [0x1301, 0x1302, CHACHA]);
  },
);

testEachProvider(
  "ChaCha20-Poly1305: a client offering only ChaCha20 gets it, data both ways",
  async (c) => {
    const r = await handshakePair(
      { crypto: c, cipherSuites: [CHACHA] },
      await serverConfigFor(p256, { crypto: c }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.clientInfo?.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
    await r.client.write(utf8("ping"));
    await r.server.write(utf8("pong"));
    await pump(r);
    assert.equal(text(r.serverReceived), "ping");
    assert.equal(text(r.clientReceived), "pong");
  },
);

testEachProvider("ChaCha20-Poly1305: a server configured ChaCha20 first chooses it", async (c) => {
  const r = await handshakePair(
    { crypto: c },
    await serverConfigFor(p256, {
      crypto: c,
      cipherSuites: [CHACHA, CipherSuite.TLS_AES_128_GCM_SHA256],
    }),
  );
  assert.equal(r.serverInfo?.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
  assert.equal(r.clientInfo?.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
});

testEachProvider(
  "ChaCha20-Poly1305: a recorded connection with openssl s_server replays byte for byte",
  async (c) => {
    const recording = JSON.parse(await Deno.readTextFile(RECORDING)) as Recording;
    assert.match(recording.peer, /^OpenSSL 3\./);
    const client = Connection.client(await recordedClient(c));
    const sent: string[] = [];
    let reply = "", info: HandshakeInfo | undefined, wrote = false;
    await client.start();
    sent.push(client.takeOutput().toHex());
    for (const chunk of recording.chunks.filter((k) => k.from === "server")) {
      await client.receive(Uint8Array.fromHex(chunk.hex));
      for (const e of client.takeEvents()) {
        if (e.type === "handshake") info = e.info;
        if (e.type === "data") reply += new TextDecoder().decode(e.data);
      }
      if (info && !wrote) {
        wrote = true;
        await client.write(utf8(LINE));
      }
      if (reply.endsWith("\n")) await client.close();
      sent.push(client.takeOutput().toHex());
    }
    assert.equal(info?.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
    assert.equal(info?.group, "x25519");
    assert.equal(info?.signatureScheme, "ed25519");
    assert.equal(reply, [...LINE.trimEnd()].reverse().join("") + "\n");
    // Every byte our client sent (ClientHello, Finished, the line and close_notify, all but the
    // first under ChaCha20-Poly1305 keys) is what it sent to the real server.
    const recorded = recording.chunks.filter((k) => k.from === "client").map((k) => k.hex);
    assert.equal(sent.join(""), recorded.join(""));
    assert.ok(client.peerClosed, "s_server's close_notify opened and was understood");
  },
);
