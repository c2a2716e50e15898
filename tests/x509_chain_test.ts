/**
 * Path validation on chains built for the purpose: good chains in their
 * usual shapes, then one bad chain per rule, each with its code and alert
 * (and, where a test is about it, what the message reports).
 */

import assert from "node:assert/strict";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "../lib/crypto/webcrypto/mod.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import type { TraceEvent } from "../lib/trace.ts";
import {
  assertRefused,
  ca,
  CA_USAGE,
  CLIENT_AUTH,
  issue,
  leaf,
  nameConstraints,
  NOW,
  server,
  type TestCert,
} from "./x509_fixtures.ts";

const root = await ca("CN=Test Root");
const ica = await ca("CN=Test Intermediate", root);
const host = await leaf("CN=localhost", ica, ["localhost"], { ips: ["127.0.0.1", "::1"] });
const verifier = new PathVerifier([root.der]);
const ders = (...certs: TestCert[]) => certs.map((c) => c.der);

Deno.test("good: a leaf issued directly by the root", async () => {
  const direct = await leaf("CN=direct.example.test", root, ["direct.example.test"]);
  const path = await verifier.verifyPath(ders(direct), server("direct.example.test"));
  assert.equal(path.length, 2);
});

Deno.test("good: leaf, intermediate, root; by DNS name and by IPv4 and IPv6 address", async () => {
  for (const name of ["localhost", "LOCALHOST.", "127.0.0.1", "::1", "[::1]"]) {
    const path = await verifier.verifyPath(ders(host, ica), server(name));
    assert.deepEqual(path, [host.der, ica.der, root.der]);
  }
});

Deno.test("good: intermediates out of order, with unrelated extras and the root itself", async () => {
  const ica2 = await ca("CN=Second Intermediate", ica);
  const deep = await leaf("CN=deep", ica2, ["deep.example.test"]);
  const stranger = await ca("CN=Stranger Root");
  const chain = ders(deep, stranger, root, ica, ica2);
  const path = await verifier.verifyPath(chain, server("deep.example.test"));
  assert.deepEqual(path, [deep.der, ica2.der, ica.der, root.der]);
});

Deno.test("good: a wildcard as the whole left-most label matches one label", async () => {
  const wild = await leaf("CN=wild", ica, ["*.example.test"]);
  await verifier.verify(ders(wild, ica), server("www.example.test"));
});

Deno.test("good: every signature algorithm and key type", async () => {
  for (const keyType of ["P-384", "Ed25519", "RSA-2048", "RSA-PSS"] as const) {
    const r = await ca(`CN=${keyType} Root`, undefined, { keyType });
    const i = await ca(`CN=${keyType} Intermediate`, r, { keyType });
    const l = await leaf(`CN=${keyType} leaf`, i, ["alg.example.test"], { keyType });
    const v = new PathVerifier([r.der]);
    assert.equal((await v.verifyPath(ders(l, i), server("alg.example.test"))).length, 3, keyType);
  }
});

Deno.test("good: a client certificate with clientAuth, checked by a server", async () => {
  const client = await issue({ subject: "CN=alice", issuer: ica, eku: [CLIENT_AUTH] });
  await verifier.verify(ders(client, ica), { peer: "client", now: NOW, crypto: webcrypto });
  await assertRefused(
    verifier,
    [client, ica],
    server("localhost"),
    "cert_wrong_purpose",
    "bad_certificate",
  );
});

Deno.test("good: an expired path is left for a valid one (the chain of pain)", async () => {
  const oldRoot = await ca("CN=Old Root");
  // The same intermediate key and name, once under the expired cross-sign and once under root.
  const crossed = await ca("CN=Test Intermediate", oldRoot, {
    keys: ica.keys,
    notAfter: new Date("2026-01-01T00:00:00Z"),
  });
  const v = new PathVerifier([root.der, oldRoot.der]);
  const path = await v.verifyPath(ders(host, crossed, ica), server("localhost"));
  assert.deepEqual(path, [host.der, ica.der, root.der]);
});

Deno.test("trace: one certificate_link event per link checked", async () => {
  const events: TraceEvent[] = [];
  await verifier.verify(ders(host, ica), server("localhost", { trace: (e) => events.push(e) }));
  assert.deepEqual(
    events.map((e) => e.kind === "certificate_link" && [e.subject, e.issuer, e.ok]),
    [["CN=localhost", "CN=Test Intermediate", true], [
      "CN=Test Intermediate",
      "CN=Test Root",
      true,
    ]],
  );
});

