/**
 * Each crypto provider on its own, against published vectors and against
 * itself: SHA-2 and a forked running hash (FIPS 180-4), HMAC (RFC 4231),
 * HKDF (RFC 5869), AES-GCM sealing and opening with tamper rejection, both
 * sides of every key exchange group and the illegal_parameter an unusable
 * share gets, signing and verification per signature scheme, certificate
 * signature algorithms, and randomness.
 */

import assert from "node:assert/strict";
import { AlertDescription, TlsError } from "../lib/errors.ts";
import { CipherSuite, NamedGroup, SignatureScheme } from "../lib/codepoints.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";
import { verifySignature } from "../lib/crypto/signature.ts";
import { suiteById } from "../lib/crypto/suites.ts";
import { generateCertificateKey, type KeyType } from "../lib/x509/webcrypto_issuing.ts";
import { groupOf, PROVIDERS, testEachProvider } from "./helpers/providers.ts";
import { misuse } from "./helpers/errors.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

// --- hashes, HMAC, HKDF ---

testEachProvider('crypto: SHA-256 and SHA-384 of "abc" (FIPS 180-4 examples)', (c) => {
  assert.equal(
    c.hashes["SHA-256"].digest(utf8("abc")).toHex(),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    c.hashes["SHA-384"].digest(utf8("abc")).toHex(),
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed" +
      "8086072ba1e7cc2358baeca134c825a7",
  );
  assert.equal(c.hashes["SHA-256"].outputLength, 32);
  assert.equal(c.hashes["SHA-384"].outputLength, 48);
});

testEachProvider("crypto: a running hash digests as it goes, and a fork goes its own way", (c) => {
  for (const hash of [c.hashes["SHA-256"], c.hashes["SHA-384"]]) {
    const h = hash.start();
    h.update(utf8("a"));
    const fork = h.fork();
    const input = utf8("bc");
    h.update(input);
    input.fill(0); // read when update() returned
    assert.equal(h.digest().toHex(), hash.digest(utf8("abc")).toHex(), hash.name);
    assert.equal(h.digest().toHex(), hash.digest(utf8("abc")).toHex(), "digest() again");
    assert.equal(fork.digest().toHex(), hash.digest(utf8("a")).toHex(), "the fork is unchanged");
    fork.update(utf8("xyz"));
    assert.equal(fork.digest().toHex(), hash.digest(utf8("axyz")).toHex());
    assert.equal(h.digest().toHex(), hash.digest(utf8("abc")).toHex(), "the original is unchanged");
    h.update(utf8("d"));
    assert.equal(h.digest().toHex(), hash.digest(utf8("abcd")).toHex(), "usable after digest()");
  }
});

