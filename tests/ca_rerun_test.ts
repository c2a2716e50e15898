/**
 * `handshake ca` run again, as people do (after `demo`, after a change of
 * mind): the same request is a success that changes nothing, as with mkcert;
 * `--force` reissues and keeps names that are not given again; no file is
 * left that signs nothing; the task takes any --out; the printed SPKI pins
 * are the keys' (as OpenSSL computes them).
 */

import assert from "node:assert/strict";
import { need, type Output, run, runCa } from "./helpers/commands.ts";

const hasOpenssl = await need("the openssl checks of `handshake ca` re-runs", "openssl");
const ROOT = new URL("..", import.meta.url).pathname;

function ok(out: Output): Output {
  assert.equal(out.code, 0, `exit ${out.code}: ${out.stderr}`);
  return out;
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) {
    files[e.name] = await Deno.readTextFile(`${dir}/${e.name}`);
  }
  return files;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "handshake-ca-rerun-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ca rerun: the same request again changes nothing and succeeds; a missing client is added", async () => {
  await withDir(async (dir) => {
    ok(await runCa(dir));
    const before = await snapshot(dir);
    const again = ok(await runCa(dir));
    assert.match(again.stdout, /^Nothing to do: .* already holds valid certificates/);
    assert.match(again.stdout, /server\.pem\s+server certificate \(existing, not rewritten\)/);
    assert.deepEqual(await snapshot(dir), before);

    // A client certificate is added beside the server's, which stays as it was.
    const added = ok(await runCa(dir, "--client", "alice"));
    assert.match(added.stdout, /client\.pem\s+client certificate\n\s+subject\s+.*CN=alice/);
    const after = await snapshot(dir);
    assert.equal(after["server.pem"], before["server.pem"]);
    assert.equal(after["ca.pem"], before["ca.pem"]);
    assert.match(ok(await runCa(dir, "--client", "alice")).stdout, /^Nothing to do/);

    // A request the files do not answer says what differs, and writes nothing.
    const cases: [string[], RegExp][] = [
      [
        ["--name", "other.test"],
        /server\.pem: its names are localhost, 127\.0\.0\.1, ::1, not other\.test/,
      ],
      [["--key-type", "ed25519"], /server\.pem: its key type is ecdsa-p256, not ed25519/],
      [["--client", "bob"], /client\.pem: its name is "alice", not "bob"/],
      [["--intermediate"], /server\.pem: there is no intermediate CA to go with it/],
    ];
    for (const [args, message] of cases) {
      const refused = await runCa(dir, ...args);
      assert.equal(refused.code, 2, args.join(" "));
      assert.match(refused.stderr, message);
      assert.match(refused.stderr, /\(pass --force to issue new ones; the CA is kept\)\n$/);
      assert.equal(refused.stderr.trimEnd().split("\n").length, 1, refused.stderr);
      assert.deepEqual(await snapshot(dir), after);
    }
  });
});

Deno.test({
  name:
    "ca rerun: --force keeps the names not given again, and drops an intermediate that signs nothing",
  ignore: !hasOpenssl,
  async fn() {
    await withDir(async (dir) => {
      ok(
        await runCa(
          dir,
          "--name",
          "a.test",
          "--name",
          "10.0.0.5",
          "--client",
          "bob",
          "--intermediate",
        ),
      );
      assert.ok((await snapshot(dir))["intermediate.pem"]);
      const forced = ok(await runCa(dir, "--force"));
      assert.match(
        forced.stdout,
        /names\s+DNS:a\.test, IP:10\.0\.0\.5 {2}\(those of the certificate it replaces; --name to change them\)/,
      );
      assert.match(forced.stdout, /client\.pem\s+client certificate\n\s+subject\s+.*CN=bob/);
      assert.match(
        forced.stdout,
        /removed .*intermediate\.pem: no certificate is issued by it any more/,
      );
      const names = Object.keys(await snapshot(dir)).sort();
      assert.deepEqual(names, [
        "ca-key.pem",
        "ca.pem",
        "client-key.pem",
        "client.pem",
        "server-key.pem",
        "server.pem",
      ]);
      for (const leaf of ["server.pem", "client.pem"]) {
        const text = await Deno.readTextFile(`${dir}/${leaf}`);
        assert.equal(text.match(/BEGIN CERTIFICATE/g)!.length, 1, `${leaf}: the leaf alone`);
        const v = await run("openssl", ["verify", "-CAfile", "ca.pem", leaf], { cwd: dir });
        assert.equal(v.code, 0, v.stdout + v.stderr);
      }
      // And the result is up to date for the same request.
      assert.match(ok(await runCa(dir)).stdout, /^Nothing to do/);
    });
  },
});

