// The OpenSSL FFI layer (lib/crypto/openssl/) against published vectors
// (FIPS 180-4 examples, RFC 4231, RFC 5869, the GCM specification's test
// cases, RFC 8439, RFC 7748, RFC 8032) and against WebCrypto: signatures made
// on one side are verified on the other, and ECDH agrees both ways.

import assert from "node:assert/strict";
import { AeadAuthenticationError, AeadKey } from "../lib/crypto/openssl/aead.ts";
import { CHACHA20_POLY1305 } from "../lib/crypto/openssl/aeads.ts";
import { digest, IncrementalHash } from "../lib/crypto/openssl/digest.ts";
import { hkdfExpand, hkdfExtract, hmac } from "../lib/crypto/openssl/hmac.ts";
import { InvalidPeerKeyError, KeyExchangeKey } from "../lib/crypto/openssl/key_exchange.ts";
import { LibcryptoUnavailableError, libcryptoVersion } from "../lib/crypto/openssl/libcrypto.ts";
import { randomBytes } from "../lib/crypto/openssl/random.ts";
import {
  PrivateKey,
  type SignatureAlgorithm,
  verifySignature,
} from "../lib/crypto/openssl/signature.ts";
import { ecdsaDerToRaw, ecdsaRawToDer } from "../lib/crypto/webcrypto/ecdsa_der.ts";

const hex = (s: string) => Uint8Array.fromHex(s.replace(/\s+/g, ""));
const text = (s: string) => new TextEncoder().encode(s);
const fill = (n: number, byte: number) => new Uint8Array(n).fill(byte);

Deno.test("libcrypto: loads OpenSSL 3", () => {
  assert.ok(/^OpenSSL 3\./.test(libcryptoVersion()), libcryptoVersion());
});