Deno.test("bad: expired leaf", async () => {
  const old = await leaf("CN=localhost", ica, ["localhost"], {
    notBefore: new Date("2023-01-01T00:00:00Z"),
    notAfter: new Date("2024-01-01T00:00:00Z"),
  });
  await assertRefused(
    verifier,
    [old, ica],
    server("localhost"),
    "cert_expired",
    "certificate_expired",
    'certificate "CN=localhost" expired on 2024-01-01T00:00:00Z (validation time 2026-06-01T12:00:00Z)',
  );
});

Deno.test("bad: leaf not yet valid", async () => {
  const early = await leaf("CN=localhost", ica, ["localhost"], {
    notBefore: new Date("2026-07-01T00:00:00Z"),
  });
  await assertRefused(
    verifier,
    [early, ica],
    server("localhost"),
    "cert_not_yet_valid",
    "certificate_expired",
    'certificate "CN=localhost" is not valid before 2026-07-01T00:00:00Z',
  );
});

Deno.test("bad: expired intermediate", async () => {
  const oldIca = await ca("CN=Old Intermediate", root, {
    notAfter: new Date("2026-01-01T00:00:00Z"),
  });
  const l = await leaf("CN=localhost", oldIca, ["localhost"]);
  await assertRefused(
    verifier,
    [l, oldIca],
    server("localhost"),
    "cert_expired",
    "certificate_expired",
    'intermediate "CN=Old Intermediate" expired on 2026-01-01T00:00:00Z',
  );
});

Deno.test("bad: wrong name", async () => {
  await assertRefused(
    verifier,
    [host, ica],
    server("example.test"),
    "cert_not_valid_for_name",
    "bad_certificate",
    'certificate "CN=localhost" is not valid for "example.test": its names are DNS:localhost, IP:127.0.0.1, IP:::1',
  );
});

Deno.test("bad: wildcard misuse", async () => {
  const cases: [string, string, string][] = [
    ["*.*.example.test", "a.b.example.test", "unusable wildcard"],
    ["*.test", "foo.test", "unusable wildcard"],
    ["f*o.example.test", "foo.example.test", "unusable wildcard"],
    ["*.example.test", "a.b.example.test", "its names are DNS:*.example.test"],
    ["*.example.test", "example.test", "its names are DNS:*.example.test"],
  ];
  for (const [pattern, name, fragment] of cases) {
    const l = await leaf("CN=wild", ica, [pattern]);
    await assertRefused(
      verifier,
      [l, ica],
      server(name),
      "cert_not_valid_for_name",
      "bad_certificate",
      fragment,
    );
  }
});

Deno.test("bad: an IP address against a DNS name holding it", async () => {
  const l = await leaf("CN=ip", ica, ["127.0.0.1"]);
  await assertRefused(
    verifier,
    [l, ica],
    server("127.0.0.1"),
    "cert_not_valid_for_name",
    "bad_certificate",
  );
});

Deno.test("bad: no subjectAltName (the CN is not used)", async () => {
  const l = await issue({ subject: "CN=localhost", issuer: ica });
  await assertRefused(
    verifier,
    [l, ica],
    server("localhost"),
    "cert_no_subject_alt_name",
    "bad_certificate",
  );
});

Deno.test("bad: a CA certificate used as the leaf", async () => {
  const caLeaf = await ca("CN=Leafy CA", ica, { dns: ["localhost"] });
  await assertRefused(
    verifier,
    [caLeaf, ica],
    server("localhost"),
    "cert_leaf_is_ca",
    "bad_certificate",
  );
});

Deno.test("bad: a CA:FALSE certificate used to sign", async () => {
  const notCa = await issue({
    subject: "CN=Not A CA",
    issuer: ica,
    basicConstraints: { ca: false },
    keyUsage: CA_USAGE | x509.KeyUsageFlags.digitalSignature,
  });
  const l = await leaf("CN=localhost", notCa, ["localhost"]);
  await assertRefused(
    verifier,
    [l, notCa, ica],
    server("localhost"),
    "cert_issuer_not_ca",
    "bad_certificate",
  );
});

Deno.test("bad: pathLenConstraint exceeded", async () => {
  const tight = await ca("CN=Tight", root, { basicConstraints: { ca: true, pathLen: 0 } });
  const below = await ca("CN=Below", tight);
  const l = await leaf("CN=localhost", below, ["localhost"]);
  await assertRefused(
    verifier,
    [l, below, tight],
    server("localhost"),
    "cert_path_len_exceeded",
    "bad_certificate",
  );
});

