/**
 * The flags people reach for, run as people run them: `--version`, SPKI
 * pins (printed by `ca` and `connect --json`, accepted by `--pin` and by
 * curl's `--pinnedpubkey`), `--show-certs`, `-k`, timestamps on the
 * server's lines and `--log-format json`, and the `ca` hint that points curl
 * at `serve --mode http`.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { runConnect, runHandshake, startServe } from "./helpers/cli.ts";
import { need, run, runCa } from "./helpers/commands.ts";
import { decodePem } from "../lib/x509/pem.ts";
import { parseCertificate } from "../lib/x509/certificate.ts";
import { VERSION } from "../cli/version.ts";

const hasCurl = await need("curl against `serve --mode http` with the pins `ca` prints", "curl");
const set = await makeCertSet({ dir: true });
const p = set.paths!;
globalThis.addEventListener("unload", () => Deno.removeSync(p.dir, { recursive: true }));
const withCert = ["--cert", p.server, "--key", p.serverKey];

/** The leaf's SPKI pin in curl's form, computed here from the DER. */
async function pinOf(der: Uint8Array): Promise<string> {
  const spki = parseCertificate(der).spki;
  return `sha256//${
    new Uint8Array(await crypto.subtle.digest("SHA-256", spki as BufferSource)).toBase64()
  }`;
}

