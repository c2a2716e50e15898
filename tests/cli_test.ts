/**
 * The `serve` and `connect` modes as people run them: real subprocesses on
 * loopback, their output, exit status and the alerts the other side saw.
 */

import assert from "node:assert/strict";
import { makeCertSet, writeCertSet } from "./helpers/certs.ts";
import { issueLeaf } from "../lib/x509/issue.ts";
import { freePort, Peer } from "./helpers/peer.ts";
import { PERMISSIONS, runConnect, runHandshake, startServe } from "./helpers/cli.ts";
import { MAIN } from "./helpers/commands.ts";

const set = await makeCertSet({ dir: true });
const dir = set.paths!.dir;
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

/** `handshake serve` with the test certificate, on a free port. */
function serve(...args: string[]) {
  return startServe(["--cert", set.paths!.server, "--key", set.paths!.serverKey, ...args]);
}

/** `handshake connect ARGS` with `input` on stdin, to completion. */
function connect(input: string, ...args: string[]) {
  return runConnect(args, input);
}

Deno.test("cli: echo hi | connect prints hi and exits 0; serve logs the connection", async () => {
  const { peer, port } = await serve();
  try {
    const r = await connect("hi\n", `localhost:${port}`, "--ca", set.paths!.ca);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "hi\n");
    assert.match(
      r.stderr,
      /connected to localhost:\d+, TLS 1.3 TLS_AES_128_GCM_SHA256, X25519MLKEM768/,
    );
    await peer.waitFor(
      /127\.0\.0\.1:\d+ {2}X25519MLKEM768 TLS_AES_128_GCM_SHA256 {2}ok, echoed 3 bytes {2}\d+ ms {2}crypto=webcrypto/,
    );
  } finally {
    await peer.kill();
  }
});

Deno.test("cli: --groups and --suites with OpenSSL names force a HelloRetryRequest and AES-256", async () => {
  // The client's only share is for P-256, which this server does not take: it asks for x25519.
  const { peer, port } = await serve("--groups", "x25519");
  try {
    const r = await connect(
      "x\n",
      `127.0.0.1:${port}`,
      "--ca",
      set.paths!.ca,
      "--groups",
      "P-256:X25519",
      "--suites",
      "tls_aes_256_gcm_sha384",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /TLS_AES_256_GCM_SHA384, x25519 \(after HelloRetryRequest\)/);
    await peer.waitFor(/x25519 TLS_AES_256_GCM_SHA384 \(after HelloRetryRequest\) {2}ok/);
  } finally {
    await peer.kill();
  }
});

Deno.test("cli: --quiet prints only the data; a refused address is one line", async () => {
  const { peer, port } = await serve();
  try {
    const r = await connect("quiet\n", `[::1]:${port}`, "--ca", set.paths!.ca, "-q");
    // The server listens on 127.0.0.1 only: [::1] is refused, and says where it may listen.
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^handshake connect: connection to \[::1\]:(\d+) refused \(the server may listen on 127\.0\.0\.1:\1 only, as `handshake serve` does unless given --host: try 127\.0\.0\.1:\1 or localhost:\1\)\n$/,
    );
    const ok = await connect("quiet\n", `127.0.0.1:${port}`, "--ca", set.paths!.ca, "-q");
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout, "quiet\n");
    assert.equal(ok.stderr, "");
  } finally {
    await peer.kill();
  }
});

/** `openssl s_server` serving `cert`/`key`, to watch which alert our client sends. */
async function sServer(cert: string, key: string): Promise<{ peer: Peer; port: number }> {
  const port = freePort();
  const peer = new Peer("openssl", [
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-cert",
    cert,
    "-key",
    key,
    "-tls1_3",
  ]);
  await peer.waitFor(/ACCEPT/);
  return { peer, port };
}

for (
  const c of [
    {
      name: "a certificate for another name",
      make: async () => {
        const leaf = await issueLeaf(set.ca, { names: ["other.example"], usage: "server" });
        return {
          ...set,
          server: leaf,
          serverChain: [leaf.certificate],
          serverChainPem: leaf.certificatePem,
        };
      },
      stderr:
        /not valid for "localhost": its names are DNS:other\.example \(sent alert bad_certificate\)/,
      alert: /alert bad certificate/,
    },
    {
      name: "a certificate from another CA",
      make: () => makeCertSet(),
      stderr:
        /neither a trust anchor nor among the certificates the peer sent \(sent alert unknown_ca\)/,
      alert: /alert unknown ca/,
    },
    {
      name: "an expired certificate",
      make: async () => {
        const leaf = await issueLeaf(set.ca, {
          names: ["localhost"],
          usage: "server",
          notAfter: new Date(Date.now() - 86_400_000),
        });
        return {
          ...set,
          server: leaf,
          serverChain: [leaf.certificate],
          serverChainPem: leaf.certificatePem,
        };
      },
      stderr: /expired .*\(sent alert certificate_expired\)/,
      alert: /alert certificate expired/,
    },
  ]
) {
  Deno.test(`cli: connect refuses ${c.name}, and openssl s_server sees the alert`, async () => {
    const bad = await writeCertSet(await c.make());
    const { peer, port } = await sServer(bad.server, bad.serverKey);
    try {
      const r = await connect("never sent\n", `localhost:${port}`, "--ca", set.paths!.ca);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^handshake connect: server certificate refused: /);
      assert.match(r.stderr, c.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
      await peer.waitFor(c.alert);
    } finally {
      await peer.kill();
      await Deno.remove(bad.dir, { recursive: true });
    }
  });
}

