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
import type { ConnectOptions } from "../lib/net.ts";
import { opensslProvider } from "../lib/crypto/openssl/mod.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { PERMISSIONS, runConnect, startServe } from "./helpers/cli.ts";
import { have, MAIN, need, run } from "./helpers/commands.ts";
import { nodeTlsClient, nodeTlsServer } from "./helpers/node26.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { echoOnce, ourClient as connectOurs, serverConfigFor } from "./helpers/pair.ts";
import {
  echoThroughPeer,
  GNUTLS_DONE,
  gnutlsClient,
  gnutlsPriority,
  gnutlsServer,
  OPENSSL_VERIFIED,
  opensslClient,
  opensslServer,
  rustlsServer,
} from "./helpers/peer.ts";

const crypto = opensslProvider();
const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const paths = set.paths!;
const gnutls = await need("GnuTLS interop with the openssl provider", "gnutls-serv", "gnutls-cli");
const node = await have("node");

/** Our client on the openssl provider, verifying the server against the test CA. */
async function ourClient(port: number, extra: Partial<ConnectOptions> = {}) {
  const client = await connectOurs(port, set, { crypto, ...extra });
  assert.equal(client.info.provider, "openssl");
  return client;
}

/** Our echo server on the openssl provider. */
async function ourServer() {
  return startEchoServer(await serverConfigFor(set, { crypto }));
}

Deno.test("openssl provider: our client → openssl s_server, verified, data both ways", async () => {
  const { peer, port } = await opensslServer(paths);
  try {
    const { conn, info } = await ourClient(port);
    assert.equal(info.group, "x25519");
    assert.equal((await echoOnce(conn, "hello openssl\n")).trim(), "lssnepo olleh");
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
  const client = opensslClient(server.port, paths, {
    groups: "P-384",
    suites: "TLS_AES_256_GCM_SHA384",
  });
  try {
    await echoThroughPeer(client, OPENSSL_VERIFIED, "hello from openssl");
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
    const { peer, port } = await gnutlsServer(
      paths,
      gnutlsPriority("-GROUP-ALL", "+GROUP-SECP256R1"),
    );
    try {
      const { conn, info } = await ourClient(port);
      assert.equal(info.group, "secp256r1");
      assert.equal(info.helloRetry, true);
      assert.equal(await echoOnce(conn, "hello gnutls\n"), "hello gnutls\n");
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
    const peer = gnutlsClient(server.port, paths, gnutlsPriority("-CIPHER-ALL", "+AES-256-GCM"));
    try {
      await echoThroughPeer(peer, GNUTLS_DONE, "hello from gnutls");
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
    assert.equal(await echoOnce(conn, "hello rustls\n"), "hello rustls\n");
    await conn.closeWrite();
    assert.equal(await conn.read(new Uint8Array(10)), null);
    conn.close();
    assert.equal(server.infos[0].provider, "openssl");
  } finally {
    await server.close();
  }
});

Deno.test("openssl provider: our client → Deno.listenTls", async () => {
  const rustls = rustlsServer(set);
  try {
    const { conn } = await ourClient(rustls.port);
    assert.equal(await echoOnce(conn, "ping"), "rustls got ping");
    await conn.closeWrite();
    await rustls.served;
    conn.close();
  } finally {
    rustls.close();
  }
});

Deno.test({
  name: "openssl provider: node:tls client → our server, verifying against the CA",
  ignore: !node,
  fn: async () => {
    const server = await ourServer();
    const peer = nodeTlsClient("node", server.port, set.ca.certificatePem);
    try {
      assert.equal((await peer.exited()).code, 0, peer.output);
      assert.match(peer.output, /connected v\S+ TLSv1\.3 \S+ authorized=true/);
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
    const { peer, port } = await nodeTlsServer("node", set, { curve: "P-384", once: true });
    try {
      const { conn, info } = await ourClient(port);
      assert.equal(info.group, "secp384r1");
      assert.equal(info.helloRetry, true);
      assert.match(await echoOnce(conn, "hi"), /^node \d+ got hi$/);
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