Deno.test("bad: wrong extendedKeyUsage", async () => {
  const l = await leaf("CN=localhost", ica, ["localhost"], { eku: [CLIENT_AUTH] });
  await assertRefused(
    verifier,
    [l, ica],
    server("localhost"),
    "cert_wrong_purpose",
    "bad_certificate",
  );
  const codeSigner = await leaf("CN=localhost", ica, ["localhost"], { eku: ["1.3.6.1.5.5.7.3.3"] });
  await assertRefused(
    verifier,
    [codeSigner, ica],
    server("localhost"),
    "cert_wrong_purpose",
    "bad_certificate",
  );
});

Deno.test("bad: an intermediate whose extendedKeyUsage excludes serverAuth", async () => {
  const clientsOnly = await ca("CN=Client CA", root, { eku: [CLIENT_AUTH] });
  const l = await leaf("CN=localhost", clientsOnly, ["localhost"]);
  await assertRefused(
    verifier,
    [l, clientsOnly],
    server("localhost"),
    "cert_wrong_purpose",
    "bad_certificate",
    '"CN=Client CA" is not valid for TLS server',
  );
});

Deno.test("bad: a CA without keyCertSign", async () => {
  const noSign = await ca("CN=No Sign", root, { keyUsage: x509.KeyUsageFlags.digitalSignature });
  const l = await leaf("CN=localhost", noSign, ["localhost"]);
  await assertRefused(
    verifier,
    [l, noSign],
    server("localhost"),
    "cert_issuer_no_key_cert_sign",
    "bad_certificate",
  );
});

Deno.test("bad: a leaf whose keyUsage lacks digitalSignature", async () => {
  const l = await leaf("CN=localhost", ica, ["localhost"], {
    keyUsage: x509.KeyUsageFlags.keyEncipherment,
  });
  await assertRefused(
    verifier,
    [l, ica],
    server("localhost"),
    "cert_no_digital_signature",
    "bad_certificate",
  );
});

Deno.test("bad: a flipped signature byte", async () => {
  const flipped = host.der.slice();
  flipped[flipped.length - 1] ^= 0x01;
  await assertRefused(
    verifier,
    [flipped, ica.der],
    server("localhost"),
    "cert_bad_signature",
    "bad_certificate",
  );
});

Deno.test("bad: an unknown critical extension, and the same extension non-critical is fine", async () => {
  const ext = (critical: boolean) =>
    new x509.Extension("1.3.6.1.4.1.55738.666.1", critical, new Uint8Array([5, 0]));
  const l = await leaf("CN=localhost", ica, ["localhost"], { extensions: [ext(true)] });
  await assertRefused(
    verifier,
    [l, ica],
    server("localhost"),
    "cert_unknown_critical_extension",
    "unsupported_certificate",
  );
  const ok = await leaf("CN=localhost", ica, ["localhost"], { extensions: [ext(false)] });
  await verifier.verify(ders(ok, ica), server("localhost"));
});

Deno.test("bad: name constraints, permitted and excluded, DNS and IP", async () => {
  const constrained = await ca("CN=Constrained", root, {
    extensions: [
      nameConstraints({
        permitted: ["example.test", "10.0.0.0/8"],
        excluded: ["bad.example.test"],
      }),
    ],
  });
  const good = await leaf("CN=good", constrained, ["www.example.test"], { ips: ["10.1.2.3"] });
  await verifier.verify(ders(good, constrained), server("www.example.test"));
  const outside = await leaf("CN=evil", constrained, ["www.example.test", "evil.test"]);
  await assertRefused(
    verifier,
    [outside, constrained],
    server("www.example.test"),
    "cert_name_not_permitted",
    "bad_certificate",
  );
  const excluded = await leaf("CN=bad", constrained, ["x.bad.example.test"]);
  await assertRefused(
    verifier,
    [excluded, constrained],
    server("x.bad.example.test"),
    "cert_name_excluded",
    "bad_certificate",
  );
  const wildcard = await leaf("CN=wild", constrained, ["*.example.test"]);
  await assertRefused(
    verifier,
    [wildcard, constrained],
    server("a.example.test"),
    "cert_name_excluded",
    "bad_certificate",
  );
  const badIp = await leaf("CN=ip", constrained, ["www.example.test"], { ips: ["192.0.2.1"] });
  await assertRefused(
    verifier,
    [badIp, constrained],
    server("www.example.test"),
    "cert_name_not_permitted",
    "bad_certificate",
  );
});

Deno.test("bad: a self-signed leaf", async () => {
  const self = await issue({ subject: "CN=localhost", dns: ["localhost"] });
  await assertRefused(
    verifier,
    [self],
    server("localhost"),
    "cert_self_signed_untrusted",
    "unknown_ca",
  );
});