Deno.test({
  name: "ca rerun: the SPKI pin printed for each certificate is OpenSSL's sha256 of its public key",
  ignore: !hasOpenssl,
  async fn() {
    await withDir(async (dir) => {
      const out = ok(await runCa(dir, "--client", "carol"));
      const pins = [...out.stdout.matchAll(/SPKI pin\s+sha256\/\/(\S+)/g)].map((m) => m[1]);
      assert.equal(pins.length, 3, out.stdout);
      for (const [i, file] of ["ca.pem", "server.pem", "client.pem"].entries()) {
        const sh = `openssl x509 -in ${file} -pubkey -noout | openssl pkey -pubin -outform der | ` +
          "openssl dgst -sha256 -binary | base64";
        const expected = await run("sh", ["-c", sh], { cwd: dir });
        assert.equal(pins[i], expected.stdout.trim(), file);
      }
    });
  },
});

Deno.test("ca rerun: `deno task certs --out DIR` writes anywhere the user can, through the task", async () => {
  await withDir(async (dir) => {
    const out = ok(
      await run(Deno.execPath(), ["task", "certs", "--out", `${dir}/mine`], { cwd: ROOT }),
    );
    assert.match(out.stdout, /Made a new root CA in .*mine/);
    assert.ok((await snapshot(`${dir}/mine`))["server.pem"]);
    // The hint at the end points at a server that answers curl.
    assert.match(
      out.stdout,
      /with `deno task serve --mode http --cert \S*mine\/server\.pem --key \S*mine\/server-key\.pem` running:\n\s+curl --cacert .*mine\/ca\.pem https:\/\/localhost:8443\//,
    );
  });
});

Deno.test({
  name:
    "ca rerun: a missing leaf is added through the intermediate there, which is kept while a leaf uses it",
  ignore: !hasOpenssl,
  async fn() {
    await withDir(async (dir) => {
      ok(await runCa(dir, "--client", "dan", "--intermediate"));
      const before = await snapshot(dir);
      const verify = async (leaf: string) => {
        const v = await run("openssl", [
          ...["verify", "-CAfile", "ca.pem", "-untrusted", "intermediate.pem", leaf],
        ], { cwd: dir });
        assert.equal(v.code, 0, v.stdout + v.stderr);
      };
      // With --intermediate, the new server certificate comes from the intermediate already there.
      await Deno.remove(`${dir}/server.pem`);
      await Deno.remove(`${dir}/server-key.pem`);
      const through = ok(await runCa(dir, "--intermediate"));
      assert.match(
        through.stdout,
        /intermediate\.pem\s+intermediate CA \(existing, not rewritten\)/,
      );
      assert.equal((await snapshot(dir))["intermediate.pem"], before["intermediate.pem"]);
      await verify("server.pem");
      // Without it, the new one comes from the root, and the intermediate stays: client.pem uses it.
      await Deno.remove(`${dir}/server.pem`);
      await Deno.remove(`${dir}/server-key.pem`);
      const direct = ok(await runCa(dir));
      assert.doesNotMatch(direct.stdout, /removed/);
      const after = await snapshot(dir);
      assert.equal(after["intermediate.pem"], before["intermediate.pem"]);
      assert.equal(after["client.pem"], before["client.pem"]);
      assert.equal(after["server.pem"].match(/BEGIN CERTIFICATE/g)!.length, 1);
      await verify("client.pem");
      await verify("server.pem");
    });
  },
});
