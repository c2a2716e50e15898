/**
 * TLS_CHACHA20_POLY1305_SHA256 with real peers on loopback, on every
 * provider: OpenSSL 3.0 (`s_server`/`s_client`), GnuTLS (`gnutls-serv`/
 * `gnutls-cli`) and Node 26, each way; and `serve --suites` / `connect
 * --suites` as processes. A peer limited to ChaCha20 gets it from our
 * server, whose own preference is AES-GCM first.
 */

import assert from "node:assert/strict";
import { CipherSuite } from "../lib/codepoints.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";
import { connect } from "../lib/net.ts";
import { loadTrustAnchors } from "../lib/deno/trust_files.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { runConnect, startServe } from "./helpers/cli.ts";
import { need } from "./helpers/commands.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { node26, node26Client, node26Server } from "./helpers/node26.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { freePort, Peer, utf8, waitForPort } from "./helpers/peer.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const paths = set.paths!;
const gnutls = await need("GnuTLS ChaCha20 interop", "gnutls-serv", "gnutls-cli");
const node = await node26();
const CHACHA = "TLS_CHACHA20_POLY1305_SHA256";
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

/** Our client on `crypto`, offering `suites` (default: AES-128-GCM, AES-256-GCM, ChaCha20). */
async function ourClient(crypto: CryptoProvider, port: number, suites?: number[]) {
  const conn = await connect({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    crypto,
    cipherSuites: suites,
    verifier: new PathVerifier(await loadTrustAnchors(paths.ca)),
  });
  return { conn, info: await conn.handshake() };
}

for (const crypto of PROVIDERS) {
  const p = `[${crypto.name}]`;

  Deno.test(`ChaCha20: our client → openssl s_server offering only ChaCha20 ${p}`, async () => {
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
      "-ciphersuites",
      CHACHA,
      "-rev",
    ]);
    try {
      await peer.waitFor(/ACCEPT/);
      // Our default offer (AES-GCM first): the server has only ChaCha20.
      const { conn, info } = await ourClient(crypto, port);
      assert.equal(info.cipherSuite, CHACHA);
      await conn.write(encode("hello openssl\n"));
      assert.equal((await readUntil(conn, "\n")).trim(), "lssnepo olleh");
      await conn.close();
    } finally {
      await peer.kill();
    }
  });

  Deno.test(`ChaCha20: openssl s_client offering only ChaCha20 → our server ${p}`, async () => {
    const server = startEchoServer(await serverConfigFor(set, { crypto }));
    const client = new Peer("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${server.port}`,
      "-servername",
      "localhost",
      "-CAfile",
      paths.ca,
      "-verify_return_error",
      "-ciphersuites",
      CHACHA,
    ]);
    try {
      await client.waitFor(/Verify return code: 0 \(ok\)|Verification: OK/);
      await client.write("hello from openssl\n");
      await client.waitFor(/^hello from openssl$/m);
      await client.closeStdin();
      await client.exited();
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
        "NORMAL:-VERS-ALL:+VERS-TLS1.3",
      ]);
      try {
        await peer.waitFor(/Echo Server listening|ready/i);
        await waitForPort(port);
        const { conn, info } = await ourClient(crypto, port, [
          CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        ]);
        assert.equal(info.cipherSuite, CHACHA);
        await conn.write(encode("hello gnutls\n"));
        assert.equal(await readUntil(conn, "\n"), "hello gnutls\n");
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
      const peer = new Peer("gnutls-cli", [
        "--port",
        String(server.port),
        "--x509cafile",
        paths.ca,
        "--priority",
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305",
        "localhost",
      ]);
      try {
        await peer.waitFor(/Handshake was completed/);
        await peer.write("hello from gnutls\n");
        await peer.waitFor(/^hello from gnutls$/m);
        await peer.closeStdin();
        await peer.exited();
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
      const { peer, port } = await node26Server(
        node!,
        set.serverChainPem,
        set.server.privateKeyPem,
        { suites: CHACHA },
      );
      try {
        const { conn, info } = await ourClient(crypto, port);
        assert.equal(info.cipherSuite, CHACHA);
        await conn.write(encode("hi\n"));
        assert.equal(await readUntil(conn, "\n"), "node 26 got hi\n");
        await conn.close();
      } finally {
        await peer.kill();
      }
      const server = startEchoServer(await serverConfigFor(set, { crypto }));
      const client = node26Client(node!, server.port, set.ca.certificatePem, { suites: CHACHA });
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
      const client = new Peer("openssl", [
        "s_client",
        "-connect",
        `127.0.0.1:${server.port}`,
        "-servername",
        "localhost",
        "-CAfile",
        paths.ca,
        "-verify_return_error",
      ]);
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
