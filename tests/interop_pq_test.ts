/**
 * X25519MLKEM768 (and SecP256r1MLKEM768) with real peers on loopback, on
 * every provider: Node 26 (OpenSSL 3.5) as client and server, including a
 * HelloRetryRequest to the hybrid, and Deno's native TLS (rustls, which
 * offers and prefers X25519MLKEM768 by default) both ways. What was
 * negotiated is read from our side's handshake info (the ServerHello we sent
 * or received) and, where the peer says, from the peer too.
 */

import assert from "node:assert/strict";
import { NamedGroup } from "../lib/codepoints.ts";
import { connect } from "../lib/net.ts";
import { loadTrustAnchors } from "../lib/deno/trust_files.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { node26, node26Client, node26Server } from "./helpers/node26.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { utf8 } from "./helpers/peer.ts";
import { PROVIDERS } from "./helpers/providers.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const caPem = set.ca.certificatePem;
const node = await node26();
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

/** Our client on `crypto`, verifying against the test CA, with `groups` if given. */
async function ourClient(crypto: CryptoProvider, port: number, groups?: number[]) {
  const conn = await connect({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    crypto,
    groups,
    verifier: new PathVerifier(await loadTrustAnchors(set.paths!.ca)),
  });
  return { conn, info: await conn.handshake() };
}

/** Sends a line through `conn` to a Node 26 echo server, checks the answer, closes. */
async function talkToNode(conn: Awaited<ReturnType<typeof ourClient>>["conn"]): Promise<void> {
  await conn.write(encode("hi\n"));
  assert.equal(await readUntil(conn, "\n"), "node 26 got hi\n");
  await conn.close();
}

for (const crypto of PROVIDERS) {
  const p = `[${crypto.name}]`;

  Deno.test({
    name: `X25519MLKEM768: Node 26 client with its defaults → our server picks the hybrid ${p}`,
    ignore: !node,
    fn: async () => {
      const server = startEchoServer(await serverConfigFor(set, { crypto }));
      const peer = node26Client(node!, server.port, caPem);
      try {
        assert.equal((await peer.exited(30_000)).code, 0, peer.output);
        assert.match(
          peer.output,
          /connected v26\.\S+ TLSv1\.3 TLS_AES_128_GCM_SHA256 authorized=true/,
        );
        assert.match(peer.output, /key=\{"type":"TLSGroup","name":"X25519MLKEM768"\}/);
        assert.match(peer.output, /echo from node 26/);
        assert.equal(server.infos[0].group, "X25519MLKEM768");
        assert.equal(server.infos[0].helloRetry, false);
        assert.equal(server.infos[0].provider, crypto.name);
      } finally {
        await peer.kill();
        await server.close();
      }
    },
  });

  Deno.test({
    name: `X25519MLKEM768: our client → Node 26 server that accepts only the hybrid ${p}`,
    ignore: !node,
    fn: async () => {
      const { peer, port } = await node26Server(
        node!,
        set.serverChainPem,
        set.server.privateKeyPem,
        { curve: "X25519MLKEM768" },
      );
      try {
        const { conn, info } = await ourClient(crypto, port);
        assert.equal(info.group, "X25519MLKEM768");
        assert.equal(info.helloRetry, false);
        await talkToNode(conn);
      } finally {
        await peer.kill();
      }
    },
  });

  Deno.test({
    name: `X25519MLKEM768: Node 26 asks our client (x25519 share only) again for the hybrid ${p}`,
    ignore: !node,
    fn: async () => {
      const { peer, port } = await node26Server(
        node!,
        set.serverChainPem,
        set.server.privateKeyPem,
        { curve: "X25519MLKEM768" },
      );
      try {
        const { conn, info } = await ourClient(crypto, port, [
          NamedGroup.x25519,
          NamedGroup.X25519MLKEM768,
        ]);
        assert.equal(info.group, "X25519MLKEM768");
        assert.equal(info.helloRetry, true);
        await talkToNode(conn);
      } finally {
        await peer.kill();
      }
    },
  });

  Deno.test({
    name: `X25519MLKEM768: Node 26 client that offers only the hybrid → our server ${p}`,
    ignore: !node,
    fn: async () => {
      const server = startEchoServer(await serverConfigFor(set, { crypto }));
      const peer = node26Client(node!, server.port, caPem, { curve: "X25519MLKEM768" });
      try {
        assert.equal((await peer.exited(30_000)).code, 0, peer.output);
        assert.match(peer.output, /echo from node 26/);
        assert.equal(server.infos[0].group, "X25519MLKEM768");
      } finally {
        await peer.kill();
        await server.close();
      }
    },
  });

  Deno.test({
    name: `SecP256r1MLKEM768: with Node 26, both directions ${p}`,
    ignore: !node,
    fn: async () => {
      const { peer, port } = await node26Server(
        node!,
        set.serverChainPem,
        set.server.privateKeyPem,
        { curve: "SecP256r1MLKEM768" },
      );
      try {
        const { conn, info } = await ourClient(crypto, port, [NamedGroup.SecP256r1MLKEM768]);
        assert.equal(info.group, "SecP256r1MLKEM768");
        await talkToNode(conn);
      } finally {
        await peer.kill();
      }
      const server = startEchoServer(await serverConfigFor(set, { crypto }));
      const client = node26Client(node!, server.port, caPem, { curve: "SecP256r1MLKEM768" });
      try {
        assert.equal((await client.exited(30_000)).code, 0, client.output);
        assert.match(client.output, /echo from node 26/);
        assert.equal(server.infos[0].group, "SecP256r1MLKEM768");
      } finally {
        await client.kill();
        await server.close();
      }
    },
  });

  Deno.test(`X25519MLKEM768: our client → Deno.listenTls (rustls) agrees on the hybrid ${p}`, async () => {
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: set.serverChainPem,
      key: set.server.privateKeyPem,
    });
    const served = (async () => {
      const conn = await listener.accept();
      await conn.handshake();
      const buf = new Uint8Array(100);
      const n = await conn.read(buf);
      await conn.write(encode("rustls got " + utf8(buf.subarray(0, n ?? 0))));
      conn.close();
    })();
    try {
      const { conn, info } = await ourClient(crypto, listener.addr.port);
      assert.equal(info.group, "X25519MLKEM768");
      assert.equal(info.helloRetry, false);
      await conn.write(encode("hi\n"));
      assert.equal(await readUntil(conn, "\n"), "rustls got hi\n");
      await served;
      conn.close();
    } finally {
      listener.close();
    }
  });

  Deno.test(`X25519MLKEM768: Deno.connectTls (rustls) → our server that takes only the hybrid ${p}`, async () => {
    // Deno's client lists X25519MLKEM768 last and sends an x25519 share: asked again for the hybrid.
    const server = startEchoServer(
      await serverConfigFor(set, { crypto, groups: [NamedGroup.X25519MLKEM768] }),
    );
    try {
      const conn = await Deno.connectTls({
        hostname: "localhost",
        port: server.port,
        caCerts: [caPem],
      });
      await conn.handshake();
      await conn.write(encode("hello rustls\n"));
      assert.equal(await readUntil(conn, "\n"), "hello rustls\n");
      conn.close();
      assert.equal(server.infos[0].group, "X25519MLKEM768");
      assert.equal(server.infos[0].helloRetry, true);
    } finally {
      await server.close();
    }
  });
}
