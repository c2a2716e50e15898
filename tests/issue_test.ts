/**
 * Certificate issuance (lib/x509/issue.ts) in memory: what each kind of
 * certificate carries, signatures, serials, validity, loading an existing CA,
 * name checks, and the makeCertSet helper. No external tools.
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import {
  CA_DAYS,
  certificateInfo,
  createIntermediateCa,
  createRootCa,
  type Issued,
  issueLeaf,
  IssuerError,
  type KeyType,
  LEAF_DAYS,
  loadIssuer,
} from "../lib/x509/issue.ts";
import { readCertificateKey } from "../lib/x509/webcrypto_issuing.ts";
import { checkCertificateName } from "../lib/x509/san.ts";
import { encodePem } from "../lib/x509/pem.ts";
import { DerReader, Tag } from "../lib/wire/der.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { misuse } from "./helpers/errors.ts";

const DAY = 86_400_000;

const parse = (i: Issued) => new x509.X509Certificate(i.certificate as BufferSource);

/** The DER issuer and subject Names of a certificate, byte for byte (RFC 5280 §4.1). */
function rawNames(der: Uint8Array): { issuer: string; subject: string } {
  const tbs = new DerReader(der).sequence().sequence();
  if (tbs.peekTag() === 0xa0) tbs.read(0xa0);
  tbs.read(Tag.INTEGER);
  tbs.read(Tag.SEQUENCE);
  const issuer = tbs.readElement(Tag.SEQUENCE).toHex();
  tbs.read(Tag.SEQUENCE);
  return { issuer, subject: tbs.readElement(Tag.SEQUENCE).toHex() };
}

