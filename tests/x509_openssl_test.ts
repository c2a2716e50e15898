/**
 * Chains made by the openssl command line (OpenSSL 3.0), the way people
 * make them by hand: the validator must accept what `openssl verify`
 * accepts when it is well made, and refuse the usual mistakes with a reason.
 */

import assert from "node:assert/strict";
import { PathVerifier } from "../lib/x509/verify.ts";
import { decodePem } from "../lib/x509/pem.ts";
import { assertRefused } from "./x509_fixtures.ts";
import type { VerifyContext } from "../lib/config.ts";
import { webcrypto } from "../lib/crypto/webcrypto/mod.ts";

const dir = await Deno.makeTempDir({ prefix: "x509_openssl_" });
// An hour on: every certificate below is made after this module starts.
const now = new Date(Date.now() + 3600_000);
const at = (name: string, when = now): VerifyContext => ({
  peer: "server",
  serverName: name,
  now: when,
  crypto: webcrypto,
});

async function openssl(...args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdin: "null" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`openssl ${args.join(" ")}: ${text}`);
  return text;
}

async function key(name: string, spec = "ec_paramgen_curve:P-256"): Promise<void> {
  const [alg, opt] = spec.startsWith("rsa")
    ? ["RSA", `rsa_keygen_bits:${spec.slice(4)}`]
    : ["EC", spec];
  await openssl("genpkey", "-algorithm", alg, "-pkeyopt", opt, "-out", `${name}.key`);
}

/** Issues `name` under `issuer` with the extensions in `ext` (openssl x509v3_config syntax). */
async function sign(
  name: string,
  subject: string,
  issuer: string,
  ext?: string,
  ...more: string[]
) {
  await openssl("req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`);
  const extArgs = ext === undefined ? [] : ["-extfile", `${name}.ext`];
  if (ext !== undefined) await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${issuer}.pem`,
    "-CAkey",
    `${issuer}.key`,
    "-set_serial",
    String(Math.floor(Math.random() * 1e9) + 1),
    "-days",
    "30",
    "-out",
    `${name}.pem`,
    ...extArgs,
    ...more,
  );
}

async function der(name: string): Promise<Uint8Array> {
  return decodePem(await Deno.readTextFile(`${dir}/${name}.pem`))[0].der;
}

const CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n" +
  "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
const LEAF_EXT = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n" +
  "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n" +
  "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

await key("root");
await openssl(
  "req",
  "-x509",
  "-new",
  "-key",
  "root.key",
  "-subj",
  "/CN=OpenSSL Root",
  "-days",
  "30",
  "-out",
  "root.pem",
);
await key("ica");
await sign(
  "ica",
  "/CN=OpenSSL Intermediate",
  "root",
  CA_EXT.replace("CA:TRUE", "CA:TRUE,pathlen:0"),
);
await key("leaf");
await sign("leaf", "/CN=localhost", "ica", LEAF_EXT);
const verifier = new PathVerifier([await der("root")]);

Deno.test("openssl: a root, intermediate and leaf made by hand, as openssl verify sees them", async () => {
  const verdict = await openssl(
    "verify",
    "-CAfile",
    "root.pem",
    "-untrusted",
    "ica.pem",
    "leaf.pem",
  );
  assert.match(verdict, /leaf.pem: OK/);
  const path = await verifier.verifyPath([await der("leaf"), await der("ica")], at("127.0.0.1"));
  assert.equal(path.length, 3);
});

Deno.test("openssl: x509 -req without -extfile makes a version 1 certificate, which is refused", async () => {
  await key("v1");
  await sign("v1", "/CN=localhost", "ica");
  await assertRefused(
    verifier,
    [await der("v1"), await der("ica")],
    at("localhost"),
    "cert_not_v3",
    "bad_certificate",
  );
});

Deno.test("openssl: expired at the validation time", async () => {
  const later = new Date(now.getTime() + 90 * 86400_000);
  await assertRefused(
    verifier,
    [await der("leaf"), await der("ica")],
    at("localhost", later),
    "cert_expired",
    "certificate_expired",
  );
});

Deno.test("openssl: pathlen:0 exceeded", async () => {
  await key("ica2");
  await sign("ica2", "/CN=Below", "ica", CA_EXT);
  await key("deep");
  await sign("deep", "/CN=localhost", "ica2", LEAF_EXT);
  await assertRefused(
    verifier,
    [await der("deep"), await der("ica2"), await der("ica")],
    at("localhost"),
    "cert_path_len_exceeded",
    "bad_certificate",
  );
});

Deno.test("openssl: weak keys and SHA-1 are refused", async () => {
  await key("p192", "ec_paramgen_curve:P-192");
  await sign("p192", "/CN=localhost", "ica", LEAF_EXT);
  await assertRefused(
    verifier,
    [await der("p192"), await der("ica")],
    at("localhost"),
    "cert_key_refused",
    "unsupported_certificate",
  );
  await key("rsa1024", "rsa:1024");
  await sign("rsa1024", "/CN=localhost", "ica", LEAF_EXT);
  await assertRefused(
    verifier,
    [await der("rsa1024"), await der("ica")],
    at("localhost"),
    "cert_key_refused",
    "unsupported_certificate",
  );
  await key("sha1");
  await sign("sha1", "/CN=localhost", "ica", LEAF_EXT, "-sha1");
  await assertRefused(
    verifier,
    [await der("sha1"), await der("ica")],
    at("localhost"),
    "cert_signature_algorithm_refused",
    "unsupported_certificate",
  );
  await key("rsaca", "rsa:2048");
  await sign("rsaca", "/CN=RSA Intermediate", "root", CA_EXT);
  await key("rsasha1");
  await sign("rsasha1", "/CN=localhost", "rsaca", LEAF_EXT, "-sha1");
  await assertRefused(
    verifier,
    [await der("rsasha1"), await der("rsaca")],
    at("localhost"),
    "cert_signature_algorithm_refused",
    "unsupported_certificate",
  );
  await key("rsaleaf");
  await sign("rsaleaf", "/CN=localhost", "rsaca", LEAF_EXT);
  await verifier.verify([await der("rsaleaf"), await der("rsaca")], at("localhost"));
});

Deno.test("openssl: an unknown critical extension", async () => {
  await key("crit");
  await sign("crit", "/CN=localhost", "ica", LEAF_EXT + "1.2.3.4=critical,ASN1:NULL\n");
  await assertRefused(
    verifier,
    [await der("crit"), await der("ica")],
    at("localhost"),
    "cert_unknown_critical_extension",
    "unsupported_certificate",
  );
});

Deno.test("openssl: a name constraint violation", async () => {
  await key("nc");
  await sign(
    "nc",
    "/CN=Constrained",
    "root",
    CA_EXT + "nameConstraints=critical,permitted;DNS:example.test\n",
  );
  await key("ncleaf");
  await sign("ncleaf", "/CN=localhost", "nc", LEAF_EXT);
  await assertRefused(
    verifier,
    [await der("ncleaf"), await der("nc")],
    at("localhost"),
    "cert_name_not_permitted",
    "bad_certificate",
  );
});

Deno.test("openssl: cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
