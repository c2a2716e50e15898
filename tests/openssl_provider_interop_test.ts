/**
 * The openssl crypto provider against every real peer, one round each way:
 * `openssl s_server`/`s_client`, `gnutls-serv`/`gnutls-cli`,
 * `Deno.listenTls`/`Deno.connectTls` and `node:tls`. Our client verifies
 * the server's chain through the provider; our server signs with a key
 * loaded into it. `handshake serve --crypto openssl` and `handshake connect
 * --crypto openssl` run as processes, with the tasks' permissions, and a
 * libcrypto that cannot be loaded is one line and exit status 2.
 */

import assert from "node:assert/strict";
import { connect } from "../lib/net.ts";
import { opensslProvider } from "../lib/crypto/openssl/mod.ts";
import { loadTrustAnchors } from "../lib/deno/trust_files.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { PERMISSIONS, runConnect, startServe } from "./helpers/cli.ts";
import { have, MAIN, need, run } from "./helpers/commands.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { freePort, Peer, utf8, waitForPort } from "./helpers/peer.ts";

const crypto = opensslProvider();
const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const paths = set.paths!;
const gnutls = await need("GnuTLS interop with the openssl provider", "gnutls-serv", "gnutls-cli");
const node = await have("node");
const encode = (s: string) => new TextEncoder().encode(s);

async function readUntil(
  conn: { read(p: Uint8Array): Promise<number | null> },
  until: string,
): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  while (!text.includes(until)) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += utf8(buf.subarray(0, n));
  }
  return text;
}

/** Our client on the openssl provider, verifying the server against the test CA. */
async function ourClient(port: number, extra: { groups?: number[] } = {}) {
  const conn = await connect({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    crypto,
    verifier: new PathVerifier(await loadTrustAnchors(paths.ca)),
    ...extra,
  });
  const info = await conn.handshake();
  assert.equal(info.provider, "openssl");
  return { conn, info };
}

/** Our echo server on the openssl provider. */
async function ourServer() {
  return startEchoServer(await serverConfigFor(set, { crypto }));
}

Deno.test("openssl provider: our client → openssl s_server, verified, data both ways", async () => {
  const port = freePort();
  const peer = new Peer("openssl", [
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-cert",
    paths.server,
    "-key",
    paths.serverKey,
    "-tls1_3",
    "-rev",
  ]);
  try {
    await peer.waitFor(/ACCEPT/);
    const { conn, info } = await ourClient(port);
    assert.equal(info.group, "x25519");
    await conn.write(encode("hello openssl\n"));
    assert.equal((await readUntil(conn, "\n")).trim(), "lssnepo olleh");
    await conn.close();
  } finally {
    await peer.kill();
  }
});

Deno.test("openssl provider: openssl s_client → `handshake serve --crypto openssl`", async () => {
  const server = await startServe([
    "--cert",
    paths.server,
    "--key",
    paths.serverKey,
    "--crypto",
    "openssl",
  ]);
  const client = new Peer("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${server.port}`,
    "-servername",
    "localhost",
    "-CAfile",
    paths.ca,
    "-verify_return_error",
    "-groups",
    "P-384",
    "-ciphersuites",
    "TLS_AES_256_GCM_SHA384",
  ]);
  try {
    await client.waitFor(/Verify return code: 0 \(ok\)|Verification: OK/);
    await client.write("hello from openssl\n");
    await client.waitFor(/^hello from openssl$/m);
    await client.closeStdin();
    await client.exited();
    await server.peer.waitFor(/secp384r1 TLS_AES_256_GCM_SHA384 .*crypto=openssl/);
  } finally {
    await client.kill();
    await server.peer.kill();
  }
});