for (const keyType of ["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-2048"] as KeyType[]) {
  Deno.test(`issue: ${keyType} root, intermediate and leaves are signed by their issuers`, async () => {
    const root = await createRootCa({ keyType });
    const mid = await createIntermediateCa(root, { keyType });
    const server = await issueLeaf(mid, { keyType, names: ["localhost"], usage: "server" });
    const client = await issueLeaf(root, {
      keyType,
      names: [],
      commonName: "alice",
      usage: "client",
    });
    assert.ok(await parse(root).verify({ publicKey: parse(root), signatureOnly: true }));
    assert.ok(await parse(mid).verify({ publicKey: parse(root), signatureOnly: true }));
    assert.ok(await parse(server).verify({ publicKey: parse(mid), signatureOnly: true }));
    assert.ok(await parse(client).verify({ publicKey: parse(root), signatureOnly: true }));
    assert.ok(!(await parse(server).verify({ publicKey: parse(root), signatureOnly: true })));
    for (const i of [root, mid, server, client]) assert.equal(i.keyType, keyType);
    const expected = {
      "ecdsa-p256": { name: "ECDSA", hash: "SHA-256" },
      "ecdsa-p384": { name: "ECDSA", hash: "SHA-384" },
      "ed25519": { name: "Ed25519" },
      "rsa-2048": { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    }[keyType as "ed25519"];
    const sig = parse(server).signatureAlgorithm as { name: string; hash?: { name: string } };
    assert.deepEqual({ name: sig.name, ...(sig.hash ? { hash: sig.hash.name } : {}) }, expected);
    // Name chaining is byte for byte (rustls/webpki compares the DER).
    assert.equal(rawNames(server.certificate).issuer, rawNames(mid.certificate).subject);
    assert.equal(rawNames(mid.certificate).issuer, rawNames(root.certificate).subject);
    assert.equal(rawNames(root.certificate).issuer, rawNames(root.certificate).subject);
  });
}

Deno.test("issue: extensions of a root, an intermediate, a server and a client certificate", async () => {
  const root = await createRootCa();
  const mid = await createIntermediateCa(root);
  const server = await issueLeaf(mid, {
    names: ["localhost", "127.0.0.1", "::1"],
    usage: "server",
    keyType: "rsa-2048",
  });
  const client = await issueLeaf(mid, { names: [], commonName: "alice", usage: "client" });
  const ext = (i: Issued) => {
    const c = parse(i);
    return {
      bc: c.getExtension(x509.BasicConstraintsExtension)!,
      ku: c.getExtension(x509.KeyUsagesExtension)!,
      eku: c.getExtension(x509.ExtendedKeyUsageExtension),
      ski: c.getExtension(x509.SubjectKeyIdentifierExtension)!,
      aki: c.getExtension(x509.AuthorityKeyIdentifierExtension)!,
      san: c.getExtension(x509.SubjectAlternativeNameExtension),
    };
  };
  const r = ext(root), m = ext(mid), s = ext(server), c = ext(client);
  const { digitalSignature, keyEncipherment, keyCertSign, cRLSign } = x509.KeyUsageFlags;

  assert.deepEqual([r.bc.ca, r.bc.pathLength, r.bc.critical], [true, 1, true]);
  assert.deepEqual([m.bc.ca, m.bc.pathLength, m.bc.critical], [true, 0, true]);
  assert.deepEqual([s.bc.ca, s.bc.critical], [false, true]);
  assert.deepEqual([r.ku.usages, r.ku.critical], [keyCertSign | cRLSign, true]);
  assert.equal(m.ku.usages, keyCertSign | cRLSign);
  assert.deepEqual([s.ku.usages, s.ku.critical], [digitalSignature | keyEncipherment, true]);
  assert.equal(c.ku.usages, digitalSignature);
  assert.equal(r.eku, null);
  assert.deepEqual([...s.eku!.usages], [x509.ExtendedKeyUsage.serverAuth]);
  assert.deepEqual([...c.eku!.usages], [x509.ExtendedKeyUsage.clientAuth]);
  // RFC 5280 §4.2.1.1: the authority key identifier is the issuer's subject key identifier.
  assert.equal(r.aki.keyId, r.ski.keyId);
  assert.equal(m.aki.keyId, r.ski.keyId);
  assert.equal(s.aki.keyId, m.ski.keyId);
  assert.deepEqual(s.san!.names.toJSON(), [
    { type: "dns", value: "localhost" },
    { type: "ip", value: "127.0.0.1" },
    { type: "ip", value: "::1" },
  ]);
  assert.equal(c.san, null);
  assert.match(server.subject, /CN=localhost/);
  assert.match(client.subject, /CN=alice/);
  assert.match(root.subject, /CN=handshake development CA [0-9A-F]{8}/);
});

Deno.test("issue: ECDSA server keys get no keyEncipherment; IPv6 and mapped IPv4 names are IP entries", async () => {
  const ca = await createRootCa();
  const leaf = await issueLeaf(ca, {
    names: ["2001:db8::1", "::ffff:192.0.2.1", "[fe80::a]", "10.0.0.1", "example.test"],
    usage: "server",
  });
  assert.equal(
    parse(leaf).getExtension(x509.KeyUsagesExtension)!.usages,
    x509.KeyUsageFlags.digitalSignature,
  );
  assert.deepEqual(certificateInfo(leaf.certificate).names, [
    "IP:2001:db8::1",
    "IP:::ffff:c000:201",
    "IP:fe80::a",
    "IP:10.0.0.1",
    "DNS:example.test",
  ]);
});

Deno.test("issue: serial numbers are random, positive and 128 bits", async () => {
  const ca = await createRootCa();
  const serials = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const leaf = await issueLeaf(ca, { names: ["localhost"], usage: "server" });
    const hex = parse(leaf).serialNumber;
    const n = BigInt(`0x${hex}`);
    assert.ok(n > 0n && n < 1n << 128n, hex);
    serials.add(hex);
  }
  assert.equal(serials.size, 8);
});

