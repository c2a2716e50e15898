/**
 * Messages that say what to do: mistakes in flags (one line, exit 2, no
 * stack trace) and refusals by a real server over loopback (what this
 * client offered, what usually causes it, which CA the chain needs).
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { runConnect, runHandshake, startServe } from "./helpers/cli.ts";
import { parseCertificate } from "../lib/x509/certificate.ts";

const set = await makeCertSet({ dir: true });
const other = await makeCertSet({ dir: true });
const p = set.paths!;
globalThis.addEventListener("unload", () => {
  Deno.removeSync(p.dir, { recursive: true });
  Deno.removeSync(other.paths!.dir, { recursive: true });
});
const withCert = ["--cert", p.server, "--key", p.serverKey];

function serve(...args: string[]) {
  return startServe([...withCert, ...args]);
}

Deno.test("messages: flag mistakes get one line that names the cause and the next step", async () => {
  const cases: [string[], RegExp, RegExp?][] = [
    [
      ["serve", ...withCert, "--client-ca", `${p.dir}/nope.pem`],
      /--client-ca: the CA file .*nope\.pem does not exist \(give the PEM file of the CA that issues client certificates, e\.g\. certs\/ca\.pem/,
      /--ca system|--ca /,
    ],
    [
      ["serve", ...withCert, "--client-ca", p.dir],
      /--client-ca .* is a directory \(give the PEM file of the CA/,
    ],
    [["serve", "--port", "-1"], /"-1" is not a TCP port \(use a number from 0 to 65535\)/],
    [
      ["serve", ...withCert, "--host", "nosuch.invalid"],
      /cannot listen on nosuch\.invalid: no such host \(use a local address such as 127\.0\.0\.1/,
    ],
    [
      ["connect", "--ca", p.dir],
      /--ca .* is a directory \(give the CA's PEM file, e\.g\. .*\/ca\.pem, or --ca system\)/,
    ],
    [["serve", "--cert", p.dir, "--key", p.serverKey], /certificate file .* is a directory/],
    [["connect", "--insecure", "--ca", p.ca], /--insecure and --ca contradict each other/],
    [["connect", "-k", "--ca", p.ca], /--insecure and --ca contradict each other/],
    [["connect", "--pin", "sha256//x", "--ca", p.ca], /--pin and --ca contradict each other/],
    [["connect", "--json", "--quiet"], /--quiet and --json ask for opposite things/],
    [["connect", "--json", "--show-certs"], /--json and --show-certs both print on stdout/],
    [
      ["connect", "--tarce"],
      /unknown flag --tarce \(did you mean --trace\? see `handshake connect --help`\)/,
    ],
    [["serve", "--alpm", "h2"], /unknown flag --alpm \(did you mean --alpn\?/],
    [["ca", "--froce"], /unknown flag --froce \(did you mean --force\?/],
    [
      ["conect"],
      /unknown mode "conect" \(did you mean connect\? use ca, serve, connect, demo or inspect/,
    ],
    [["--verison"], /unknown mode "--verison" \(did you mean --version\?/],
    [
      ["serve", ...withCert, "--mode", "http", "--alpn", "h2,http/1.1"],
      /--mode http speaks HTTP\/1\.1 only, not h2 \(drop --alpn: the default is http\/1\.1\)/,
    ],
    [["serve", "--log-format", "xml"], /unknown --log-format "xml" \(use text or json\)/],
    [
      ["connect", "http://localhost:8443/"],
      /connect speaks TLS, not http:\/\/ \(give HOST:PORT or an https:\/\/ URL\)/,
    ],
    [["connect", "--pin", "sha256/short"], /"sha256\/short" is not a pin: expected sha256\/\//],
  ];
  for (const [args, expected, absent] of cases) {
    const { code, stderr } = await runHandshake(args);
    const what = `${args.join(" ")}: ${stderr}`;
    assert.equal(code, 2, what);
    assert.match(stderr, expected, what);
    if (absent) assert.doesNotMatch(stderr, absent, what);
    assert.equal(stderr.trim().split("\n").length, 1, what);
    assert.doesNotMatch(stderr, /^\s+at |Uncaught/m, what);
  }
});

Deno.test("messages: connect takes a URL: https://host:port/ is host and port, https://host/ is port 443", async () => {
  const { peer, port } = await serve();
  try {
    const r = await runConnect([`https://localhost:${port}/`, "--ca", p.ca], "url\n");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "url\n");
    assert.match(r.stderr, new RegExp(`connected to localhost:${port}`));
    const v6 = await runConnect([`https://[::1]:${port}/path?q`, "--ca", p.ca], "");
    assert.match(v6.stderr, new RegExp(`connection to \\[::1\\]:${port} refused`));
    const dflt = await runConnect(["https://127.0.0.1/", "--ca", p.ca], "");
    assert.equal(dflt.code, 1);
    assert.match(dflt.stderr, /connection to 127\.0\.0\.1:443 refused/);
  } finally {
    await peer.kill();
  }
});

Deno.test("messages: handshake_failure says what this client offered; the server log names suites", async () => {
  const { peer, port } = await serve("--groups", "P-384", "--suites", "TLS_AES_256_GCM_SHA384");
  try {
    const groups = await runConnect([
      ...[`localhost:${port}`, "--ca", p.ca],
      ...["--groups", "x25519", "--suites", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384"],
    ]);
    assert.equal(groups.code, 1);
    assert.equal(
      groups.stderr,
      "handshake connect: the server sent alert handshake_failure (this client offered groups " +
        "x25519 and suites TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384; usually the server " +
        "has no group or cipher suite in common with these: see --groups and --suites)\n",
    );
    await peer.waitFor(/failed: no group in common \(the client offers x25519\)/);
    const suites = await runConnect([
      ...[`localhost:${port}`, "--ca", p.ca],
      ...["--groups", "x25519,P-384", "--suites", "TLS_AES_128_GCM_SHA256"],
    ]);
    assert.match(
      suites.stderr,
      /offered groups x25519, secp384r1 and suites TLS_AES_128_GCM_SHA256;/,
    );
    await peer.waitFor(/no cipher suite in common \(the client offers TLS_AES_128_GCM_SHA256\)/);
    assert.doesNotMatch(peer.output, /0x1301/);
  } finally {
    await peer.kill();
  }
});

Deno.test("messages: bad_certificate for a client certificate without clientAuth says so", async () => {
  const { peer, port } = await serve("--client-ca", p.ca, "--require-client-cert");
  try {
    // The server's own certificate is for serverAuth only.
    const r = await runConnect([`localhost:${port}`, "--ca", p.ca, ...withCert], "x\n");
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /the server sent alert bad_certificate \(the server refused this client's certificate; usually it lacks extendedKeyUsage clientAuth, which `deno task certs --client NAME` sets/,
    );
    await peer.waitFor(
      /its extendedKeyUsage allows only serverAuth \(sent alert bad_certificate\)/,
    );
  } finally {
    await peer.kill();
  }
});

Deno.test("messages: a wrong --ca names the file, the CA it holds and the issuer the chain needs, by key id", async () => {
  const keyId = (pem: Uint8Array) => {
    const ext = parseCertificate(pem).extensions;
    assert.ok(!("malformed" in ext));
    return ext.subjectKeyIdentifier!.value.toHex().toUpperCase();
  };
  const needed = keyId(set.ca.certificate), held = keyId(other.ca.certificate);
  assert.notEqual(needed, held);
  const { peer, port } = await serve();
  try {
    const r = await runConnect([`localhost:${port}`, "--ca", other.paths!.ca], "");
    assert.equal(r.code, 1);
    const subject = (der: Uint8Array) => parseCertificate(der).subject.text;
    const expected =
      `${other.paths!.ca} holds "${subject(other.ca.certificate)}" (key id ${held}); ` +
      `the server's chain needs issuer "${subject(set.ca.certificate)}" (key id ${needed}); ` +
      "pass --ca with the CA that issued the server's certificate)\n";
    assert.ok(r.stderr.endsWith(expected), r.stderr);
    assert.match(
      r.stderr,
      /^handshake connect: server certificate refused: .*\(sent alert unknown_ca\)/,
    );
    assert.equal(r.stderr.trim().split("\n").length, 1);
  } finally {
    await peer.kill();
  }
});