Deno.test("good: a self-signed leaf that is itself a trust anchor, still held to its name", async () => {
  const self = await issue({ subject: "CN=localhost", dns: ["localhost"] });
  const pinned = new PathVerifier([self.der]);
  assert.deepEqual(await pinned.verifyPath([self.der], server("localhost")), [self.der]);
  await assertRefused(
    pinned,
    [self],
    server("other.test"),
    "cert_not_valid_for_name",
    "bad_certificate",
  );
});

Deno.test("bad: unknown CA, missing intermediate, and a different CA with the same name", async () => {
  const otherRoot = await ca("CN=Other Root");
  const stranger = await leaf("CN=localhost", otherRoot, ["localhost"]);
  await assertRefused(
    verifier,
    [stranger],
    server("localhost"),
    "cert_unknown_issuer",
    "unknown_ca",
  );
  await assertRefused(
    verifier,
    [host],
    server("localhost"),
    "cert_unknown_issuer",
    "unknown_ca",
  );
  const impostor = await ca("CN=Test Root");
  const forged = await ca("CN=Test Intermediate", impostor);
  const l = await leaf("CN=localhost", forged, ["localhost"]);
  await assertRefused(
    verifier,
    [l, forged],
    server("localhost"),
    "cert_issuer_mismatch",
    "unknown_ca",
  );
});

Deno.test("bad: weak algorithms: SHA-1 signature, RSA-1024 key", async () => {
  const sha1 = await leaf("CN=localhost", ica, ["localhost"], { sha1: true });
  await assertRefused(
    verifier,
    [sha1, ica],
    server("localhost"),
    "cert_signature_algorithm_refused",
    "unsupported_certificate",
  );
  const small = await leaf("CN=localhost", ica, ["localhost"], { keyType: "RSA-1024" });
  await assertRefused(
    verifier,
    [small, ica],
    server("localhost"),
    "cert_key_refused",
    "unsupported_certificate",
  );
});

Deno.test("bad: a missing authorityKeyIdentifier", async () => {
  const l = await leaf("CN=localhost", ica, ["localhost"], { noAki: true });
  await assertRefused(
    verifier,
    [l, ica],
    server("localhost"),
    "cert_missing_authority_key_id",
    "bad_certificate",
  );
});

Deno.test("bad: garbage instead of a certificate", async () => {
  await assertRefused(
    verifier,
    [new Uint8Array([0x30, 0x03, 1, 2, 3])],
    server("localhost"),
    "cert_unparseable",
    "bad_certificate",
  );
  await assertRefused(
    verifier,
    [host.der, host.der.subarray(0, 100)],
    server("localhost"),
    "cert_unparseable",
    "bad_certificate",
    "certificate #2 of the peer's chain cannot be parsed",
  );
});

Deno.test("limits: too many intermediates, unless allowed", async () => {
  let issuer = root;
  const chain: TestCert[] = [];
  for (let i = 0; i < 8; i++) chain.unshift(issuer = await ca(`CN=Level ${i}`, issuer));
  const l = await leaf("CN=localhost", issuer, ["localhost"]);
  await assertRefused(
    verifier,
    [l, ...chain],
    server("localhost"),
    "cert_path_too_long",
    "unknown_ca",
  );
  await new PathVerifier([root.der], { maxIntermediates: 8 }).verify(
    ders(l, ...chain),
    server("localhost"),
  );
});

Deno.test("limits: a hostile chain of look-alike CAs ends within the signature budget", async () => {
  // 40 CAs with one name and distinct keys, each signed by the next: every one is a
  // candidate issuer of every other, and none reaches the root.
  const keys = await Promise.all(
    Array.from(
      { length: 41 },
      () =>
        crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]),
    ),
  );
  const hydra: TestCert[] = [];
  let above: TestCert = {
    der: new Uint8Array(),
    keys: keys[40] as CryptoKeyPair,
    subject: "CN=Hydra",
    keyType: "P-256",
  };
  for (let i = 39; i >= 0; i--) {
    above = await ca("CN=Hydra", above, { keys: keys[i] as CryptoKeyPair });
    hydra.unshift(above);
  }
  const l = await leaf("CN=localhost", hydra[0], ["localhost"]);
  const started = performance.now();
  await assertRefused(
    verifier,
    [l, ...hydra],
    server("localhost"),
    "cert_path_search_gave_up",
    "certificate_unknown",
  );
  assert.ok(performance.now() - started < 5000);
});
