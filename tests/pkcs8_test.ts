/**
 * The one PKCS#8 reader (lib/crypto/pkcs8.ts) on keys that `openssl genpkey`
 * made (tests/fixtures/pkcs8/README.md): what each key is, the key files it
 * refuses and why, and the same keys loaded by every provider, by `ca` and
 * by the certificate/key loader.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Pkcs8Error, pkcs8FromPem, readPkcs8 } from "../lib/crypto/pkcs8.ts";
import { verifySignature } from "../lib/crypto/signature.ts";
import { SignatureScheme } from "../lib/codepoints.ts";
import { CertifiedKeyError, loadCertifiedKey } from "../lib/x509/certified_key.ts";
import { decodePem } from "../lib/x509/pem.ts";
import { readCertificateKey } from "../lib/x509/webcrypto_issuing.ts";
import { PROVIDERS, testEachProvider } from "./helpers/providers.ts";

const dir = new URL("./fixtures/pkcs8/", import.meta.url);
const pem = (name: string) => Deno.readTextFileSync(new URL(name, dir));
const der = (name: string) => pkcs8FromPem(decodePem(pem(`${name}.pem`)));
const spki = (name: string) => decodePem(pem(`${name}.pub.pem`))[0].der;

/** Every key openssl made, and what the reader must say it is. */
const KEYS = {
  p256: { type: "ecdsa", curve: "P-256" },
  p384: { type: "ecdsa", curve: "P-384" },
  p521: { type: "ecdsa", curve: "P-521" },
  rsa2048: { type: "rsa", bits: 2048 },
  rsa_pss2048: { type: "rsa-pss", bits: 2048 },
  ed25519: { type: "ed25519" },
  x25519: { type: "unknown", oid: "1.3.101.110" },
};

Deno.test("pkcs8: openssl genpkey's P-256, P-384, P-521, RSA, RSA-PSS, Ed25519 and X25519 keys are read as what they are", () => {
  for (const [name, info] of Object.entries(KEYS)) {
    assert.deepEqual(readPkcs8(der(name)), info, name);
  }
});

Deno.test("pkcs8: a key file without a PKCS#8 PRIVATE KEY block says what it holds and what to do", () => {
  const refused = (text: string, message: RegExp) =>
    assert.throws(() => pkcs8FromPem(decodePem(text)), (e) => {
      assert.ok(e instanceof Pkcs8Error);
      assert.match(e.message, message);
      return true;
    });
  refused(
    pem("p256_sec1.pem"),
    /^it is a SEC 1 key; convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY8`$/,
  );
  refused(pem("rsa2048_pkcs1.pem"), /^it is a PKCS#1 key; convert it to PKCS#8/);
  refused(pem("p256_encrypted.pem"), /^it is encrypted; decrypt it with `openssl pkcs8/);
  refused(pem("p256.pub.pem"), /^it holds no PRIVATE KEY PEM block$/);
  refused("", /^it holds no PRIVATE KEY PEM block$/);
  refused(
    pem("p256.pem").replaceAll("PRIVATE KEY", "DSA PRIVATE KEY"),
    /^it holds a "DSA PRIVATE KEY" PEM block, not a PKCS#8 PRIVATE KEY$/,
  );
  assert.deepEqual(pkcs8FromPem(decodePem(pem("p256.pub.pem") + pem("p256.pem"))), der("p256"));
});