Deno.test("openssl provider: `handshake connect --crypto openssl` → our openssl server, --json names it", async () => {
  const server = await ourServer();
  try {
    const out = await runConnect([
      `localhost:${server.port}`,
      "--ca",
      paths.ca,
      "--crypto",
      "openssl",
      "--json",
    ]);
    assert.equal(out.code, 0, out.stderr);
    const summary = JSON.parse(out.stdout);
    assert.equal(summary.provider, "openssl");
    assert.equal(summary.signatureScheme, "ecdsa_secp256r1_sha256");
    assert.equal(server.infos[0].provider, "openssl");
  } finally {
    await server.close();
  }
});

Deno.test({
  name: "openssl provider: our client → gnutls-serv (P-256, HelloRetryRequest)",
  ignore: !gnutls,
  fn: async () => {
    const port = freePort();
    const peer = new Peer("gnutls-serv", [
      "--echo",
      "--port",
      String(port),
      "--x509certfile",
      paths.server,
      "--x509keyfile",
      paths.serverKey,
      "--priority",
      "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP256R1",
    ]);
    try {
      await peer.waitFor(/Echo Server listening|ready/i);
      await waitForPort(port);
      const { conn, info } = await ourClient(port);
      assert.equal(info.group, "secp256r1");
      assert.equal(info.helloRetry, true);
      await conn.write(encode("hello gnutls\n"));
      assert.equal(await readUntil(conn, "\n"), "hello gnutls\n");
      await conn.close();
    } finally {
      await peer.kill();
    }
  },
});

Deno.test({
  name: "openssl provider: gnutls-cli → our server",
  ignore: !gnutls,
  fn: async () => {
    const server = await ourServer();
    const peer = new Peer("gnutls-cli", [
      "--port",
      String(server.port),
      "--x509cafile",
      paths.ca,
      "--priority",
      "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM",
      "localhost",
    ]);
    try {
      await peer.waitFor(/Handshake was completed/);
      await peer.write("hello from gnutls\n");
      await peer.waitFor(/^hello from gnutls$/m);
      await peer.closeStdin();
      await peer.exited();
      assert.equal(server.infos[0].cipherSuite, "TLS_AES_256_GCM_SHA384");
      assert.equal(server.infos[0].provider, "openssl");
    } finally {
      await peer.kill();
      await server.close();
    }
  },
});

Deno.test("openssl provider: Deno.connectTls → our server, data both ways, clean close", async () => {
  const server = await ourServer();
  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: server.port,
      caCerts: [set.ca.certificatePem],
    });
    await conn.handshake();
    await conn.write(encode("hello rustls\n"));
    assert.equal(await readUntil(conn, "\n"), "hello rustls\n");
    await conn.closeWrite();
    assert.equal(await conn.read(new Uint8Array(10)), null);
    conn.close();
    assert.equal(server.infos[0].provider, "openssl");
  } finally {
    await server.close();
  }
});

Deno.test("openssl provider: our client → Deno.listenTls", async () => {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: set.serverChainPem,
    key: set.server.privateKeyPem,
  });
  const served = (async () => {
    const c = await listener.accept();
    const buf = new Uint8Array(1024);
    const n = await c.read(buf);
    await c.write(encode(`rustls got ${utf8(buf.subarray(0, n!))}`));
    assert.equal(await c.read(buf), null);
    c.close();
  })();
  try {
    const { conn } = await ourClient(listener.addr.port);
    await conn.write(encode("ping"));
    assert.equal(await readUntil(conn, "ping"), "rustls got ping");
    await conn.closeWrite();
    await served;
    conn.close();
  } finally {
    listener.close();
  }
});

