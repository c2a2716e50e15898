/**
 * TLS_CHACHA20_POLY1305_SHA256 with real peers on loopback, on every
 * provider: OpenSSL 3.0 (`s_server`/`s_client`), GnuTLS (`gnutls-serv`/
 * `gnutls-cli`) and Node 26, each way; and `serve --suites` / `connect
 * --suites` as processes. A peer limited to ChaCha20 gets it from our
 * server, whose own preference is AES-GCM first.
 */

import assert from "node:assert/strict";
import { CipherSuite } from "../lib/codepoints.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { runConnect, startServe } from "./helpers/cli.ts";
import { need } from "./helpers/commands.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { node26, nodeTlsClient, nodeTlsServer } from "./helpers/node26.ts";
import { echoOnce, ourClient, serverConfigFor } from "./helpers/pair.ts";
import {
  echoThroughPeer,
  GNUTLS_DONE,
  gnutlsClient,
  gnutlsPriority,
  gnutlsServer,
  OPENSSL_VERIFIED,
  opensslClient,
  opensslServer,
} from "./helpers/peer.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const paths = set.paths!;
const gnutls = await need("GnuTLS ChaCha20 interop", "gnutls-serv", "gnutls-cli");
const node = await node26();
const CHACHA = "TLS_CHACHA20_POLY1305_SHA256";

for (const crypto of PROVIDERS) {
  const p = `[${crypto.name}]`;

  Deno.test(`ChaCha20: our client → openssl s_server offering only ChaCha20 ${p}`, async () => {
    const { peer, port } = await opensslServer(paths, { suites: CHACHA });
    try {
      // Our default offer (AES-GCM first): the server has only ChaCha20.
      const { conn, info } = await ourClient(port, set, { crypto });
      assert.equal(info.cipherSuite, CHACHA);
      assert.equal((await echoOnce(conn, "hello openssl\n")).trim(), "lssnepo olleh");
      await conn.close();
    } finally {
      await peer.kill();
    }
  });

  Deno.test(`ChaCha20: openssl s_client offering only ChaCha20 → our server ${p}`, async () => {
    const server = startEchoServer(await serverConfigFor(set, { crypto }));
    const client = opensslClient(server.port, paths, { suites: CHACHA });
    try {
      await echoThroughPeer(client, OPENSSL_VERIFIED, "hello from openssl");
      assert.match(client.output, /Cipher is TLS_CHACHA20_POLY1305_SHA256/);
      assert.equal(server.infos[0].cipherSuite, CHACHA);
    } finally {
      await client.kill();
      await server.close();
    }
  });

  Deno.test({
    name: `ChaCha20: our client offering only ChaCha20 → gnutls-serv (AES-GCM first) ${p}`,
    ignore: !gnutls,
    fn: async () => {
      const { peer, port } = await gnutlsServer(paths, gnutlsPriority());
      try {
        const { conn, info } = await ourClient(port, set, {
          crypto,
          cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
        });
        assert.equal(info.cipherSuite, CHACHA);
        assert.equal(await echoOnce(conn, "hello gnutls\n"), "hello gnutls\n");
        await conn.close();
      } finally {
        await peer.kill();
      }
    },
  });

  Deno.test({
    name: `ChaCha20: gnutls-cli with only ChaCha20 → our server ${p}`,
    ignore: !gnutls,
    fn: async () => {
      const server = startEchoServer(await serverConfigFor(set, { crypto }));
      const peer = gnutlsClient(
        server.port,
        paths,
        gnutlsPriority("-CIPHER-ALL", "+CHACHA20-POLY1305"),
      );
      try {
        await echoThroughPeer(peer, GNUTLS_DONE, "hello from gnutls");
        assert.match(peer.output, /CHACHA20-POLY1305/);
        assert.equal(server.infos[0].cipherSuite, CHACHA);
      } finally {
        await peer.kill();
        await server.close();
      }
    },
  });

  Deno.test({
    name: `ChaCha20: with Node 26, both directions ${p}`,
    ignore: !node,
    fn: async () => {
      const { peer, port } = await nodeTlsServer(node!, set, { suites: CHACHA });
      try {
        const { conn, info } = await ourClient(port, set, { crypto });
        assert.equal(info.cipherSuite, CHACHA);
        assert.equal(await echoOnce(conn, "hi\n"), "node 26 got hi\n");
        await conn.close();
      } finally {
        await peer.kill();
      }
      const server = startEchoServer(await serverConfigFor(set, { crypto }));
      const client = nodeTlsClient(node!, server.port, set.ca.certificatePem, { suites: CHACHA });
      try {
        assert.equal((await client.exited(30_000)).code, 0, client.output);
        assert.match(client.output, /TLSv1\.3 TLS_CHACHA20_POLY1305_SHA256 authorized=true/);
        assert.match(client.output, /echo from node 26/);
        assert.equal(server.infos[0].cipherSuite, CHACHA);
      } finally {
        await client.kill();
        await server.close();
      }
    },
  });

  Deno.test(`ChaCha20: serve --suites puts it first for openssl s_client's default offer; connect --suites ${p}`, async () => {
    const server = await startServe([
      "--cert",
      paths.server,
      "--key",
      paths.serverKey,
      "--crypto",
      crypto.name,
      "--suites",
      `${CHACHA},TLS_AES_128_GCM_SHA256`,
    ]);
    try {
      // s_client offers AES-256-GCM, ChaCha20, AES-128-GCM: the server's order decides.
      const client = opensslClient(server.port, paths);
      try {
        await client.waitFor(/Cipher is TLS_CHACHA20_POLY1305_SHA256/);
        await client.closeStdin();
        await client.exited();
      } finally {
        await client.kill();
      }
      const out = await runConnect([
        `localhost:${server.port}`,
        "--ca",
        paths.ca,
        "--crypto",
        crypto.name,
        "--suites",
        "tls_chacha20_poly1305_sha256",
        "--json",
      ]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(JSON.parse(out.stdout).cipherSuite, CHACHA);
      await server.peer.waitFor(new RegExp(`${CHACHA} .*crypto=${crypto.name}`));
    } finally {
      await server.peer.kill();
    }
  });
}
