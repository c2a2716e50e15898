/**
 * Interop with Deno's native TLS (rustls) and Node 20's `tls` module on
 * loopback, both directions, with certificate verification on both sides.
 */

import assert from "node:assert/strict";
import { connect } from "../lib/net.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { acceptAnything, serverConfigFor } from "./helpers/pair.ts";
import { Peer, utf8 } from "./helpers/peer.ts";
import { have } from "./helpers/commands.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const caPem = set.ca.certificatePem;
const encode = (s: string) => new TextEncoder().encode(s);

async function readAll(
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
    await conn.write(encode("hello rustls\n"));
    assert.equal(await readAll(conn, "\n"), "hello rustls\n");
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
    await conn.write(encode("v6\n"));
    assert.equal(await readAll(conn, "\n"), "v6\n");
    conn.close();
    assert.equal(server.infos[0].serverName, undefined, "no SNI for an IP address");
  } finally {
    await server.close();
  }
});

Deno.test("our client → Deno.listenTls: handshake, data both ways, close_notify", async () => {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: set.serverChainPem,
    key: set.server.privateKeyPem,
    alpnProtocols: ["h2"],
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
    const conn = await connect({
      hostname: "127.0.0.1",
      port: listener.addr.port,
      serverName: "localhost",
      verifier: acceptAnything,
      alpn: ["h2"],
    });
    const info = await conn.handshake();
    assert.equal(info.alpn, "h2");
    await conn.write(encode("ping"));
    assert.equal(await readAll(conn, "ping"), "rustls got ping");
    await conn.closeWrite();
    await served;
    conn.close();
  } finally {
    listener.close();
  }
});

const node = await have("node");

Deno.test({
  name: "node:tls client → our server, verifying against the CA",
  ignore: !node,
  fn: async () => {
    const server = startEchoServer(await serverConfigFor(set));
    const script = `
      const tls = require("node:tls");
      const s = tls.connect({ host: "127.0.0.1", port: ${server.port}, servername: "localhost",
        ca: process.env.CA, minVersion: "TLSv1.3" }, () => {
        console.log("connected", s.getProtocol(), s.getCipher().standardName, s.authorized);
        s.write("from node\\n");
      });
      s.on("data", (d) => { process.stdout.write("echo " + d); s.end(); });
      s.on("end", () => console.log("end"));
      s.on("error", (e) => { console.log("error", e.message); process.exit(1); });`;
    const peer = new Peer("node", ["-e", script], { env: { CA: caPem } });
    try {
      const status = await peer.exited();
      assert.equal(status.code, 0, peer.output);
      assert.match(peer.output, /connected TLSv1.3 TLS_AES_128_GCM_SHA256 true/);
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
    const script = `
      const tls = require("node:tls");
      const srv = tls.createServer({ cert: process.env.CERT, key: process.env.KEY, minVersion: "TLSv1.3",
        ecdhCurve: "P-384" }, (s) => {
        s.on("data", (d) => s.write("node got " + d));
        s.on("end", () => { s.end(); srv.close(); });
      });
      srv.listen(0, "127.0.0.1", () => console.log("port " + srv.address().port));`;
    const peer = new Peer("node", ["-e", script], {
      env: { CERT: set.serverChainPem, KEY: set.server.privateKeyPem },
    });
    try {
      const port = Number((await peer.waitFor(/port (\d+)/))[1]);
      const conn = await connect({
        hostname: "127.0.0.1",
        port,
        serverName: "localhost",
        verifier: acceptAnything,
      });
      const info = await conn.handshake();
      // Node accepts only P-384 while our first key share is x25519: a HelloRetryRequest.
      assert.equal(info.group, "secp384r1");
      assert.equal(info.helloRetry, true);
      await conn.write(encode("hi"));
      assert.equal(await readAll(conn, "hi"), "node got hi");
      await conn.closeWrite();
      assert.equal(await conn.read(new Uint8Array(10)), null);
      conn.close();
      assert.equal((await peer.exited()).code, 0, peer.output);
    } finally {
      await peer.kill();
    }
  },
});