Deno.test({
  name: "openssl provider: node:tls client → our server, verifying against the CA",
  ignore: !node,
  fn: async () => {
    const server = await ourServer();
    const script = `
      const tls = require("node:tls");
      const s = tls.connect({ host: "127.0.0.1", port: ${server.port}, servername: "localhost",
        ca: process.env.CA, minVersion: "TLSv1.3" }, () => {
        console.log("connected", s.getProtocol(), s.authorized);
        s.write("from node\\n");
      });
      s.on("data", (d) => { process.stdout.write("echo " + d); s.end(); });
      s.on("error", (e) => { console.log("error", e.message); process.exit(1); });`;
    const peer = new Peer("node", ["-e", script], { env: { CA: set.ca.certificatePem } });
    try {
      assert.equal((await peer.exited()).code, 0, peer.output);
      assert.match(peer.output, /connected TLSv1.3 true/);
      assert.match(peer.output, /echo from node/);
      assert.equal(server.infos[0].provider, "openssl");
    } finally {
      await peer.kill();
      await server.close();
    }
  },
});

Deno.test({
  name: "openssl provider: our client → node:tls server (P-384 only: HelloRetryRequest)",
  ignore: !node,
  fn: async () => {
    const script = `
      const tls = require("node:tls");
      const srv = tls.createServer({ cert: process.env.CERT, key: process.env.KEY,
        minVersion: "TLSv1.3", ecdhCurve: "P-384" }, (s) => {
        s.on("data", (d) => s.write("node got " + d));
        s.on("end", () => { s.end(); srv.close(); });
      });
      srv.listen(0, "127.0.0.1", () => console.log("port " + srv.address().port));`;
    const peer = new Peer("node", ["-e", script], {
      env: { CERT: set.serverChainPem, KEY: set.server.privateKeyPem },
    });
    try {
      const port = Number((await peer.waitFor(/port (\d+)/))[1]);
      const { conn, info } = await ourClient(port);
      assert.equal(info.group, "secp384r1");
      assert.equal(info.helloRetry, true);
      await conn.write(encode("hi"));
      assert.equal(await readUntil(conn, "hi"), "node got hi");
      await conn.closeWrite();
      assert.equal(await conn.read(new Uint8Array(10)), null);
      conn.close();
      assert.equal((await peer.exited()).code, 0, peer.output);
    } finally {
      await peer.kill();
    }
  },
});

for (const args of [["connect", "localhost:1"], ["serve", "--port", "0"]]) {
  Deno.test(`cli: ${args[0]} --crypto openssl without a loadable libcrypto is one line naming --crypto webcrypto, exit 2`, async () => {
    const out = await run(
      Deno.execPath(),
      ["run", ...PERMISSIONS, MAIN, ...args, "--crypto", "openssl"],
      { env: { HANDSHAKE_LIBCRYPTO: "/nonexistent/libcrypto.so.3" }, timeoutMs: 30_000 },
    );
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.stdout, "");
    const lines = out.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, out.stderr);
    assert.ok(
      lines[0].startsWith(
        `handshake ${args[0]}: cannot load OpenSSL 3's libcrypto (/nonexistent/libcrypto.so.3): `,
      ),
      lines[0],
    );
    assert.match(lines[0], /or use --crypto webcrypto$/);
  });
}

Deno.test("cli: an unknown --crypto is a usage error", async () => {
  const out = await runConnect(["localhost:1", "--crypto", "nss"]);
  assert.equal(out.code, 2);
  assert.match(out.stderr, /unknown --crypto "nss" \(use webcrypto or openssl\)/);
});

Deno.test("cli: demo --crypto openssl runs end to end on the openssl provider", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await run(
      Deno.execPath(),
      [
        "run",
        "--allow-read",
        `--allow-write=${dir}`,
        "--allow-net=127.0.0.1",
        "--allow-ffi",
        "--allow-env=NO_COLOR,HANDSHAKE_LIBCRYPTO",
        MAIN,
        "demo",
        "--out",
        dir,
        "--crypto",
        "openssl",
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /listening on 127\.0\.0\.1:\d+ \(echo; openssl crypto\)/);
    assert.equal(out.stdout.match(/ok, echoed \d+ bytes .* crypto=openssl/g)?.length, 2);
    assert.match(out.stdout, /after HelloRetryRequest/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
