/**
 * `handshake ca` as a person runs it (a subprocess with the permissions of
 * `deno task certs`): what it writes and prints, what OpenSSL makes of the
 * result for every key type, CA reuse and replacement, and the one-line
 * messages for mistakes.
 */

import assert from "node:assert/strict";
import { KEY_TYPES } from "../lib/x509/webcrypto_issuing.ts";
import { decodePem } from "../lib/x509/pem.ts";
import { MAIN, need, type Output, run, runCa } from "./helpers/commands.ts";

const hasOpenssl = await need("the openssl checks of `handshake ca`", "openssl");
const DAY = 86_400_000;

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "handshake-ca-test-" });
}

function ok(out: Output): Output {
  assert.equal(out.code, 0, `exit ${out.code}: ${out.stderr}`);
  return out;
}

/** Runs openssl in `dir` and returns stdout; fails the test on a non-zero exit. */
async function openssl(dir: string, ...args: string[]): Promise<string> {
  const out = await run("openssl", args, { cwd: dir });
  assert.equal(out.code, 0, `openssl ${args.join(" ")}: ${out.stdout}${out.stderr}`);
  return out.stdout;
}

async function opensslFails(dir: string, ...args: string[]): Promise<string> {
  const out = await run("openssl", args, { cwd: dir });
  assert.notEqual(out.code, 0, `openssl ${args.join(" ")} should have failed`);
  return out.stdout + out.stderr;
}

const text = (dir: string, file: string) => openssl(dir, "x509", "-noout", "-text", "-in", file);

async function dates(dir: string, file: string): Promise<{ notBefore: Date; notAfter: Date }> {
  const out = await openssl(dir, "x509", "-noout", "-startdate", "-enddate", "-in", file);
  const get = (k: string) => new Date(out.match(new RegExp(`${k}=(.*)`))![1]);
  return { notBefore: get("notBefore"), notAfter: get("notAfter") };
}

const SIGNATURE = {
  "ecdsa-p256": "ecdsa-with-SHA256",
  "ecdsa-p384": "ecdsa-with-SHA384",
  "ed25519": "ED25519",
  "rsa-2048": "sha256WithRSAEncryption",
  "rsa-3072": "sha256WithRSAEncryption",
  "rsa-4096": "sha256WithRSAEncryption",
};

const PUBLIC_KEY = {
  "ecdsa-p256": /ASN1 OID: prime256v1/,
  "ecdsa-p384": /ASN1 OID: secp384r1/,
  "ed25519": /Public Key Algorithm: ED25519/,
  "rsa-2048": /Public-Key: \(2048 bit\)/,
  "rsa-3072": /Public-Key: \(3072 bit\)/,
  "rsa-4096": /Public-Key: \(4096 bit\)/,
};