Deno.test("flags: handshake --version", async () => {
  const r = await runHandshake(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(
    r.stdout,
    `handshake ${VERSION} (Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})\n`,
  );
  assert.match(VERSION, /^\d+\.\d+\.\d+$/);
  assert.match((await runHandshake(["--help"])).stdout, /handshake --version/);
});

Deno.test("flags: connect --json has the version and the SPKI pin; --pin takes it in both forms", async () => {
  const { peer, port } = await startServe(withCert);
  try {
    const json = await runConnect([`localhost:${port}`, "--ca", p.ca, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const summary = JSON.parse(json.stdout);
    const pin = await pinOf(set.server.certificate);
    assert.equal(summary.handshakeVersion, VERSION);
    assert.equal(summary.spkiPin, pin);
    assert.equal(summary.peerCertificates[0].spkiPin, pin);

    for (const form of [pin, pin.replace("sha256//", "sha256/")]) {
      const r = await runConnect([`localhost:${port}`, "--pin", form, "-q"], "pinned\n");
      assert.equal(r.code, 0, `${form}: ${r.stderr}`);
      assert.equal(r.stdout, "pinned\n");
    }
    const wrong = await runConnect([`localhost:${port}`, "--pin", await pinOf(set.ca.certificate)]);
    assert.equal(wrong.code, 1);
    assert.match(
      wrong.stderr,
      /public key is sha256\/\/\S+, which does not match the pinned sha256\/\//,
    );
  } finally {
    await peer.kill();
  }
});

Deno.test("flags: connect --show-certs prints the chain as PEM like s_client -showcerts, then the data", async () => {
  const chained = await makeCertSet({ dir: true, intermediate: true });
  const cp = chained.paths!;
  const { peer, port } = await startServe(["--cert", cp.server, "--key", cp.serverKey]);
  try {
    const r = await runConnect([`localhost:${port}`, "--ca", cp.ca, "--show-certs"], "after\n");
    assert.equal(r.code, 0, r.stderr);
    const blocks = decodePem(r.stdout).filter((b) => b.label === "CERTIFICATE");
    assert.deepEqual(blocks.map((b) => b.der), chained.serverChain);
    const leaf = parseCertificate(chained.serverChain[0]);
    assert.ok(
      r.stdout.startsWith(
        ` 0 s:${leaf.subject.text}\n   i:${leaf.issuer.text}\n-----BEGIN CERTIFICATE-----\n`,
      ),
      r.stdout,
    );
    assert.match(r.stdout, /\n 1 s:.*\n {3}i:.*\n-----BEGIN CERTIFICATE-----\n/);
    assert.ok(
      r.stdout.endsWith("-----END CERTIFICATE-----\nafter\n"),
      "the data follows the chain",
    );
  } finally {
    await peer.kill();
    await Deno.remove(cp.dir, { recursive: true });
  }
});

Deno.test("flags: -k is --insecure, with its warning", async () => {
  const { peer, port } = await startServe(withCert);
  try {
    const r = await runConnect([`localhost:${port}`, "-k", "--ca", p.ca], "k\n");
    assert.equal(r.code, 2, "-k with --ca is refused like --insecure with --ca");
    const ok = await runConnect([`localhost:${port}`, "-k", "-q"], "k\n");
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "k\n");
    assert.match(ok.stderr, /WARNING: --insecure: the server's certificate is not verified/);
  } finally {
    await peer.kill();
  }
});

Deno.test("flags: serve's connection lines carry a UTC timestamp; --log-format json is one object per line", async () => {
  const text = await startServe(withCert);
  const json = await startServe([...withCert, "--log-format", "json"]);
  try {
    const before = Date.now();
    assert.equal((await runConnect([`localhost:${text.port}`, "--ca", p.ca], "abc\n")).code, 0);
    const m = await text.peer.waitFor(
      /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) {2}127\.0\.0\.1:\d+ {2}\S+ TLS_AES_128_GCM_SHA256 {2}ok, echoed 4 bytes {2}\d+ ms {2}crypto=webcrypto$/m,
    );
    const at = Date.parse(m[1]);
    assert.ok(at >= before - 1000 && at <= Date.now() + 1000, `${m[1]} is now`);

    assert.equal((await runConnect([`localhost:${json.port}`, "--ca", p.ca], "abc\n")).code, 0);
    const line = (await json.peer.waitFor(/^\{.*\}$/m))[0];
    const record = JSON.parse(line);
    assert.deepEqual(Object.keys(record), [
      "time",
      "peer",
      "ok",
      "outcome",
      "code",
      "group",
      "cipherSuite",
      "alpn",
      "helloRetryRequest",
      "resumed",
      "pskMode",
      "earlyData",
      "client",
      "crypto",
      "ms",
    ]);
    assert.equal(record.ok, true);
    assert.equal(record.outcome, "echoed 4 bytes");
    assert.equal(record.code, null);
    assert.equal(record.group, "X25519MLKEM768", "the default first group");
    assert.equal(record.cipherSuite, "TLS_AES_128_GCM_SHA256");
    assert.equal(record.crypto, "webcrypto");
    assert.match(record.peer, /^127\.0\.0\.1:\d+$/);
    assert.ok(Math.abs(Date.parse(record.time) - Date.now()) < 10_000);
  } finally {
    await text.peer.kill();
    await json.peer.kill();
  }
});

Deno.test("flags: serve --log-format json gives the code of a refusal (a client certificate from another CA)", async () => {
  const other = await makeCertSet({ dir: true, client: "mallory" });
  const json = await startServe([
    ...withCert,
    ...["--client-ca", p.ca, "--require-client-cert", "--log-format", "json"],
  ]);
  try {
    const r = await runConnect([
      `localhost:${json.port}`,
      ...["--ca", p.ca, "--cert", other.paths!.client!, "--key", other.paths!.clientKey!],
    ]);
    assert.notEqual(r.code, 0);
    const record = JSON.parse((await json.peer.waitFor(/^\{.*\}$/m))[0]);
    assert.equal(record.ok, false);
    assert.match(record.outcome, /\(sent alert unknown_ca\)$/);
    assert.equal(record.code, "cert_unknown_issuer", record.outcome);
  } finally {
    await json.peer.kill();
  }
});

Deno.test({
  name:
    "flags: curl as `ca` says (--cacert against serve --mode http), and curl --pinnedpubkey with its pin",
  ignore: !hasCurl,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "handshake-curl-hint-" });
    try {
      const made = await runCa(`${dir}/certs`);
      assert.equal(made.code, 0, made.stderr);
      const hint = made.stdout.match(
        /with `deno task serve --mode http[^`]*` running:\n\s+(curl .*)\n/,
      );
      assert.ok(hint, made.stdout);
      const pin =
        made.stdout.match(/server\.pem\s+server certificate\n(?:.*\n)*?\s+SPKI pin\s+(\S+)/)![1];
      const { peer, port } = await startServe([
        ...["--mode", "http"],
        ...["--cert", `${dir}/certs/server.pem`, "--key", `${dir}/certs/server-key.pem`],
      ]);
      try {
        const args = hint[1].replace(":8443/", `:${port}/`).split(" ").slice(1);
        const page = await run("curl", ["-sS", "--fail", ...args]);
        assert.equal(page.code, 0, page.stderr);
        assert.match(page.stdout, /<html|<!doctype/i);
        const pinned = await run("curl", [
          ...["-sS", "--fail", "--cacert", `${dir}/certs/ca.pem`, "--pinnedpubkey", pin],
          `https://localhost:${port}/json`,
        ]);
        assert.equal(pinned.code, 0, pinned.stderr);
        const wrongPin = await run("curl", [
          ...[
            "-sS",
            "--cacert",
            `${dir}/certs/ca.pem`,
            "--pinnedpubkey",
            await pinOf(set.server.certificate),
          ],
          `https://localhost:${port}/json`,
        ]);
        assert.notEqual(wrongPin.code, 0, "curl checks the pin");
      } finally {
        await peer.kill();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