Deno.test("issue: validity defaults, --days, and leaves cut to their issuer's expiry", async () => {
  const ca = await createRootCa();
  const c = parse(ca);
  assert.equal(c.notAfter.getTime() - c.notBefore.getTime(), CA_DAYS * DAY);
  assert.ok(c.notBefore.getTime() <= Date.now() - 59 * 60_000, "backdated by an hour");
  const leaf = parse(await issueLeaf(ca, { names: ["a.test"], usage: "server" }));
  assert.equal(leaf.notAfter.getTime() - leaf.notBefore.getTime(), LEAF_DAYS * DAY);
  const short = parse(await issueLeaf(ca, { names: ["a.test"], usage: "server", days: 7 }));
  assert.equal(short.notAfter.getTime() - short.notBefore.getTime(), 7 * DAY);
  const long = await issueLeaf(ca, { names: ["a.test"], usage: "server", days: CA_DAYS + 100 });
  assert.equal(long.notAfter.getTime(), ca.notAfter.getTime());
  // Explicit dates are kept as given, even expired ones (for tests of verifiers).
  const notBefore = new Date("2020-01-01T00:00:00Z"), notAfter = new Date("2021-01-01T00:00:00Z");
  const expired = parse(
    await issueLeaf(ca, { names: ["a.test"], usage: "server", notBefore, notAfter }),
  );
  assert.deepEqual([expired.notBefore, expired.notAfter], [notBefore, notAfter]);
  const lapsed = parse(
    await issueLeaf(ca, { names: ["a.test"], usage: "server", notAfter, days: 2 }),
  );
  assert.deepEqual([lapsed.notBefore.getTime(), lapsed.notAfter], [
    notAfter.getTime() - 2 * DAY,
    notAfter,
  ]);
  await assert.rejects(
    issueLeaf(ca, { names: ["a.test"], usage: "server", notBefore: notAfter, notAfter: notBefore }),
    misuse("invalid_validity"),
  );
  await assert.rejects(
    issueLeaf(ca, { names: ["a.test"], usage: "server", days: 0 }),
    misuse("invalid_validity"),
  );
  await assert.rejects(
    issueLeaf(ca, { names: [], usage: "server" }),
    misuse("certificate_needs_name"),
  );
});

Deno.test("issue: pathLen options", async () => {
  const bc = (i: Issued) => parse(i).getExtension(x509.BasicConstraintsExtension)!;
  const root = await createRootCa({ pathLen: null });
  assert.deepEqual([bc(root).ca, bc(root).pathLength], [true, undefined]);
  const mid = await createIntermediateCa(root, { pathLen: 2 });
  assert.equal(bc(mid).pathLength, 2);
});

Deno.test("issue: fingerprint is the SHA-256 of the DER, as openssl prints it", async () => {
  const ca = await createRootCa();
  assert.match(ca.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", ca.certificate as BufferSource),
  );
  assert.equal(ca.fingerprint.replaceAll(":", ""), hash.toHex().toUpperCase());
  assert.equal(ca.certificatePem, encodePem("CERTIFICATE", ca.certificate));
  assert.equal(ca.privateKeyPem, encodePem("PRIVATE KEY", ca.privateKey));
});

