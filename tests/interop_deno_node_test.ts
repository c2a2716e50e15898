/**
 * Interop with Deno's native TLS (rustls) and Node 20's `tls` module on
 * loopback, both directions, with certificate verification on both sides.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { echoOnce, ourClient, serverConfigFor } from "./helpers/pair.ts";
import { nodeTlsClient, nodeTlsServer } from "./helpers/node26.ts";
import { rustlsServer } from "./helpers/peer.ts";
import { have } from "./helpers/commands.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const caPem = set.ca.certificatePem;

Deno.test("Deno.connectTls → our server: verified handshake, data both ways, clean close", async () => {
  const server = startEchoServer(await serverConfigFor(set, { alpn: ["h2", "http/1.1"] }));
  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: server.port,
      caCerts: [caPem],
      alpnProtocols: ["http/1.1"],
    });
    const hs = await conn.handshake();
    assert.equal(hs.alpnProtocol, "http/1.1");
    assert.equal(await echoOnce(conn, "hello rustls\n"), "hello rustls\n");
    await conn.closeWrite();
    assert.equal(
      await conn.read(new Uint8Array(10)),
      null,
      "our server answers close_notify with close_notify",
    );
    conn.close();
    assert.equal(server.infos[0].alpn, "http/1.1");
    assert.equal(server.infos[0].serverName, "localhost");
  } finally {
    await server.close();
  }
});

Deno.test("Deno.connectTls → our server over IPv6 with an IP SAN and no SNI", async () => {
  const server = startEchoServer(await serverConfigFor(set), "::1");
  try {
    const conn = await Deno.connectTls({ hostname: "::1", port: server.port, caCerts: [caPem] });
    await conn.handshake();
    assert.equal(await echoOnce(conn, "v6\n"), "v6\n");
    conn.close();
    assert.equal(server.infos[0].serverName, undefined, "no SNI for an IP address");
  } finally {
    await server.close();
  }
});

Deno.test("our client → Deno.listenTls: handshake, data both ways, close_notify", async () => {
  const rustls = rustlsServer(set, { alpn: ["h2"] });
  try {
    const { conn, info } = await ourClient(rustls.port, set, { alpn: ["h2"] });
    assert.equal(info.alpn, "h2");
    assert.equal(await echoOnce(conn, "ping"), "rustls got ping");
    await conn.closeWrite();
    await rustls.served;
    conn.close();
  } finally {
    rustls.close();
  }
});

const node = await have("node");

Deno.test({
  name: "node:tls client → our server, verifying against the CA",
  ignore: !node,
  fn: async () => {
    const server = startEchoServer(await serverConfigFor(set));
    const peer = nodeTlsClient("node", server.port, caPem);
    try {
      const status = await peer.exited();
      assert.equal(status.code, 0, peer.output);
      assert.match(peer.output, /connected v\S+ TLSv1\.3 TLS_AES_128_GCM_SHA256 authorized=true/);
      assert.match(peer.output, /echo from node/);
      assert.match(peer.output, /end/);
    } finally {
      await peer.kill();
      await server.close();
    }
  },
});

Deno.test({
  name: "our client → node:tls server that accepts only P-384 (HelloRetryRequest)",
  ignore: !node,
  fn: async () => {
    const { peer, port } = await nodeTlsServer("node", set, { curve: "P-384", once: true });
    try {
      const { conn, info } = await ourClient(port, set);
      // Node accepts only P-384 while our first key share is x25519: a HelloRetryRequest.
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