Deno.test("libcrypto: an unloadable library is one clear error naming --crypto webcrypto", async () => {
  const code = `
    import { libcrypto } from ${
    JSON.stringify(new URL("../lib/crypto/openssl/libcrypto.ts", import.meta.url).href)
  };
    try { libcrypto(); console.log("loaded"); } catch (e) { console.log(e.name + ": " + e.message); }
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--allow-ffi", "--allow-env=HANDSHAKE_LIBCRYPTO", code],
    env: { HANDSHAKE_LIBCRYPTO: "/nonexistent/libcrypto.so.3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim();
  assert.ok(line.startsWith("LibcryptoUnavailableError: cannot load OpenSSL 3's libcrypto"), line);
  assert.ok(line.includes("/nonexistent/libcrypto.so.3"), line);
  assert.ok(line.endsWith("or use --crypto webcrypto"), line);
  assert.deepEqual(line.split("\n").length, 1);
  assert.ok(new LibcryptoUnavailableError("x", "y").message.includes("--crypto webcrypto"));
});

Deno.test("libcrypto: without --allow-ffi the error says so", async () => {
  const code = `
    import { libcrypto } from ${
    JSON.stringify(new URL("../lib/crypto/openssl/libcrypto.ts", import.meta.url).href)
  };
    try { libcrypto(); console.log("loaded"); } catch (e) { console.log(e.message); }
  `;
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(script, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(script);
  const line = new TextDecoder().decode(out.stdout).trim();
  assert.ok(line.includes("needs --allow-ffi") && line.includes("--crypto webcrypto"), line);
});

Deno.test("SHA-256/384: FIPS 180-4 examples, one-shot and incremental", () => {
  const abc = text("abc");
  const long = text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  assert.deepEqual(
    digest("SHA-256", abc).toHex(),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.deepEqual(
    digest("SHA-256", long).toHex(),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assert.deepEqual(
    digest("SHA-384", abc).toHex(),
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed" +
      "8086072ba1e7cc2358baeca134c825a7",
  );
  assert.deepEqual(
    digest("SHA-256", new Uint8Array(0)).toHex(),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  const h = IncrementalHash.create("SHA-256");
  for (let i = 0; i < long.length; i += 7) h.update(long.subarray(i, i + 7));
  assert.deepEqual(h.digest(), digest("SHA-256", long));
  assert.deepEqual(h.digest(), digest("SHA-256", long), "digest() leaves the hash open");
  h.free();
  h.free();
  assert.throws(() => h.update(abc), /freed/);
});

Deno.test("SHA-384: a fork runs on independently of its parent", () => {
  const h = IncrementalHash.create("SHA-384").update(text("ab"));
  const fork = h.fork();
  h.update(text("c"));
  fork.update(text("x"));
  assert.deepEqual(h.digest(), digest("SHA-384", text("abc")));
  assert.deepEqual(fork.digest(), digest("SHA-384", text("abx")));
  assert.deepEqual(h.length, 48);
  h.free();
  assert.deepEqual(fork.update(text("y")).digest(), digest("SHA-384", text("abxy")));
  fork.free();
});

Deno.test("HMAC: RFC 4231 test cases 1, 2, 6 and 7 (SHA-256, SHA-384)", () => {
  const cases = [
    {
      key: fill(20, 0x0b),
      data: text("Hi There"),
      sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      sha384: "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c" +
        "faea9ea9076ede7f4af152e8b2fa9cb6",
    },
    {
      key: text("Jefe"),
      data: text("what do ya want for nothing?"),
      sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      sha384: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e" +
        "8e2240ca5e69e2c78b3239ecfab21649",
    },
    {
      key: fill(131, 0xaa),
      data: text("Test Using Larger Than Block-Size Key - Hash Key First"),
      sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      sha384: "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6" +
        "0c2ef6ab4030fe8296248df163f44952",
    },
    {
      key: fill(131, 0xaa),
      data: text(
        "This is a test using a larger than block-size key and a larger than block-size " +
          "data. The key needs to be hashed before being used by the HMAC algorithm.",
      ),
      sha256: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
      sha384: "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5" +
        "a678cc31e799176d3860e6110c46523e",
    },
  ];
  for (const c of cases) {
    assert.deepEqual(hmac("SHA-256", c.key, c.data).toHex(), c.sha256);
    assert.deepEqual(hmac("SHA-384", c.key, c.data).toHex(), c.sha384);
    // Parts are fed as if concatenated.
    const cut = 3;
    assert.deepEqual(
      hmac("SHA-256", c.key, c.data.subarray(0, cut), c.data.subarray(cut)).toHex(),
      c.sha256,
    );
  }
});

Deno.test("HMAC: an empty key is a key of zero length, not the previous key", async () => {
  hmac("SHA-256", fill(32, 7), text("prime the context with another key"));
  const webKey = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(0),
    { name: "HMAC", hash: "SHA-256", length: 0 },
    false,
    ["sign"],
  ).catch(() => undefined);
  const expected = hmac("SHA-256", new Uint8Array(64), text("data")); // zero-padded block
  assert.deepEqual(hmac("SHA-256", new Uint8Array(0), text("data")), expected);
  if (webKey) {
    assert.deepEqual(
      new Uint8Array(await crypto.subtle.sign("HMAC", webKey, text("data"))),
      expected,
    );
  }
});

Deno.test("HKDF: RFC 5869 test cases 1, 2 and 3", () => {
  const prk1 = hkdfExtract("SHA-256", hex("000102030405060708090a0b0c"), fill(22, 0x0b));
  assert.deepEqual(
    prk1.toHex(),
    "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
  );
  assert.deepEqual(
    hkdfExpand("SHA-256", prk1, hex("f0f1f2f3f4f5f6f7f8f9"), 42).toHex(),
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  );

  const seq = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);
  const prk2 = hkdfExtract("SHA-256", seq(0x60, 80), seq(0x00, 80));
  assert.deepEqual(
    prk2.toHex(),
    "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
  );
  assert.deepEqual(
    hkdfExpand("SHA-256", prk2, seq(0xb0, 80), 82).toHex(),
    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
      "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71" +
      "cc30c58179ec3e87c14c01d5c1f3434f1d87",
  );

  const prk3 = hkdfExtract("SHA-256", new Uint8Array(0), fill(22, 0x0b));
  assert.deepEqual(
    prk3.toHex(),
    "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
  );
  assert.deepEqual(
    hkdfExpand("SHA-256", prk3, new Uint8Array(0), 42).toHex(),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  );
  assert.throws(() => hkdfExpand("SHA-256", prk3, new Uint8Array(0), 255 * 32 + 1), RangeError);
});

Deno.test("AES-GCM: test cases 1-4 and 16 of the GCM specification", () => {
  const iv = hex("cafebabefacedbaddecaf888");
  const p = hex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
  );
  const a = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const k128 = hex("feffe9928665731c6d6a8f9467308308");
  const cases = [
    {
      aead: "AES-128-GCM" as const,
      key: new Uint8Array(16),
      iv: new Uint8Array(12),
      p: new Uint8Array(0),
      a: new Uint8Array(0),
      sealed: "58e2fccefa7e3061367f1d57a4e7455a",
    },
    {
      aead: "AES-128-GCM" as const,
      key: new Uint8Array(16),
      iv: new Uint8Array(12),
      p: new Uint8Array(16),
      a: new Uint8Array(0),
      sealed: "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
    },
    {
      aead: "AES-128-GCM" as const,
      key: k128,
      iv,
      p,
      a: new Uint8Array(0),
      sealed: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
        "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985" +
        "4d5c2af327cd64a62cf35abd2ba6fab4",
    },
    {
      aead: "AES-128-GCM" as const,
      key: k128,
      iv,
      p: p.subarray(0, 60),
      a,
      sealed: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
        "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091" +
        "5bc94fbc3221a5db94fae95ae7121a47",
    },
    {
      aead: "AES-256-GCM" as const,
      key: hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
      iv,
      p: p.subarray(0, 60),
      a,
      sealed: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
        "76fc6ece0f4e1768cddf8853bb2d551b",
    },
  ];
  for (const c of cases) {
    const key = AeadKey.create(c.aead, c.key);
    assert.deepEqual(key.seal(c.iv, c.p, c.a).toHex(), c.sealed);
    assert.deepEqual(key.open(c.iv, hex(c.sealed), c.a), c.p);
    key.free();
  }
});

Deno.test("ChaCha20-Poly1305: RFC 8439 §2.8.2", () => {
  const key = AeadKey.create(
    "ChaCha20-Poly1305",
    hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
  );
  const nonce = hex("070000004041424344454647");
  const aad = hex("50515253c0c1c2c3c4c5c6c7");
  const plaintext = text(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for " +
      "the future, sunscreen would be it.",
  );
  const sealed = key.seal(nonce, plaintext, aad);
  assert.deepEqual(
    sealed.toHex(),
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
      "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691",
  );
  assert.deepEqual(key.open(nonce, sealed, aad), plaintext);
  sealed[sealed.length - 1] ^= 1;
  assert.throws(() => key.open(nonce, sealed, aad), AeadAuthenticationError);
  key.free();
});

Deno.test("ChaCha20-Poly1305 as a provider Aead (for TLS_CHACHA20_POLY1305_SHA256): RFC 8439 §2.8.2", async () => {
  assert.equal(CHACHA20_POLY1305.keyLength, 32);
  assert.equal(CHACHA20_POLY1305.nonceLength, 12);
  assert.equal(CHACHA20_POLY1305.tagLength, 16);
  const raw = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const key = await CHACHA20_POLY1305.key(raw);
  raw.fill(0); // the key was copied
  const nonce = hex("070000004041424344454647");
  const aad = hex("50515253c0c1c2c3c4c5c6c7");
  const plaintext = text(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for " +
      "the future, sunscreen would be it.",
  );
  const sealed = await key.seal(nonce, aad, plaintext);
  assert.equal(sealed.subarray(sealed.length - 16).toHex(), "1ae10b594f09e26a7e902ecbd0600691");
  assert.deepEqual(await key.open(nonce, aad, sealed), plaintext);
  assert.throws(() => key.open(nonce, text("other aad"), sealed), AeadAuthenticationError);
});

Deno.test("AEAD: a failed open is an error, and the key keeps working afterwards", () => {
  for (const aead of ["AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"] as const) {
    const key = AeadKey.create(aead, randomBytes(aead === "AES-128-GCM" ? 16 : 32));
    const nonce = randomBytes(12), aad = text("hdr");
    const message = randomBytes(16384 + 1);
    const sealed = key.seal(nonce, message, aad);
    for (const spoil of [0, 100, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[spoil] ^= 0x80;
      assert.throws(() => key.open(nonce, bad, aad), AeadAuthenticationError);
    }
    assert.throws(() => key.open(nonce, sealed, text("hdR")), AeadAuthenticationError);
    assert.throws(() => key.open(randomBytes(12), sealed, aad), AeadAuthenticationError);
    assert.throws(() => key.open(nonce, sealed.subarray(0, 15), aad), AeadAuthenticationError);
    assert.throws(() => key.seal(new Uint8Array(8), message, aad), RangeError);
    assert.deepEqual(key.open(nonce, sealed, aad), message);
    // The output is the caller's: later calls do not touch it.
    const first = key.seal(nonce, message, aad);
    key.seal(randomBytes(12), randomBytes(100), aad);
    assert.deepEqual(first, sealed);
    key.free();
    assert.throws(() => key.seal(nonce, message, aad), /freed/);
  }
  assert.throws(() => AeadKey.create("AES-128-GCM", new Uint8Array(32)), RangeError);
});

Deno.test("AES-GCM: agrees with WebCrypto both ways", async () => {
  for (const bytes of [16, 32]) {
    const raw = randomBytes(bytes);
    const key = AeadKey.create(bytes === 16 ? "AES-128-GCM" : "AES-256-GCM", raw);
    const web = await crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    for (const length of [0, 1, 15, 16, 17, 1000, 16385]) {
      const iv = randomBytes(12), additionalData = randomBytes(13), data = randomBytes(length);
      const ours = key.seal(iv, data, additionalData);
      const theirs = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, web, data),
      );
      assert.deepEqual(ours, theirs);
      assert.deepEqual(key.open(iv, theirs, additionalData), data);
    }
  }
});

Deno.test("AEAD: sealing in place gives WebCrypto's bytes, for every AEAD and length", async () => {
  for (const name of ["AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"] as const) {
    const raw = randomBytes(name === "AES-128-GCM" ? 16 : 32);
    const key = AeadKey.create(name, raw);
    const web = name === "ChaCha20-Poly1305"
      ? undefined
      : await crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, ["encrypt"]);
    for (const length of [0, 1, 16, 17, 16385]) {
      const iv = randomBytes(12), aad = randomBytes(5), data = randomBytes(length);
      const buffer = new Uint8Array(length + 16);
      buffer.set(data);
      key.sealInPlace(iv, buffer, length, aad);
      // Against an independent implementation where there is one, else against seal().
      const expected = web
        ? new Uint8Array(
          await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, web, data),
        )
        : key.seal(iv, data, aad);
      assert.deepEqual(buffer, expected, `${name}, ${length} bytes`);
      assert.deepEqual(key.open(iv, buffer, aad), data);
    }
    assert.throws(
      () => key.sealInPlace(randomBytes(12), new Uint8Array(20), 5, new Uint8Array(5)),
      RangeError,
    );
  }
});

Deno.test("AEAD: opening in place gives WebCrypto's plaintext; a bad tag erases it", async () => {
  for (const name of ["AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"] as const) {
    const raw = randomBytes(name === "AES-128-GCM" ? 16 : 32);
    const key = AeadKey.create(name, raw);
    const web = name === "ChaCha20-Poly1305"
      ? undefined
      : await crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, ["encrypt"]);
    for (const length of [0, 1, 16, 17, 16385]) {
      const iv = randomBytes(12), aad = randomBytes(5), data = randomBytes(length);
      // Sealed by an independent implementation where there is one, else by seal().
      const sealed = web
        ? new Uint8Array(
          await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, web, data),
        )
        : key.seal(iv, data, aad);
      const buffer = sealed.slice();
      const plaintext = key.openInPlace(iv, buffer, aad);
      assert.deepEqual(plaintext, data, `${name}, ${length} bytes`);
      assert.equal(plaintext.buffer, buffer.buffer);
      assert.equal(plaintext.byteOffset, buffer.byteOffset);
      const tampered = sealed.slice();
      tampered[tampered.length - 1] ^= 1;
      assert.throws(() => key.openInPlace(iv, tampered, aad), AeadAuthenticationError);
      assert.ok(tampered.subarray(0, length).every((b) => b === 0), "no plaintext is left");
    }
    assert.throws(
      () => key.openInPlace(randomBytes(12), new Uint8Array(15), new Uint8Array(5)),
      AeadAuthenticationError,
    );
  }
});

Deno.test("X25519: RFC 7748 §6.1, and low-order points refused", () => {
  const alice = KeyExchangeKey.fromPrivate(
    "X25519",
    hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
  );
  const bob = KeyExchangeKey.fromPrivate(
    "X25519",
    hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
  );
  assert.deepEqual(
    alice.publicKey.toHex(),
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
  );
  assert.deepEqual(
    bob.publicKey.toHex(),
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
  );
  const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  assert.deepEqual(alice.derive(bob.publicKey).toHex(), shared);
  assert.deepEqual(bob.derive(alice.publicKey).toHex(), shared);
  // Points of small order give an all-zero secret, which must be refused (RFC 7748 §6.1).
  for (
    const lowOrder of [
      new Uint8Array(32),
      hex("0100000000000000000000000000000000000000000000000000000000000000"),
      hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    ]
  ) {
    assert.throws(() => alice.derive(lowOrder), InvalidPeerKeyError);
  }
  assert.throws(() => alice.derive(new Uint8Array(31)), InvalidPeerKeyError);
  assert.deepEqual(alice.derive(bob.publicKey).toHex(), shared, "still usable after a refusal");
  alice.free();
  bob.free();
});

Deno.test("ECDH P-256/P-384: bad points are InvalidPeerKeyError, never a crash", () => {
  for (const group of ["P-256", "P-384"] as const) {
    const ours = KeyExchangeKey.generate(group), theirs = KeyExchangeKey.generate(group);
    const n = ours.publicKey.length;
    const offCurve = theirs.publicKey.slice();
    offCurve[n - 1] ^= 1;
    const compressed = theirs.publicKey.slice(0, (n + 1) / 2);
    compressed[0] = 2 + (theirs.publicKey[n - 1] & 1);
    const hybrid = theirs.publicKey.slice();
    hybrid[0] = 6;
    const xTooBig = theirs.publicKey.slice();
    xTooBig.fill(0xff, 1, 1 + (n - 1) / 2);
    for (
      const bad of [
        offCurve,
        compressed,
        hybrid,
        xTooBig,
        new Uint8Array(n),
        new Uint8Array(0),
        theirs.publicKey.subarray(1),
        new Uint8Array([...theirs.publicKey, 0]),
      ]
    ) {
      assert.throws(() => ours.derive(bad), InvalidPeerKeyError);
    }
    assert.deepEqual(ours.derive(theirs.publicKey), theirs.derive(ours.publicKey));
    ours.free();
    theirs.free();
  }
});

Deno.test("ECDH: agrees with WebCrypto both ways, in every group", async () => {
  const groups: ["X25519" | "P-256" | "P-384", EcKeyGenParams | { name: "X25519" }][] = [
    ["X25519", { name: "X25519" }],
    ["P-256", { name: "ECDH", namedCurve: "P-256" }],
    ["P-384", { name: "ECDH", namedCurve: "P-384" }],
  ];
  for (const [group, web] of groups) {
    const ours = KeyExchangeKey.generate(group);
    const pair = await crypto.subtle.generateKey(web, true, ["deriveBits"]) as CryptoKeyPair;
    const theirPublic = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const ourPublic = await crypto.subtle.importKey("raw", ours.publicKey, web, false, []);
    const bits = group === "P-384" ? 384 : 256;
    const webSecret = new Uint8Array(
      await crypto.subtle.deriveBits({ name: web.name, public: ourPublic }, pair.privateKey, bits),
    );
    assert.deepEqual(ours.derive(theirPublic), webSecret, group);
    ours.free();
  }
});

Deno.test("ECDH: a fixed P-256/P-384 private key gives WebCrypto's public point", async () => {
  for (const curve of ["P-256", "P-384"] as const) {
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: curve }, true, [
      "deriveBits",
    ]) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
    const scalar = Uint8Array.fromBase64(jwk.d!, { alphabet: "base64url" });
    const key = KeyExchangeKey.fromPrivate(curve, scalar);
    assert.deepEqual(
      key.publicKey,
      new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
    );
    key.free();
  }
  assert.throws(() => KeyExchangeKey.fromPrivate("P-256", new Uint8Array(31)), RangeError);
  assert.throws(() => KeyExchangeKey.fromPrivate("P-256", fill(32, 0xff)), RangeError);
  assert.throws(() => KeyExchangeKey.fromPrivate("P-384", new Uint8Array(48)), RangeError);
});

Deno.test("Ed25519: RFC 8032 §7.1 tests 1-3 sign and verify", () => {
  const vectors = [
    {
      secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      message: "",
      signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" +
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    {
      secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      message: "72",
      signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da" +
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
    {
      secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
      public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
      message: "af82",
      signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac" +
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    },
  ];
  const alg: SignatureAlgorithm = { kind: "ed25519" };
  for (const v of vectors) {
    const key = PrivateKey.fromPkcs8(hex("302e020100300506032b657004220420" + v.secret));
    assert.deepEqual(key.kind, { type: "ed25519" });
    const message = hex(v.message);
    assert.deepEqual(key.sign(alg, message).toHex(), v.signature);
    const spki = hex("302a300506032b6570032100" + v.public);
    assert.ok(verifySignature(spki, alg, message, hex(v.signature)));
    const bad = hex(v.signature);
    bad[5] ^= 1;
    assert.ok(!verifySignature(spki, alg, message, bad));
    assert.ok(!verifySignature(spki, alg, text("other"), hex(v.signature)));
    key.free();
  }
});

/** A WebCrypto key pair, exported: PKCS#8 and SPKI DER. */
async function webPair(alg: RsaHashedKeyGenParams | EcKeyGenParams | { name: "Ed25519" }) {
  const pair = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  return {
    pair,
    pkcs8: new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)),
  };
}

Deno.test("ECDSA: signed here, verified by WebCrypto, and back (P-256/SHA-256, P-384/SHA-384)", async () => {
  for (
    const [curve, hash, width] of [["P-256", "SHA-256", 32], ["P-384", "SHA-384", 48]] as const
  ) {
    const { pair, pkcs8, spki } = await webPair({ name: "ECDSA", namedCurve: curve });
    const key = PrivateKey.fromPkcs8(pkcs8);
    assert.deepEqual(key.kind, { type: "ecdsa", curve });
    const alg: SignatureAlgorithm = { kind: "ecdsa", hash, curve };
    const data = randomBytes(200);
    const ours = key.sign(alg, data);
    assert.deepEqual(ours[0], 0x30, "DER ECDSA-Sig-Value, as TLS sends it");
    assert.ok(verifySignature(spki, alg, data, ours));
    assert.ok(
      await crypto.subtle.verify(
        { name: "ECDSA", hash },
        pair.publicKey,
        ecdsaDerToRaw(ours, width) as BufferSource,
        data,
      ),
    );
    const theirs = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash }, pair.privateKey, data),
    );
    assert.ok(verifySignature(spki, alg, data, ecdsaRawToDer(theirs)));
    assert.ok(!verifySignature(spki, alg, data.subarray(1), ecdsaRawToDer(theirs)));
    assert.ok(!verifySignature(spki, alg, data, theirs), "raw r||s is not DER");
    assert.ok(!verifySignature(spki, alg, data, ours.subarray(0, ours.length - 1)));
    assert.ok(!verifySignature(spki, alg, data, new Uint8Array(0)));
    const wrongCurve = curve === "P-256" ? "P-384" : "P-256";
    assert.ok(!verifySignature(spki, { ...alg, curve: wrongCurve }, data, ours));
    assert.throws(() => key.sign({ kind: "ed25519" }, data), /Ed25519 needs/);
    key.free();
  }
});

Deno.test("Ed25519: signed here, verified by WebCrypto, and back", async () => {
  const { pair, pkcs8, spki } = await webPair({ name: "Ed25519" });
  const key = PrivateKey.fromPkcs8(pkcs8);
  const alg: SignatureAlgorithm = { kind: "ed25519" };
  const data = randomBytes(300);
  const ours = key.sign(alg, data);
  assert.ok(await crypto.subtle.verify("Ed25519", pair.publicKey, ours, data));
  const theirs = new Uint8Array(await crypto.subtle.sign("Ed25519", pair.privateKey, data));
  assert.deepEqual(ours, theirs, "Ed25519 is deterministic");
  assert.ok(verifySignature(spki, alg, data, theirs));
  assert.ok(!verifySignature(spki, alg, data.subarray(1), theirs));
  key.free();
});

Deno.test("RSA: PSS (salt = hash length) and PKCS#1 v1.5, both ways with WebCrypto", async () => {
  const data = randomBytes(300);
  for (const hash of ["SHA-256", "SHA-384", "SHA-512"] as const) {
    const pss = await webPair({
      name: "RSA-PSS",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash,
    });
    const key = PrivateKey.fromPkcs8(pss.pkcs8);
    assert.deepEqual(key.kind, { type: "rsa", bits: 2048 });
    const saltLength = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }[hash];
    const alg: SignatureAlgorithm = { kind: "rsa-pss", hash, saltLength };
    const ours = key.sign(alg, data);
    assert.deepEqual(ours.length, 256);
    assert.ok(
      await crypto.subtle.verify({ name: "RSA-PSS", saltLength }, pss.pair.publicKey, ours, data),
    );
    const theirs = new Uint8Array(
      await crypto.subtle.sign({ name: "RSA-PSS", saltLength }, pss.pair.privateKey, data),
    );
    assert.ok(verifySignature(pss.spki, alg, data, theirs));
    assert.ok(!verifySignature(pss.spki, { ...alg, saltLength: 20 }, data, theirs));
    assert.ok(!verifySignature(pss.spki, { kind: "rsa-pkcs1", hash }, data, theirs));

    const pkcs1 = await crypto.subtle.importKey(
      "pkcs8",
      pss.pkcs8,
      { name: "RSASSA-PKCS1-v1_5", hash },
      false,
      ["sign"],
    );
    const v15 = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pkcs1, data));
    assert.ok(verifySignature(pss.spki, { kind: "rsa-pkcs1", hash }, data, v15));
    assert.deepEqual(
      key.sign({ kind: "rsa-pkcs1", hash }, data),
      v15,
      "PKCS#1 v1.5 is deterministic",
    );
    assert.ok(!verifySignature(pss.spki, { kind: "rsa-pkcs1", hash }, randomBytes(300), v15));
    key.free();
  }
});

Deno.test("RSA-PSS keys (id-RSASSA-PSS SPKI, rsa_pss_pss_*) verify through the DER decoder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = (args: string[]) =>
      new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" }).output();
    await run([
      "genpkey",
      "-algorithm",
      "RSA-PSS",
      "-pkeyopt",
      "rsa_keygen_bits:2048",
      "-out",
      "k.pem",
    ]);
    await run(["pkey", "-in", "k.pem", "-outform", "DER", "-out", "k.der"]);
    await run(["pkey", "-in", "k.pem", "-pubout", "-outform", "DER", "-out", "p.der"]);
    const key = PrivateKey.fromPkcs8(await Deno.readFile(`${dir}/k.der`));
    const spki = await Deno.readFile(`${dir}/p.der`);
    assert.deepEqual(key.kind, { type: "rsa-pss", bits: 2048 });
    const alg: SignatureAlgorithm = { kind: "rsa-pss", hash: "SHA-256", saltLength: 32 };
    const data = randomBytes(64);
    const signature = key.sign(alg, data);
    assert.ok(verifySignature(spki, alg, data, signature));
    assert.ok(!verifySignature(spki, { kind: "rsa-pkcs1", hash: "SHA-256" }, data, signature));
    key.free();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Keys: malformed DER is a clear error (private) or false (public), never a crash", async () => {
  const { pkcs8, spki, pair } = await webPair({ name: "ECDSA", namedCurve: "P-256" });
  assert.throws(() => PrivateKey.fromPkcs8(new Uint8Array(0)), /not a usable private key/);
  assert.throws(() => PrivateKey.fromPkcs8(pkcs8.subarray(0, 40)), /not a usable private key/);
  assert.throws(
    () => PrivateKey.fromPkcs8(new Uint8Array([...pkcs8, 0])),
    /1 bytes follow the key/,
  );
  assert.throws(() => PrivateKey.fromPkcs8(randomBytes(100)), /not a usable private key/);
  const data = text("x");
  const sig = ecdsaRawToDer(
    new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, data),
    ),
  );
  const alg: SignatureAlgorithm = { kind: "ecdsa", hash: "SHA-256" };
  assert.ok(verifySignature(spki, alg, data, sig));
  assert.ok(!verifySignature(new Uint8Array([...spki, 0]), alg, data, sig));
  for (let cut = 0; cut < spki.length; cut += 7) {
    assert.ok(!verifySignature(spki.subarray(0, cut), alg, data, sig));
  }
  const offCurve = spki.slice();
  offCurve[offCurve.length - 1] ^= 1;
  assert.ok(!verifySignature(offCurve, alg, data, sig));
  assert.ok(!verifySignature(spki, { kind: "ed25519" }, data, sig));
  assert.ok(
    !verifySignature(spki, { kind: "rsa-pss", hash: "SHA-256", saltLength: 32 }, data, sig),
  );
});

Deno.test("Verification keys: recent ones are kept, and more keys than are kept still verify right", async () => {
  const alg: SignatureAlgorithm = { kind: "ecdsa", hash: "SHA-256" };
  const data = text("the same message for every key");
  const keys = [];
  for (let i = 0; i < 40; i++) {
    const { pkcs8, spki } = await webPair({ name: "ECDSA", namedCurve: "P-256" });
    const key = PrivateKey.fromPkcs8(pkcs8);
    keys.push({ spki, signature: key.sign(alg, data) });
    key.free();
  }
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < keys.length; i++) {
      assert.ok(verifySignature(keys[i].spki, alg, data, keys[i].signature), `key ${i}`);
      const other = keys[(i + 1) % keys.length];
      assert.ok(!verifySignature(other.spki, alg, data, keys[i].signature), `not key ${i}'s`);
    }
  }
});

Deno.test("random: RAND_bytes fills what it is given", () => {
  const a = randomBytes(64), b = randomBytes(64);
  assert.deepEqual(a.length, 64);
  assert.ok(a.some((x) => x !== 0) && a.toHex() !== b.toHex());
  assert.deepEqual(randomBytes(0).length, 0);
});