Deno.test("issue: loadIssuer reloads a CA and refuses a wrong one, saying which file is at fault", async () => {
  const ca = await createRootCa({ keyType: "ecdsa-p384" });
  const other = await createRootCa();
  const loaded = await loadIssuer(ca.certificatePem, ca.privateKeyPem);
  assert.deepEqual(loaded, ca);
  const leaf = await issueLeaf(loaded, { names: ["localhost"], usage: "server" });
  assert.ok(await parse(leaf).verify({ publicKey: parse(ca), signatureOnly: true }));

  const fails = async (cert: string, key: string, file: string, message: RegExp) => {
    const e = await loadIssuer(cert, key).then(() => undefined, (e) => e);
    assert.ok(e instanceof IssuerError, String(e));
    assert.equal(e.file, file);
    assert.match(e.message, message);
    assert.equal(e.mismatch, /not the private key/.test(e.message));
  };
  await fails(
    ca.certificatePem,
    other.privateKeyPem,
    "key",
    /not the private key of .*CN=handshake/,
  );
  await fails(leaf.certificatePem, leaf.privateKeyPem, "certificate", /is not a CA certificate/);
  await fails("hello", ca.privateKeyPem, "certificate", /no CERTIFICATE PEM block/);
  await fails(ca.certificatePem, "", "key", /no PRIVATE KEY PEM block/);
  const relabel = (label: string) =>
    ca.privateKeyPem.replaceAll("PRIVATE KEY-----", `${label}-----`);
  await fails(ca.certificatePem, relabel("EC PRIVATE KEY"), "key", /SEC 1 key; convert it/);
  await fails(ca.certificatePem, relabel("ENCRYPTED PRIVATE KEY"), "key", /encrypted/);
  await fails(ca.certificatePem, encodePem("PRIVATE KEY", new Uint8Array(8)), "key", /PKCS#8/);
});

Deno.test("issue: readCertificateKey recognises each key type and derives the public key", async () => {
  for (const keyType of ["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-3072"] as KeyType[]) {
    const ca = await createRootCa({ keyType });
    const key = await readCertificateKey(ca.privateKey);
    assert.equal(key.keyType, keyType);
    assert.equal(key.spki.toHex(), new Uint8Array(parse(ca).publicKey.rawData).toHex());
  }
});

Deno.test("issue: checkCertificateName accepts host names and IP literals, refuses the rest", () => {
  const ok: [string, string, string][] = [
    ["localhost", "dns", "localhost"],
    ["Example.TEST.", "dns", "example.test"],
    ["*.example.test", "dns", "*.example.test"],
    ["bücher.example", "dns", "xn--bcher-kva.example"],
    ["*.Bücher.example", "dns", "*.xn--bcher-kva.example"],
    ["a-b.c9.test", "dns", "a-b.c9.test"],
    ["127.0.0.1", "ip", "127.0.0.1"],
    ["::1", "ip", "::1"],
    ["[2001:DB8::1]", "ip", "2001:db8::1"],
  ];
  for (const [name, type, value] of ok) {
    assert.deepEqual(checkCertificateName(name), { type, value }, name);
  }
  const bad: [string, RegExp][] = [
    ["", /neither a DNS name nor an IP address/],
    ["foo bar", /neither/],
    ["foo_bar.test", /neither/],
    ["-a.test", /neither/],
    ["a..test", /neither/],
    ["1.2.3.999", /looks like an IPv4 address/],
    ["010.0.0.1", /looks like an IPv4 address/],
    ["*.test", /wildcard needs at least two labels/],
    ["*.*.example.test", /neither/],
    ["f*o.example.test", /neither/],
    ["fe80::1%eth0", /neither/],
    ["bücher.example:8443", /neither/],
    ["bücher.example/x", /neither/],
    [`${"a".repeat(64)}.test`, /neither/],
  ];
  for (const [name, message] of bad) {
    assert.throws(() => checkCertificateName(name), misuse("invalid_certificate_name"), name);
    assert.throws(() => checkCertificateName(name), message, name);
  }
});

Deno.test("issue: makeCertSet makes chains in memory and on disk", async () => {
  const plain = await makeCertSet();
  assert.equal(plain.serverChain.length, 1);
  assert.equal(plain.paths, undefined);
  const set = await makeCertSet({
    keyType: "ed25519",
    intermediate: true,
    client: "bob",
    dir: true,
  });
  try {
    assert.deepEqual(set.serverChain, [set.server.certificate, set.intermediate!.certificate]);
    assert.deepEqual(set.clientChain, [set.client!.certificate, set.intermediate!.certificate]);
    assert.match(set.client!.subject, /CN=bob/);
    const p = set.paths!;
    assert.equal(await Deno.readTextFile(p.server), set.serverChainPem);
    for (const key of [p.caKey, p.serverKey, p.intermediateKey!, p.clientKey!]) {
      assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600, key);
    }
  } finally {
    await Deno.remove(set.paths!.dir, { recursive: true });
  }
});
