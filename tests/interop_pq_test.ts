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
import { makeCertSet } from "./helpers/certs.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { node26, nodeTlsClient, nodeTlsServer } from "./helpers/node26.ts";
import { echoOnce, type OurClient, ourClient, serverConfigFor } from "./helpers/pair.ts";
import { utf8 } from "./helpers/peer.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const caPem = set.ca.certificatePem;
const node = await node26();
const encode = (s: string) => new TextEncoder().encode(s);

/** Sends a line through `conn` to a Node 26 echo server, checks the answer, closes. */
async function talkToNode(conn: OurClient["conn"]): Promise<void> {
  assert.equal(await echoOnce(conn, "hi\n"), "node 26 got hi\n");
  await conn.close();
}

for (const crypto of PROVIDERS) {
  const p = `[${crypto.name}]`;

  Deno.test({
    name: `X25519MLKEM768: Node 26 client with its defaults → our server picks the hybrid ${p}`,
    ignore: !node,
    fn: async () => {
      const server = startEchoServer(await serverConfigFor(set, { crypto }));
      const peer = nodeTlsClient(node!, server.port, caPem);
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
      const { peer, port } = await nodeTlsServer(node!, set, { curve: "X25519MLKEM768" });
      try {
        const { conn, info } = await ourClient(port, set, { crypto });
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
      const { peer, port } = await nodeTlsServer(node!, set, { curve: "X25519MLKEM768" });
      try {
        const { conn, info } = await ourClient(port, set, {
          crypto,
          groups: [NamedGroup.x25519, NamedGroup.X25519MLKEM768],
        });
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
      const peer = nodeTlsClient(node!, server.port, caPem, { curve: "X25519MLKEM768" });
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
      const { peer, port } = await nodeTlsServer(node!, set, { curve: "SecP256r1MLKEM768" });
      try {
        const { conn, info } = await ourClient(port, set, {
          crypto,
          groups: [NamedGroup.SecP256r1MLKEM768],
        });
        assert.equal(info.group, "SecP256r1MLKEM768");
        await talkToNode(conn);
      } finally {
        await peer.kill();
      }
      const server = startEchoServer(await serverConfigFor(set, { crypto }));
      const client = nodeTlsClient(node!, server.port, caPem, { curve: "SecP256r1MLKEM768" });
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
      const { conn, info } = await ourClient(listener.addr.port, set, { crypto });
      assert.equal(info.group, "X25519MLKEM768");
      assert.equal(info.helloRetry, false);
      assert.equal(await echoOnce(conn, "hi\n"), "rustls got hi\n");
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
      assert.equal(await echoOnce(conn, "hello rustls\n"), "hello rustls\n");
      conn.close();
      assert.equal(server.infos[0].group, "X25519MLKEM768");
      assert.equal(server.infos[0].helloRetry, true);
    } finally {
      await server.close();
    }
  });
}