for (const keyType of KEY_TYPES) {
  Deno.test({
    name: `ca: ${keyType}: openssl verifies server, client and intermediate chains; extensions`,
    ignore: !hasOpenssl,
    async fn() {
      const dir = await tempDir();
      try {
        ok(await runCa(dir, "--key-type", keyType, "--client", "alice"));
        const verify = (...args: string[]) =>
          openssl(dir, "verify", "-x509_strict", "-CAfile", "ca.pem", ...args);
        assert.match(await verify("-purpose", "sslserver", "server.pem"), /server.pem: OK/);
        assert.match(await verify("-purpose", "sslclient", "client.pem"), /client.pem: OK/);
        // Each leaf is good for its own purpose only.
        await opensslFails(
          dir,
          "verify",
          "-CAfile",
          "ca.pem",
          "-purpose",
          "sslclient",
          "server.pem",
        );
        await opensslFails(
          dir,
          "verify",
          "-CAfile",
          "ca.pem",
          "-purpose",
          "sslserver",
          "client.pem",
        );

        const sig = new RegExp(`Signature Algorithm: ${SIGNATURE[keyType]}`);
        const root = await text(dir, "ca.pem");
        assert.match(root, sig);
        assert.match(root, PUBLIC_KEY[keyType]);
        assert.match(root, /Basic Constraints: critical\s+CA:TRUE, pathlen:1\n/);
        assert.match(root, /Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
        assert.match(root, /Subject Key Identifier/);
        assert.match(root, /Authority Key Identifier/);
        assert.doesNotMatch(root, /Extended Key Usage/);

        const server = await text(dir, "server.pem");
        assert.match(server, sig);
        assert.match(server, PUBLIC_KEY[keyType]);
        assert.match(server, /Basic Constraints: critical\s+CA:FALSE\n/);
        assert.match(
          server,
          keyType.startsWith("rsa")
            ? /Key Usage: critical\s+Digital Signature, Key Encipherment\n/
            : /Key Usage: critical\s+Digital Signature\n/,
        );
        assert.match(server, /Extended Key Usage: \s+TLS Web Server Authentication\n/);
        assert.match(
          server,
          /Subject Alternative Name: \s+DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1\n/,
        );
        assert.match(server, /Subject: O = handshake development certificate, CN = localhost\n/);
        assert.match(server, /Subject Key Identifier/);
        assert.match(server, /Authority Key Identifier/);

        const client = await text(dir, "client.pem");
        assert.match(client, /Key Usage: critical\s+Digital Signature\n/);
        assert.match(client, /Extended Key Usage: \s+TLS Web Client Authentication\n/);
        assert.match(client, /Subject: O = handshake development certificate, CN = alice\n/);

        const subject = await openssl(dir, "x509", "-noout", "-subject", "-in", "ca.pem");
        const issuer = await openssl(dir, "x509", "-noout", "-issuer", "-in", "server.pem");
        assert.equal(issuer.replace("issuer=", ""), subject.replace("subject=", ""));

        // A second run reuses the CA and puts an intermediate between it and the leaves.
        const caBefore = await Deno.readFile(`${dir}/ca.pem`);
        ok(await runCa(dir, "--key-type", keyType, "--intermediate", "--force"));
        assert.deepEqual(await Deno.readFile(`${dir}/ca.pem`), caBefore);
        assert.match(
          await verify("-purpose", "sslserver", "-untrusted", "intermediate.pem", "server.pem"),
          /server.pem: OK/,
        );
        await opensslFails(dir, "verify", "-CAfile", "ca.pem", "server.pem");
        const mid = await text(dir, "intermediate.pem");
        assert.match(mid, /Basic Constraints: critical\s+CA:TRUE, pathlen:0\n/);
        assert.match(mid, /Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
        // server.pem is the chain a server sends: the leaf, then the intermediate.
        const chain = decodePem(await Deno.readTextFile(`${dir}/server.pem`));
        const [intermediate] = decodePem(await Deno.readTextFile(`${dir}/intermediate.pem`));
        assert.equal(chain.length, 2);
        assert.deepEqual(chain[1].der, intermediate.der);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "ca: default run writes four files, keys 0600, and prints what it made",
  ignore: !hasOpenssl,
  async fn() {
    const dir = await tempDir();
    try {
      const out = ok(await runCa(dir));
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(names, ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"]);
      for (const [file, mode] of [["ca-key.pem", 0o600], ["server-key.pem", 0o600]] as const) {
        assert.equal((await Deno.stat(`${dir}/${file}`)).mode! & 0o777, mode, file);
      }
      assert.equal((await Deno.stat(`${dir}/ca.pem`)).mode! & 0o777, 0o644 & ~umask());

      const s = out.stdout;
      for (const file of ["ca.pem", "ca-key.pem", "server.pem", "server-key.pem"]) {
        assert.ok(s.includes(`${dir}/${file}`), `summary names ${file}`);
      }
      assert.match(s, /Made a new root CA/);
      assert.match(s, /subject\s+O=handshake development CA, CN=handshake development CA \w{8}/);
      assert.match(s, /subject\s+O=handshake development certificate, CN=localhost/);
      assert.match(s, /names\s+DNS:localhost, IP:127\.0\.0\.1, IP:::1/);
      assert.match(s, /key type\s+ecdsa-p256/);
      for (const file of ["ca.pem", "server.pem"]) {
        const fp = await openssl(dir, "x509", "-noout", "-fingerprint", "-sha256", "-in", file);
        assert.ok(s.includes(`SHA-256      ${fp.split("=")[1].trim()}`), `fingerprint of ${file}`);
        const { notBefore, notAfter } = await dates(dir, file);
        assert.ok(
          s.includes(`expires      ${notAfter.toISOString().slice(0, 19).replace("T", " ")}`),
        );
        const days = file === "ca.pem" ? 3650 : 825;
        assert.equal(notAfter.getTime() - notBefore.getTime(), days * DAY, file);
      }
      // Keys are never printed.
      assert.doesNotMatch(s + out.stderr, /PRIVATE KEY/);
      for (const key of ["ca-key.pem", "server-key.pem"]) {
        const [block] = decodePem(await Deno.readTextFile(`${dir}/${key}`));
        assert.ok(!s.includes(block.der.toBase64().slice(0, 40)), key);
      }
      // A 128-bit positive serial.
      const serial = await openssl(dir, "x509", "-noout", "-serial", "-in", "server.pem");
      const n = BigInt(`0x${serial.split("=")[1].trim()}`);
      assert.ok(n > 0n && n < 1n << 128n);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The process umask, read the portable way (`umask` in a shell). */
function umask(): number {
  const out = new Deno.Command("sh", { args: ["-c", "umask"] }).outputSync();
  return parseInt(new TextDecoder().decode(out.stdout).trim(), 8);
}

Deno.test({
  name:
    "ca: a leaf that does not answer the request needs --force; the CA is reused, and its new leaves verify against it",
  ignore: !hasOpenssl,
  async fn() {
    const dir = await tempDir();
    try {
      ok(await runCa(dir, "--days", "30"));
      const before = {
        ca: await Deno.readFile(`${dir}/ca.pem`),
        caKey: await Deno.readFile(`${dir}/ca-key.pem`),
        server: await Deno.readFile(`${dir}/server.pem`),
      };
      await Deno.copyFile(`${dir}/ca.pem`, `${dir}/first-ca.pem`);

      const refused = await runCa(dir, "--name", "example.test");
      assert.equal(refused.code, 2);
      assert.equal(refused.stdout, "");
      assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
      assert.match(
        refused.stderr,
        /server\.pem: its names are localhost, 127\.0\.0\.1, ::1, not example\.test \(pass --force/,
      );
      assert.deepEqual(await Deno.readFile(`${dir}/server.pem`), before.server);

      // A key left world-readable by someone is replaced by one that is not.
      await Deno.chmod(`${dir}/server-key.pem`, 0o644);
      const again = ok(await runCa(dir, "--force", "--name", "example.test", "--days", "1"));
      assert.match(again.stdout, /Reused the root CA/);
      assert.match(again.stdout, /names\s+DNS:example\.test\n/);
      assert.equal((await Deno.stat(`${dir}/server-key.pem`)).mode! & 0o777, 0o600);
      assert.deepEqual(await Deno.readFile(`${dir}/ca.pem`), before.ca);
      assert.deepEqual(await Deno.readFile(`${dir}/ca-key.pem`), before.caKey);
      assert.notDeepEqual(await Deno.readFile(`${dir}/server.pem`), before.server);
      await openssl(dir, "verify", "-CAfile", "first-ca.pem", "server.pem");
      const { notBefore, notAfter } = await dates(dir, "server.pem");
      assert.equal(notAfter.getTime() - notBefore.getTime(), DAY);
      // No temporary files are left behind.
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(names, [
        "ca-key.pem",
        "ca.pem",
        "first-ca.pem",
        "server-key.pem",
        "server.pem",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "ca: --new-ca replaces the CA, and needs --force when leaves exist",
  ignore: !hasOpenssl,
  async fn() {
    const dir = await tempDir();
    try {
      ok(await runCa(dir));
      const oldCa = await Deno.readFile(`${dir}/ca.pem`);
      await Deno.copyFile(`${dir}/server.pem`, `${dir}/old-server.pem`);
      const refused = await runCa(dir, "--new-ca");
      assert.equal(refused.code, 2);
      assert.match(
        refused.stderr,
        /already exist and --new-ca would not have signed them \(pass --force/,
      );
      assert.deepEqual(await Deno.readFile(`${dir}/ca.pem`), oldCa);

      const out = ok(await runCa(dir, "--new-ca", "--force"));
      assert.match(out.stdout, /Replaced the root CA/);
      assert.notDeepEqual(await Deno.readFile(`${dir}/ca.pem`), oldCa);
      await openssl(dir, "verify", "-CAfile", "ca.pem", "server.pem");
      await opensslFails(dir, "verify", "-CAfile", "ca.pem", "old-server.pem");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("ca: mistakes get one line that says what to do, exit status 2, and no files", async () => {
  const base = await tempDir();
  try {
    const cases: { args: string[]; setup?: (dir: string) => Promise<void>; message: RegExp }[] = [
      {
        args: ["--key-type", "dsa"],
        message:
          /unknown key type "dsa" \(use --key-type with one of: ecdsa-p256, ecdsa-p384, ed25519, rsa-2048, rsa-3072, rsa-4096\)/,
      },
      { args: ["--days", "0"], message: /--days must be a whole number of days from 1 to 3650/ },
      { args: ["--days", "1.5"], message: /--days must be a whole number/ },
      { args: ["--days", "soon"], message: /--days must be a whole number/ },
      {
        args: ["--name", "my host"],
        message: /"my host" is neither a DNS name nor an IP address.*\(use --name with/,
      },
      { args: ["--name", "300.1.1.1"], message: /looks like an IPv4 address but is not one/ },
      { args: ["--name", "*.test"], message: /wildcard needs at least two labels/ },
      { args: ["--client", ""], message: /--client needs a name/ },
      { args: ["--bogus"], message: /unknown flag --bogus \(see `handshake ca --help`\)/ },
      {
        args: ["localhost"],
        message: /unexpected argument "localhost" \(give certificate names with --name/,
      },
      {
        args: [],
        setup: async (dir) => {
          ok(await runCa(dir));
          await Deno.remove(`${dir}/ca-key.pem`);
          await Deno.remove(`${dir}/server.pem`);
        },
        message:
          /ca\.pem exists but .*ca-key\.pem does not \(restore the missing file, or pass --new-ca/,
      },
      {
        args: [],
        setup: async (dir) => {
          ok(await runCa(dir));
          await Deno.remove(`${dir}/ca.pem`);
          await Deno.remove(`${dir}/server.pem`);
        },
        message: /ca-key\.pem exists but .*ca\.pem does not/,
      },
      {
        args: ["--force"],
        setup: async (dir) => {
          ok(await runCa(dir));
          await Deno.mkdir(`${dir}/other`);
          ok(await runCa(`${dir}/other`));
          await Deno.copyFile(`${dir}/other/ca-key.pem`, `${dir}/ca-key.pem`);
          await Deno.remove(`${dir}/other`, { recursive: true });
        },
        message:
          /ca-key\.pem: it is not the private key of O=handshake development CA, CN=.* \(restore the key that belongs to .*ca\.pem, or pass --new-ca/,
      },
      {
        args: ["--force"],
        setup: async (dir) => {
          ok(await runCa(dir));
          await Deno.copyFile(`${dir}/server.pem`, `${dir}/ca.pem`);
        },
        message:
          /ca\.pem: O=handshake development certificate, CN=localhost is not a CA certificate/,
      },
      {
        args: ["--intermediate", "--force"],
        setup: async (dir) => {
          ok(await runCa(dir));
          await Deno.writeTextFile(
            `${dir}/ca-key.pem`,
            "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n",
          );
        },
        message: /ca-key\.pem: it is a SEC 1 key; convert it to PKCS#8/,
      },
    ];
    for (const [i, c] of cases.entries()) {
      const dir = `${base}/${i}`;
      await Deno.mkdir(dir);
      await c.setup?.(dir);
      const before = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      const out = await runCa(dir, ...c.args);
      const what = `handshake ca ${c.args.join(" ")}`;
      assert.equal(out.code, 2, `${what}: ${out.stderr}`);
      assert.equal(out.stdout, "", what);
      assert.equal(out.stderr.trimEnd().split("\n").length, 1, `${what}: ${out.stderr}`);
      assert.match(out.stderr, /^handshake ca: /, what);
      assert.match(out.stderr, c.message, what);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), before, what);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("ca: an --out that cannot be written is refused before any key is made", async () => {
  const base = await tempDir();
  try {
    await Deno.writeTextFile(`${base}/file`, "");
    const under = await runCa(`${base}/file/certs`);
    assert.equal(under.code, 2);
    assert.match(
      under.stderr,
      /cannot use .*file\/certs: not a directory \(choose another --out\)/,
    );
    const file = await runCa(`${base}/file`);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /--out .*file is a file, not a directory \(choose another --out\)/);
    // Deno's own permissions, when main.ts is run by hand with narrower ones than the task's.
    const denied = await run(Deno.execPath(), [
      "run",
      `--allow-read=${base}`,
      `--allow-write=${base}/certs`,
      MAIN,
      "ca",
      "--out",
      `${base}/elsewhere`,
    ]);
    assert.equal(denied.code, 2);
    assert.match(
      denied.stderr,
      /Deno is not allowed to write to .*elsewhere \(run `deno run --allow-read=\S*elsewhere --allow-write=\S*elsewhere main\.ts ca --out \S*elsewhere`\)/,
    );
    assert.equal(denied.stderr.trimEnd().split("\n").length, 1);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("ca: --help", async () => {
  const out = await run(Deno.execPath(), ["run", MAIN, "ca", "--help"]);
  assert.equal(out.code, 0);
  for (
    const flag of [
      "--out",
      "--name",
      "--key-type",
      "--days",
      "--client",
      "--intermediate",
      "--force",
      "--new-ca",
    ]
  ) {
    assert.ok(out.stdout.includes(flag), flag);
  }
});