Deno.test("pkcs8: malformed DER is a Pkcs8Error naming the fault, never a RangeError", () => {
  const p256 = der("p256"), rsa = der("rsa2048");
  const malformed: [string, Uint8Array][] = [
    ["empty", new Uint8Array()],
    ["truncated", p256.subarray(0, p256.length - 1)],
    ["a byte after the key", Uint8Array.from([...p256, 0])],
    ["not a SEQUENCE", Uint8Array.from([0x31, ...p256.subarray(1)])],
    // The curve's OID (06 08 ...) becomes an OCTET STRING (04 08 ...): no named curve.
    ["EC key without a named curve", edit(p256, "06082a8648ce3d030107", "04082a8648ce3d030107")],
    // The RSAPrivateKey inside the OCTET STRING loses its SEQUENCE tag.
    ["RSA key body not a SEQUENCE", edit(rsa, "0482", "0482", (b, i) => b[i + 4] = 0x31)],
    ["a certificate's public key (SPKI)", spki("p256")],
  ];
  for (const [what, bytes] of malformed) {
    assert.throws(() => readPkcs8(bytes), (e) => {
      assert.ok(e instanceof Pkcs8Error, `${what}: ${e}`);
      assert.match(e.message, /^not a PKCS#8 private key \(.+\)$/, what);
      return true;
    });
  }
});

testEachProvider(
  "pkcs8: the provider loads openssl's keys and signs; openssl's public keys verify it",
  async (crypto) => {
    const schemes: Record<string, number> = {
      p256: SignatureScheme.ecdsa_secp256r1_sha256,
      p384: SignatureScheme.ecdsa_secp384r1_sha384,
      rsa2048: SignatureScheme.rsa_pss_rsae_sha256,
      ed25519: SignatureScheme.ed25519,
    };
    const message = new TextEncoder().encode("signed with a key openssl made");
    for (const [name, scheme] of Object.entries(schemes)) {
      const key = await crypto.loadSigningKey(der(name));
      assert.deepEqual(key.info, KEYS[name as keyof typeof KEYS], name);
      assert.equal(key.schemes[0], scheme, name);
      const signature = await key.sign(scheme, message);
      for (const verifier of PROVIDERS) {
        assert.ok(await verifySignature(verifier, scheme, spki(name), message, signature), name);
        assert.ok(
          !(await verifySignature(verifier, scheme, spki(name), message.slice(1), signature)),
        );
      }
    }
    await assert.rejects(
      async () => await crypto.loadSigningKey(der("p521")),
      /ECDSA keys on P-521 are not supported/,
    );
    await assert.rejects(
      async () => await crypto.loadSigningKey(der("rsa_pss2048")),
      /RSASSA-PSS-only keys/,
    );
    await assert.rejects(
      async () => await crypto.loadSigningKey(der("x25519")),
      /unsupported private key type \(OID 1\.3\.101\.110\)/,
    );
    await assert.rejects(
      async () => await crypto.loadSigningKey(spki("p256")),
      /^Pkcs8Error: not a PKCS#8/,
    );
  },
);

Deno.test("pkcs8: `ca` reads openssl's keys and derives the public key openssl derived", async () => {
  const types = { p256: "ecdsa-p256", p384: "ecdsa-p384", rsa2048: "rsa-2048", ed25519: "ed25519" };
  for (const [name, keyType] of Object.entries(types)) {
    const key = await readCertificateKey(der(name));
    assert.equal(key.keyType, keyType);
    assert.equal(key.spki.toHex(), spki(name).toHex(), name);
  }
  await assert.rejects(() => readCertificateKey(der("p521")), /the key is ECDSA P-521; supported:/);
  await assert.rejects(() => readCertificateKey(new Uint8Array(8)), /not a PKCS#8 private key/);
});

Deno.test("pkcs8: the certificate/key loader refuses a SEC 1 key file as the key at fault", async () => {
  const chain = Deno.readTextFileSync(new URL("./fixtures/trace/server.pem", import.meta.url));
  await assert.rejects(() => loadCertifiedKey(chain, pem("p256_sec1.pem")), (e) => {
    assert.ok(e instanceof CertifiedKeyError);
    assert.equal(e.which, "key");
    assert.match(e.message, /^it is a SEC 1 key; convert it to PKCS#8/);
    return true;
  });
  await assert.rejects(() => loadCertifiedKey(chain, pem("p256.pem")), (e) => {
    assert.ok(e instanceof CertifiedKeyError);
    assert.equal(e.which, "pair", "a good key that is not the certificate's");
    return true;
  });
});

/** `bytes` with the first byte-aligned run of hex `from` replaced by `to`, then `more` applied there. */
function edit(
  bytes: Uint8Array,
  from: string,
  to: string,
  more?: (b: Uint8Array, at: number) => void,
): Uint8Array {
  const hex = bytes.toHex();
  const at = hex.indexOf(from);
  assert.ok(at >= 0 && at % 2 === 0, `no ${from} in the key`);
  const out = Uint8Array.fromHex(hex.slice(0, at) + to + hex.slice(at + from.length));
  more?.(out, at / 2);
  return out;
}