Deno.test("cli: a server that closes without close_notify is reported as truncation", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = (async () => {
    const c = await listener.accept();
    await c.read(new Uint8Array(4096));
    c.close();
  })();
  try {
    const r = await connect("", `127.0.0.1:${listener.addr.port}`, "--ca", set.paths!.ca);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^handshake connect: the peer closed the connection during the handshake\n$/,
    );
  } finally {
    await accepted;
    listener.close();
  }
});

Deno.test("cli: mistakes get one line that says what to do", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["connect", "--ca", `${dir}/missing.pem`],
      /the CA file .*missing\.pem does not exist \(run `deno task certs`/,
    ],
    [["connect", "--bogus"], /unknown flag --bogus \(see `handshake connect --help`\)/],
    [
      ["connect", "--groups", "x448"],
      /unknown groups name "x448" \(use X25519MLKEM768, x25519, secp256r1 \(P-256\), secp384r1 \(P-384\), SecP256r1MLKEM768\)/,
    ],
    [["connect", "--insecure", "--pin", "sha256/x"], /--insecure and --pin contradict each other/],
    [["connect", "--cert", set.paths!.server], /--cert and --key go together/],
    [
      ["serve", "--cert", `${dir}/nope.pem`],
      /certificate file .*nope\.pem does not exist \(run `deno task certs` first/,
    ],
    [
      ["serve", "--cert", set.paths!.server, "--key", set.paths!.caKey],
      /the private key does not match the certificate's public key/,
    ],
    [["serve", "--port", "70000"], /"70000" is not a TCP port/],
    [["frobnicate"], /unknown mode "frobnicate"/],
  ];
  for (const [args, expected] of cases) {
    const { code, stderr } = await runHandshake(args);
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, expected);
    assert.equal(stderr.trim().split("\n").length, 1, `${args.join(" ")}: one line, got ${stderr}`);
    assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
  }
});

Deno.test("cli: a port in use is refused at start with a hint", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const out = await runHandshake([
      ...["serve", "--port", String(l.addr.port)],
      ...["--cert", set.paths!.server, "--key", set.paths!.serverKey],
    ]);
    assert.equal(out.code, 2);
    assert.match(
      out.stderr,
      /is already in use \(stop the other server or pick another port/,
    );
  } finally {
    l.close();
  }
});

Deno.test("cli: --alpn on both sides picks the server's choice; no overlap is no_application_protocol", async () => {
  const { peer, port } = await serve("--alpn", "h2,http/1.1");
  try {
    const ok = await connect(
      "a\n",
      `localhost:${port}`,
      "--ca",
      set.paths!.ca,
      "--alpn",
      "http/1.1,h2",
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /, ALPN h2$/m);
    await peer.waitFor(/alpn=h2 {2}ok/);
    const refused = await connect(
      "b\n",
      `localhost:${port}`,
      "--ca",
      set.paths!.ca,
      "--alpn",
      "imap",
    );
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      "handshake connect: the server sent alert no_application_protocol (this client offered " +
        "ALPN imap, and the server accepts none of them: see --alpn)\n",
    );
    await peer.waitFor(/no ALPN protocol in common .*\(sent alert no_application_protocol\)/);
  } finally {
    await peer.kill();
  }
});

Deno.test("cli: serve --max-handshakes 1 makes the next client wait for the stalled one to be dropped", async () => {
  const { peer, port } = await serve("--max-handshakes", "1", "--handshake-timeout", "1");
  const staller = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await new Promise((r) => setTimeout(r, 200)); // let the server accept it: the only slot is taken
    const r = await connect("next\n", `localhost:${port}`, "--ca", set.paths!.ca, "-q");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "next\n");
    const log = peer.output;
    const dropped = log.search(
      /no handshake {2}failed: the handshake did not complete within 1 s/,
    );
    const served = log.search(/ok, echoed 5 bytes/);
    assert.ok(dropped >= 0 && served > dropped, `the stalled client is dropped first:\n${log}`);
  } finally {
    staller.close();
    await peer.kill();
  }
});

/**
 * Pipes `total` bytes through `connect` into `serve --crypto <crypto>`'s echo and checks that all
 * come back in order: each byte is its position mod 251, so a 16 KiB record out of place shows.
 */
async function echoThroughPipes(crypto: string, total: number): Promise<void> {
  const { peer, port } = await serve("--crypto", crypto);
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, MAIN, "connect", `127.0.0.1:${port}`, "--ca", set.paths!.ca],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).spawn();
    const piece = 100_000;
    const writer = child.stdin.getWriter();
    const write = (async () => {
      for (let sent = 0; sent < total; sent += piece) {
        const n = Math.min(piece, total - sent);
        await writer.write(new Uint8Array(n).map((_, i) => (sent + i) % 251));
      }
      await writer.close();
    })();
    let received = 0, mismatch = -1;
    for await (const c of child.stdout) {
      for (let i = 0; i < c.length && mismatch < 0; i++) {
        if (c[i] !== (received + i) % 251) mismatch = received + i;
      }
      received += c.length;
    }
    await write;
    const status = await child.status;
    assert.equal(mismatch, -1, `byte ${mismatch} differs`);
    assert.equal(received, total);
    assert.equal(status.code, 0);
    await peer.waitFor(new RegExp(`ok, echoed ${total} bytes`));
  } finally {
    await peer.kill();
  }
}

Deno.test("cli: 16 MiB piped through connect and serve --crypto webcrypto come back in order", async () => {
  // The echo keeps several writes under way and WebCrypto may finish their seals in any order.
  await echoThroughPipes("webcrypto", 16 << 20);
});

Deno.test("cli: 64 MiB piped through connect and the echo server all come back (no write/read deadlock)", async () => {
  await echoThroughPipes("openssl", 64 << 20);
});