testEachProvider("crypto: HMAC, RFC 4231 test cases 1 and 2", (c) => {
  const cases: [Uint8Array, Uint8Array, string, string][] = [
    [
      bytes(20, 0x0b),
      utf8("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c" +
      "faea9ea9076ede7f4af152e8b2fa9cb6",
    ],
    [
      utf8("Jefe"),
      utf8("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e" +
      "8e2240ca5e69e2c78b3239ecfab21649",
    ],
  ];
  for (const [key, data, sha256, sha384] of cases) {
    assert.equal(c.hashes["SHA-256"].hmac(key, data).toHex(), sha256);
    assert.equal(c.hashes["SHA-384"].hmac(key, data).toHex(), sha384);
  }
});

testEachProvider("crypto: HKDF-SHA256, RFC 5869 test cases 1 and 3", (c) => {
  const h = c.hashes["SHA-256"];
  const ikm = bytes(22, 0x0b);
  const prk1 = h.hkdfExtract(Uint8Array.fromHex("000102030405060708090a0b0c"), ikm);
  assert.equal(prk1.toHex(), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  assert.equal(
    h.hkdfExpand(prk1, Uint8Array.fromHex("f0f1f2f3f4f5f6f7f8f9"), 42).toHex(),
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  );
  // Test case 3: no salt (HashLen zeros) and no info.
  const prk3 = h.hkdfExtract(new Uint8Array(0), ikm);
  assert.equal(prk3.toHex(), "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
  assert.equal(h.hkdfExtract(new Uint8Array(32), ikm).toHex(), prk3.toHex());
  assert.equal(
    h.hkdfExpand(prk3, new Uint8Array(0), 42).toHex(),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  );
});

// --- AEAD ---

for (const suite of [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384]) {
  testEachProvider(
    `crypto: ${CipherSuite.name(suite)} AEAD seals, opens and refuses tampering`,
    async (c) => {
      const aead = suiteById(c, suite)!.aead;
      assert.equal(aead.nonceLength, 12);
      assert.equal(aead.tagLength, 16);
      const key = await aead.key(c.randomBytes(aead.keyLength));
      const nonce = c.randomBytes(12), aad = utf8("header"), plaintext = utf8("the plaintext");
      // Inputs are read before seal() returns: changing them afterwards changes nothing.
      const [n, a, p] = [nonce.slice(), aad.slice(), plaintext.slice()];
      const sealing = key.seal(n, a, p);
      n.fill(0), a.fill(0), p.fill(0);
      const sealed = await sealing;
      assert.equal(sealed.length, plaintext.length + 16);
      assert.deepEqual(await key.open(nonce, aad, sealed), plaintext);
      const tampered = (at: number) => {
        const t = sealed.slice();
        t[at] ^= 1;
        return t;
      };
      const refused = async (f: () => unknown, what: string) =>
        await assert.rejects(async () => await f(), () => true, what);
      await refused(() => key.open(nonce, aad, tampered(0)), "a flipped ciphertext bit");
      await refused(() => key.open(nonce, aad, tampered(sealed.length - 1)), "a flipped tag bit");
      await refused(() => key.open(nonce, utf8("headex"), sealed), "other additional data");
      await refused(() => key.open(c.randomBytes(12), aad, sealed), "another nonce");
      await refused(() => key.open(nonce, aad, sealed.subarray(0, 15)), "shorter than a tag");
      const other = await aead.key(c.randomBytes(aead.keyLength));
      await refused(() => other.open(nonce, aad, sealed), "another key");
    },
  );
}

// --- key exchange ---

for (const group of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]) {
  const name = NamedGroup.name(group);
  testEachProvider(`crypto: ${name}: both sides agree on the secret`, async (c) => {
    const g = groupOf(c, group);
    const client = await g.start();
    assert.equal(client.group, group);
    const server = await g.complete(client.share);
    const secret = await client.complete(server.share);
    assert.equal(secret.toHex(), server.secret.toHex());
    assert.equal(secret.length, group === NamedGroup.secp384r1 ? 48 : 32);
    const again = await g.complete(client.share);
    assert.notEqual(again.share.toHex(), server.share.toHex(), "a fresh key pair each time");
  });

  testEachProvider(
    `crypto: ${name}: an unusable share is illegal_parameter, on both sides`,
    async (c) => {
      const g = groupOf(c, group);
      const client = await g.start();
      const good = client.share;
      const bad: [string, Uint8Array, RegExp][] = [
        ["empty", new Uint8Array(0), /is 0 bytes, expected/],
        ["one byte short", good.subarray(1), /bytes, expected/],
      ];
      if (group === NamedGroup.x25519) {
        // RFC 7748 §6.1: the point 0 (a low-order point) gives the all-zero secret, which
        // RFC 8446 §7.4.2 refuses (a library may refuse the point before computing it).
        bad.push(["a low-order point", new Uint8Array(32), /all-zero shared secret|not usable/]);
      } else {
        const compressed = new Uint8Array(good.length);
        compressed.set(good.subarray(0, 1 + (good.length - 1) / 2));
        compressed[0] = 2;
        bad.push(["not uncompressed", compressed, /not an uncompressed point/]);
        const offCurve = good.slice();
        offCurve[offCurve.length - 1] ^= 1;
        bad.push(["off the curve", offCurve, /not a point on the curve/]);
      }
      for (const [what, share, message] of bad) {
        const check = (e: unknown) => {
          assert.ok(e instanceof TlsError, `${what}: ${e}`);
          assert.equal(e.alert, AlertDescription.illegal_parameter, what);
          assert.match(e.message, message, what);
          return true;
        };
        await assert.rejects(async () => await g.complete(share), check);
        await assert.rejects(async () => await client.complete(share), check);
      }
    },
  );
}

testEachProvider("crypto: X25519 from a fixed private key (RFC 7748 §6.1)", async (c) => {
  const alice = Uint8Array.fromHex(
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
  );
  const alicePublic = Uint8Array.fromHex(
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
  );
  const bobPublic = Uint8Array.fromHex(
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
  );
  const pkcs8 = Uint8Array.fromHex("302e020100300506032b656e04220420" + alice.toHex());
  const kx = await groupOf(c, NamedGroup.x25519).withPrivateKey!(pkcs8, alicePublic);
  assert.equal(kx.share.toHex(), alicePublic.toHex());
  assert.equal(
    (await kx.complete(bobPublic)).toHex(),
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
  );
});

// --- signatures ---

const KEYS: [KeyType, number[]][] = [
  ["ecdsa-p256", [SignatureScheme.ecdsa_secp256r1_sha256]],
  ["ecdsa-p384", [SignatureScheme.ecdsa_secp384r1_sha384]],
  ["ed25519", [SignatureScheme.ed25519]],
  [
    "rsa-2048",
    [
      SignatureScheme.rsa_pss_rsae_sha256,
      SignatureScheme.rsa_pss_rsae_sha384,
      SignatureScheme.rsa_pss_rsae_sha512,
    ],
  ],
];
const generated = new Map(
  await Promise.all(KEYS.map(async ([t]) => [t, await generateCertificateKey(t)] as const)),
);

for (const [keyType, schemes] of KEYS) {
  testEachProvider(
    `crypto: a ${keyType} key signs with ${schemes.length} scheme(s), each verifies`,
    async (c) => {
      const { pkcs8, spki } = generated.get(keyType)!;
      const key = await c.loadSigningKey(pkcs8);
      assert.deepEqual(key.schemes, schemes);
      const message = utf8("TLS 1.3, server CertificateVerify\0...");
      for (const scheme of schemes) {
        const name = SignatureScheme.name(scheme);
        const signature = await key.sign(scheme, message);
        assert.ok(await verifySignature(c, scheme, spki, message, signature), name);
        assert.ok(!(await verifySignature(c, scheme, spki, utf8("other"), signature)), name);
        const flipped = signature.slice();
        flipped[flipped.length - 1] ^= 1;
        assert.ok(!(await verifySignature(c, scheme, spki, message, flipped)), `${name}, flipped`);
      }
      // A scheme for another kind of key does not verify, and is not signed with.
      const foreign = keyType === "ed25519"
        ? SignatureScheme.ecdsa_secp256r1_sha256
        : SignatureScheme.ed25519;
      const signature = await key.sign(schemes[0], message);
      assert.ok(!(await verifySignature(c, foreign, spki, message, signature)));
      await assert.rejects(
        async () => await key.sign(foreign, message),
        misuse("key_cannot_sign_scheme"),
      );
    },
  );
}

testEachProvider(
  "crypto: a P-256 key does not verify as ecdsa_secp384r1_sha384 (TLS 1.3 binds curve and hash)",
  async (c) => {
    const { pkcs8, spki } = generated.get("ecdsa-p256")!;
    const key = await c.loadSigningKey(pkcs8);
    const message = utf8("m");
    const signature = await key.sign(SignatureScheme.ecdsa_secp256r1_sha256, message);
    const p384 = SignatureScheme.ecdsa_secp384r1_sha384;
    assert.ok(!(await verifySignature(c, p384, spki, message, signature)));
  },
);

testEachProvider(
  "crypto: certificate signatures: RSA PKCS#1 v1.5, and ECDSA with a hash the curve does not fix",
  async (c) => {
    const message = utf8("tbsCertificate");
    const rsa = generated.get("rsa-2048")!;
    for (const hash of ["SHA-256", "SHA-384", "SHA-512"] as const) {
      const key = await crypto.subtle.importKey(
        "pkcs8",
        rsa.pkcs8 as BufferSource,
        { name: "RSASSA-PKCS1-v1_5", hash },
        false,
        ["sign"],
      );
      const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, message));
      assert.ok(await c.verify(rsa.spki, { kind: "rsa-pkcs1", hash }, message, sig), hash);
      assert.ok(!(await c.verify(rsa.spki, { kind: "rsa-pkcs1", hash }, utf8("x"), sig)), hash);
      const scheme = { "SHA-256": 0x0401, "SHA-384": 0x0501, "SHA-512": 0x0601 }[hash];
      assert.ok(await verifySignature(c, scheme, rsa.spki, message, sig), `scheme ${scheme}`);
    }
    // A P-384 CA may sign with SHA-256 (RFC 5758 §3.2 does not bind them in X.509).
    const p384 = generated.get("ecdsa-p384")!;
    const key = await crypto.subtle.importKey(
      "pkcs8",
      p384.pkcs8 as BufferSource,
      { name: "ECDSA", namedCurve: "P-384" },
      false,
      ["sign"],
    );
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, message),
    );
    const der = ecdsaDer(raw);
    assert.ok(await c.verify(p384.spki, { kind: "ecdsa", hash: "SHA-256" }, message, der));
    assert.ok(!(await c.verify(p384.spki, { kind: "ecdsa", hash: "SHA-384" }, message, der)));
    assert.ok(!(await c.verify(p384.spki, { kind: "ecdsa", hash: "SHA-256" }, message, raw)));
    assert.ok(!(await c.verify(p384.spki, { kind: "ed25519" }, message, der)), "wrong key type");
    assert.ok(!(await c.verify(utf8("not a key"), { kind: "ed25519" }, message, der)));
  },
);

