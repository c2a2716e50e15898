/**
 * `serve` and `connect` as processes: `--trace` on stderr with stdout left
 * to the data, several clients told apart, `--keylog` (mode 0600,
 * appended) and SSLKEYLOGFILE, `--quiet` still printing only data,
 * `connect --json`, colors only on a TTY and never with NO_COLOR, and
 * `serve --mode chat` with two clients.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { handshakeProcess, runConnect, startServe } from "./helpers/cli.ts";
import { MAIN, need, run } from "./helpers/commands.ts";
import { PERMISSIONS } from "./helpers/cli.ts";

const set = await makeCertSet({ dir: true });
const paths = set.paths!;
const serveArgs = ["--cert", paths.server, "--key", paths.serverKey];
const ca = ["--ca", paths.ca];
const ESC = new RegExp(String.fromCharCode(27) + "\\[");
const hasScript = await need("the TTY color tests", "script");

Deno.test("cli: --trace on both sides goes to stderr, in protocol order; stdout is the data", async () => {
  const server = await startServe([...serveArgs, "--trace"]);
  try {
    const a = await runConnect([`localhost:${server.port}`, ...ca, "--trace"], "first\n");
    const b = await runConnect([`localhost:${server.port}`, ...ca, "--trace"], "second\n");
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, "first\n");
    assert.equal(b.stdout, "second\n");
    const order = [
      /crypto provider webcrypto/,
      /client → server {2}ClientHello · plaintext/,
      /SNI localhost/,
      /server → client {2}ServerHello · plaintext/,
      /transcript SHA-256 after ClientHello: [0-9a-f]{64}/,
      /transcript SHA-256 after ServerHello: [0-9a-f]{64}/,
      /shared secret computed: X25519MLKEM768 hybrid, 64 bytes = ML-KEM-768 shared secret \(32\) ‖ X25519 shared secret \(32\)/,
      /key schedule \(RFC 8446 §7\.1\): early_secret → handshake_secret/,
      /server → client {2}EncryptedExtensions · handshake keys/,
      /server → client {2}Certificate · handshake keys/,
      /\[0\] CN=localhost/,
      /SAN DNS:localhost, IP:127\.0\.0\.1, IP:::1 · serial [0-9a-f]+ · \S+ → \S+ · ECDSA P-256/,
      /✓ CN=localhost.*signed by trust anchor/,
      /the server's chain is trusted/,
      /server → client {2}CertificateVerify · handshake keys/,
      /ecdsa_secp256r1_sha256 signature over transcript hash [0-9a-f]{64} with the server's ECDSA P-256 key: verified/,
      /server → client {2}Finished · handshake keys/,
      /application keys now protect server → client/,
      /client → server {2}Finished · handshake keys/,
      /application keys now protect client → server/,
      /client → server {2}application data, 6 bytes · application keys/,
      /alert warning close_notify/,
    ];
    let at = 0;
    for (const re of order) {
      const m = a.stderr.slice(at).match(re);
      assert.ok(m, `${re} missing after position ${at} in:\n${a.stderr}`);
      at += m.index! + m[0].length;
    }
    assert.doesNotMatch(a.stderr, / = [0-9a-f]{32}/, "no secret values at the default level");
    assert.doesNotMatch(a.stderr, ESC, "no colors when stderr is not a TTY");
    await server.peer.waitFor(/echoed 7 bytes/);
    const out = server.peer.output;
    assert.match(out, /^#1 connection from 127\.0\.0\.1:\d+, crypto provider webcrypto$/m);
    assert.match(out, /^#2 connection from 127\.0\.0\.1:\d+, crypto provider webcrypto$/m);
    assert.match(out, /^#1 client → server {2}ClientHello/m);
    assert.match(out, /^#2 server → client {2}Finished/m);
  } finally {
    await server.peer.kill();
  }
});

Deno.test("cli: --trace=secrets shows secret values; --trace=bytes dissects records", async () => {
  const server = await startServe(serveArgs);
  try {
    const s = await runConnect([`localhost:${server.port}`, ...ca, "--trace=secrets"], "x");
    assert.equal(s.code, 0, s.stderr);
    assert.match(
      s.stderr,
      /shared secret computed: X25519MLKEM768 hybrid, 64 bytes.*\n {4}ML-KEM-768 shared secret = [0-9a-f]{64}\n {4}X25519 shared secret = [0-9a-f]{64}\n/,
    );
    assert.match(s.stderr, /client_handshake_traffic_secret = [0-9a-f]{64}/);
    assert.match(s.stderr, /handshake keys now protect server → client: key [0-9a-f]{32}, iv/);
    const b = await runConnect([`localhost:${server.port}`, ...ca, "--trace=bytes"], "x");
    assert.equal(b.code, 0, b.stderr);
    // The default ClientHello, with its X25519MLKEM768 and x25519 shares, in one record.
    assert.match(b.stderr, /05 94\s+length: 1428 bytes/);
    // Each hybrid share in its two labelled halves.
    assert.match(
      b.stderr,
      /key_exchange: 1216 bytes, ML-KEM-768 encapsulation key ‖ X25519 public key/,
    );
    assert.match(b.stderr, /^ +ML-KEM-768 encapsulation key \(1184 bytes\)$/m);
    assert.match(b.stderr, /key_exchange: 1120 bytes, ML-KEM-768 ciphertext ‖ X25519 public key/);
    assert.match(b.stderr, /^ +ML-KEM-768 ciphertext \(1088 bytes\)$/m);
    assert.match(b.stderr, /^ +X25519 public key \(32 bytes\)$/m);
    assert.match(b.stderr, /opaque_type: application_data: always, for encrypted records/);
    assert.match(b.stderr, /authentication tag: AES-GCM tag/);
    assert.doesNotMatch(b.stderr, / = [0-9a-f]{64}/, "bytes alone shows no secrets");
    const bad = await runConnect([`localhost:${server.port}`, ...ca, "--trace=all"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown --trace level "all" \(use --trace, --trace=secrets/);
  } finally {
    await server.peer.kill();
  }
});

Deno.test("cli: --keylog and SSLKEYLOGFILE append NSS lines to a 0600 file; --quiet prints only data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "handshake-keylog-" });
  try {
    const serverLog = `${dir}/server.keys`, clientLog = `${dir}/client.keys`;
    const server = await startServe(serveArgs, { SSLKEYLOGFILE: serverLog });
    try {
      for (const line of ["one\n", "two\n"]) {
        const out = await runConnect(
          [`localhost:${server.port}`, ...ca, "--quiet", "--keylog", clientLog],
          line,
        );
        assert.equal(out.code, 0, out.stderr);
        assert.equal(out.stdout, line);
        assert.equal(out.stderr, "", "--quiet prints nothing but data");
      }
      await server.peer.waitFor(/echoed 4 bytes[\s\S]*echoed 4 bytes/);
    } finally {
      await server.peer.kill();
    }
    for (const file of [serverLog, clientLog]) {
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600, file);
      const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
      assert.equal(lines.length, 10, "five secrets per connection, two connections, appended");
      for (const l of lines) {
        assert.match(
          l,
          /^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) [0-9a-f]{64} [0-9a-f]{64}$/,
        );
      }
    }
    assert.deepEqual(
      (await Deno.readTextFile(serverLog)).split("\n").sort(),
      (await Deno.readTextFile(clientLog)).split("\n").sort(),
      "both sides log the same secrets",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: connect --quiet --trace is a usage error", async () => {
  const out = await runConnect(["localhost:1", "--quiet", "--trace"]);
  assert.equal(out.code, 2);
  assert.equal(out.stderr.trim().split("\n").length, 1);
  assert.match(out.stderr, /--quiet and --trace ask for opposite things \(drop one of them\)/);
});

Deno.test("cli: connect --json prints one JSON object, with the chain and whether HRR happened", async () => {
  // A server that does not take P-256: a client whose one share is for P-256 is asked again.
  const server = await startServe([...serveArgs, "--groups", "X25519MLKEM768,x25519"]);
  try {
    const plain = await runConnect([`localhost:${server.port}`, ...ca, "--json"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout.trim().split("\n").length, 1);
    const j = JSON.parse(plain.stdout);
    assert.equal(j.version, "TLSv1.3");
    assert.equal(j.provider, "webcrypto");
    assert.equal(j.cipherSuite, "TLS_AES_128_GCM_SHA256");
    assert.equal(j.group, "X25519MLKEM768");
    assert.equal(j.sni, "localhost");
    assert.equal(j.alpn, null);
    assert.equal(j.helloRetryRequest, false);
    assert.ok(j.handshakeMs > 0);
    assert.equal(j.peerCertificates.length, 1);
    const leaf = j.peerCertificates[0];
    assert.match(leaf.subject, /CN=localhost/);
    assert.equal(leaf.issuer, set.ca.certificate && leaf.issuer);
    assert.match(leaf.issuer, /CN=handshake development CA/);
    assert.match(leaf.notAfter, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const want = await crypto.subtle.digest("SHA-256", set.server.certificate as BufferSource);
    assert.equal(leaf.sha256, new Uint8Array(want).toHex());
    const hrr = await runConnect([
      `localhost:${server.port}`,
      ...ca,
      "--json",
      "--groups",
      "P-256,x25519",
    ]);
    assert.equal(JSON.parse(hrr.stdout).helloRetryRequest, true);
    assert.equal(JSON.parse(hrr.stdout).group, "x25519");
  } finally {
    await server.peer.kill();
  }
});

Deno.test({
  name: "cli: colors on a TTY, and none with NO_COLOR",
  ignore: !hasScript,
  async fn() {
    const server = await startServe(serveArgs);
    try {
      const cmd = [
        Deno.execPath(),
        "run",
        ...PERMISSIONS,
        MAIN,
        "connect",
        `localhost:${server.port}`,
        ...ca,
        "--trace",
      ]
        .map((a) => `'${a}'`).join(" ");
      // script(1) gives the command a terminal; its stdin is empty, so connect ends at once.
      const tty = await run("script", ["-qec", `${cmd} </dev/null`, "/dev/null"]);
      assert.equal(tty.code, 0, tty.stdout);
      assert.match(tty.stdout, ESC, "colors on a TTY");
      const noColor = await run("script", ["-qec", `${cmd} </dev/null`, "/dev/null"], {
        env: { NO_COLOR: "1" },
      });
      assert.equal(noColor.code, 0, noColor.stdout);
      assert.match(noColor.stdout, /ClientHello/);
      assert.doesNotMatch(noColor.stdout, ESC, "NO_COLOR turns colors off");
    } finally {
      await server.peer.kill();
    }
  },
});

Deno.test("cli: serve --mode chat: the server's lines go to every client, a client's to the server and the others", async () => {
  const server = await startServe([...serveArgs, "--mode", "chat"]);
  const alice = handshakeProcess(["connect", `localhost:${server.port}`, ...ca]);
  const bob = handshakeProcess(["connect", `localhost:${server.port}`, ...ca]);
  try {
    await alice.waitFor(/^\* you are client #[12] \(127\.0\.0\.1:\d+\); here: server/m);
    await bob.waitFor(/^\* you are client #[12] /m);
    await server.peer.waitFor(/\* client #1 .*joined/);
    await server.peer.waitFor(/\* client #2 .*joined/);
    await server.peer.write("hello everyone\n");
    await alice.waitFor(/^server: hello everyone$/m);
    await bob.waitFor(/^server: hello everyone$/m);
    await alice.write("hi from a client\n");
    const said = await server.peer.waitFor(/^(client #[12]): hi from a client$/m);
    await bob.waitFor(new RegExp(`^${said[1]}: hi from a client$`, "m"));
    assert.doesNotMatch(
      alice.output,
      /: hi from a client/,
      "a client's line is not sent back to it",
    );
    await alice.closeStdin();
    await bob.closeStdin();
    assert.equal((await alice.exited()).code, 0, alice.output);
    assert.equal((await bob.exited()).code, 0, bob.output);
    await server.peer.waitFor(
      /ok, chat, 1 line[\s\S]*ok, chat, 0 lines|ok, chat, 0 lines[\s\S]*ok, chat, 1 line/,
    );
  } finally {
    await Promise.all([alice.kill(), bob.kill(), server.peer.kill()]);
  }
});