testEachProvider(
  "crypto: keys that are not usable PKCS#8 are refused with a readable message",
  async (c) => {
    await assert.rejects(async () => await c.loadSigningKey(utf8("nonsense")), /not a PKCS#8/);
    await assert.rejects(
      async () => await c.loadSigningKey(generated.get("ecdsa-p256")!.spki),
      /not a PKCS#8/,
    );
  },
);

testEachProvider("crypto: random bytes are fresh each time", (c) => {
  const a = c.randomBytes(32), b = c.randomBytes(32);
  assert.equal(a.length, 32);
  assert.notEqual(a.toHex(), b.toHex());
  assert.equal(c.randomBytes(0).length, 0);
});

Deno.test("crypto: every provider has a distinct name and the engine's suites and groups", () => {
  assert.equal(new Set(PROVIDERS.map((p: CryptoProvider) => p.name)).size, PROVIDERS.length);
  for (const p of PROVIDERS) {
    assert.deepEqual(p.suites.map((s) => s.id).slice(0, 2), [0x1301, 0x1302], p.name);
    for (const g of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]) {
      assert.ok(p.groups.some((x) => x.id === g), `${p.name} ${NamedGroup.name(g)}`);
    }
  }
});

/** WebCrypto's r‖s as a DER Ecdsa-Sig-Value (RFC 3279 §2.2.3). */
function ecdsaDer(raw: Uint8Array): Uint8Array {
  const int = (v: Uint8Array) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const body = v[i] & 0x80 ? [0, ...v.subarray(i)] : [...v.subarray(i)];
    return [2, body.length, ...body];
  };
  const w = raw.length / 2;
  const seq = [...int(raw.subarray(0, w)), ...int(raw.subarray(w))];
  return Uint8Array.from([0x30, seq.length, ...seq]);
}
