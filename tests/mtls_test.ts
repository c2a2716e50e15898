/**
 * Client certificates (RFC 8446 §4.3.2, §4.4.2) with real peers, both
 * directions: openssl, GnuTLS, node:tls and Deno's native TLS as clients of
 * `handshake serve --client-ca`, and `handshake connect --cert` against
 * `openssl s_server -Verify` and a node:tls server with requestCert.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { need } from "./helpers/commands.ts";
import { freePort, Peer } from "./helpers/peer.ts";
import { runConnect, startServe } from "./helpers/cli.ts";

const set = await makeCertSet({ client: "alice", dir: true });
const other = await makeCertSet({ client: "mallory", dir: true });
const p = set.paths!;
globalThis.addEventListener("unload", () => {
  Deno.removeSync(p.dir, { recursive: true });
  Deno.removeSync(other.paths!.dir, { recursive: true });
});
const gnutls = await need("GnuTLS client certificates", "gnutls-cli");
const node = await need("node:tls client certificates", "node");

/** `handshake serve --client-ca ... [--require-client-cert]` on a free port. */
function serve(required: boolean) {
  return startServe([
    ...["--cert", p.server, "--key", p.serverKey, "--client-ca", p.ca],
    ...(required ? ["--require-client-cert"] : []),
  ]);
}

/** `handshake connect ARGS` with `input` on stdin, to completion. */
function connect(input: string, ...args: string[]) {
  return runConnect(args, input);
}

Deno.test("mTLS: openssl s_client -cert → serve --require-client-cert names the client", async () => {
  const { peer, port } = await serve(true);
  const client = new Peer("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-CAfile",
    p.ca,
    "-cert",
    p.client!,
    "-key",
    p.clientKey!,
    "-verify_return_error",
  ]);
  try {
    await client.waitFor(/Verify return code: 0/);
    assert.match(
      client.output,
      /Acceptable client certificate CA names\n.*CN = handshake development CA/,
    );
    await client.write("from alice\n");
    // serve sends session tickets, whose dump s_client prints on another stream than the data:
    // the echo can land in the middle of one of its lines.
    await client.waitFor(/from alice$/m);
    await client.closeStdin();
    await client.exited();
    await peer.waitFor(/client "CN=alice,O=handshake development certificate" {2}ok/);
  } finally {
    await client.kill();
    await peer.kill();
  }
});

Deno.test("mTLS: openssl s_client without a certificate gets certificate_required", async () => {
  const { peer, port } = await serve(true);
  const client = new Peer("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-CAfile",
    p.ca,
    "-verify_return_error",
  ]);
  try {
    await client.waitFor(/alert certificate required/);
    await peer.waitFor(
      /the client sent no certificate, and one is required \(sent alert certificate_required\)/,
    );
  } finally {
    await client.kill();
    await peer.kill();
  }
});

Deno.test("mTLS: a client certificate from another CA is refused with unknown_ca", async () => {
  const { peer, port } = await serve(false);
  const client = new Peer("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-CAfile",
    p.ca,
    "-verify_return_error",
    "-cert",
    other.paths!.client!,
    "-key",
    other.paths!.clientKey!,
  ]);
  try {
    await client.waitFor(/alert unknown ca/);
    await peer.waitFor(/CN=mallory.*\(sent alert unknown_ca\)/);
  } finally {
    await client.kill();
    await peer.kill();
  }
});

Deno.test("mTLS: a server certificate (serverAuth only) offered as a client certificate is refused", async () => {
  const { peer, port } = await serve(false);
  const client = new Peer("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-CAfile",
    p.ca,
    "-verify_return_error",
    "-cert",
    p.server,
    "-key",
    p.serverKey,
  ]);
  try {
    await client.waitFor(/alert (bad|unsupported) certificate/);
    await peer.waitFor(/clientAuth/);
  } finally {
    await client.kill();
    await peer.kill();
  }
});

Deno.test({
  name: "mTLS: gnutls-cli --x509certfile → serve --require-client-cert",
  ignore: !gnutls,
  fn: async () => {
    const { peer, port } = await serve(true);
    const client = new Peer("gnutls-cli", [
      "--port",
      String(port),
      "--x509cafile",
      p.ca,
      "--x509certfile",
      p.client!,
      "--x509keyfile",
      p.clientKey!,
      "localhost",
    ]);
    try {
      await client.waitFor(/Handshake was completed/);
      await client.write("from gnutls\n");
      await client.waitFor(/^from gnutls$/m);
      await client.closeStdin();
      await client.exited();
      await peer.waitFor(/client "CN=alice,O=handshake development certificate" {2}ok/);
    } finally {
      await client.kill();
      await peer.kill();
    }
  },
});

Deno.test("mTLS: Deno.connectTls with cert and key → serve --require-client-cert", async () => {
  const { peer, port } = await serve(true);
  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port,
      caCerts: [set.ca.certificatePem],
      cert: set.clientChainPem!,
      key: set.client!.privateKeyPem,
    });
    await conn.write(new TextEncoder().encode("from rustls\n"));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    assert.equal(new TextDecoder().decode(buf.subarray(0, n!)), "from rustls\n");
    conn.close();
    await peer.waitFor(/client "CN=alice,O=handshake development certificate"/);
  } finally {
    await peer.kill();
  }
});

Deno.test({
  name: "mTLS: node:tls client with a certificate → serve --require-client-cert",
  ignore: !node,
  fn: async () => {
    const { peer, port } = await serve(true);
    const script = `
      const tls = require("node:tls");
      const s = tls.connect({ host: "127.0.0.1", port: ${port}, servername: "localhost",
        ca: process.env.CA, cert: process.env.CERT, key: process.env.KEY }, () => s.write("from node\\n"));
      s.on("data", (d) => { process.stdout.write("echo " + d); s.end(); });
      s.on("error", (e) => { console.log("error", e.message); process.exit(1); });`;
    const client = new Peer("node", ["-e", script], {
      env: { CA: set.ca.certificatePem, CERT: set.clientChainPem!, KEY: set.client!.privateKeyPem },
    });
    try {
      assert.equal((await client.exited()).code, 0, client.output);
      assert.match(client.output, /echo from node/);
      await peer.waitFor(/client "CN=alice,O=handshake development certificate" {2}ok/);
    } finally {
      await client.kill();
      await peer.kill();
    }
  },
});

Deno.test("mTLS: connect --cert → openssl s_server -Verify 1", async () => {
  const port = freePort();
  const server = new Peer("openssl", [
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-cert",
    p.server,
    "-key",
    p.serverKey,
    "-Verify",
    "1",
    "-CAfile",
    p.ca,
    "-verify_return_error",
    "-tls1_3",
    "-rev",
  ]);
  try {
    await server.waitFor(/ACCEPT/);
    const r = await connect(
      "abc\n",
      `localhost:${port}`,
      "--ca",
      p.ca,
      "--cert",
      p.client!,
      "--key",
      p.clientKey!,
    );
    assert.equal(r.stdout, "cba\n");
    await server.waitFor(/client certificate|CN ?= ?alice/i);
    assert.match(server.output, /alice/);
  } finally {
    await server.kill();
  }
});

Deno.test("mTLS: connect without --cert to a server that requires one: certificate_required, with a hint", async () => {
  const { peer, port } = await serve(true);
  try {
    const r = await connect("x\n", `localhost:${port}`, "--ca", p.ca);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /the server sent alert certificate_required \(the server wants a client certificate: pass --cert and --key\)/,
    );
  } finally {
    await peer.kill();
  }
});

Deno.test({
  name: "mTLS: connect --cert → node:tls server with requestCert and rejectUnauthorized",
  ignore: !node,
  fn: async () => {
    const script = `
      const tls = require("node:tls");
      const srv = tls.createServer({ cert: process.env.CERT, key: process.env.KEY, ca: process.env.CA,
        requestCert: true, rejectUnauthorized: true }, (s) => {
        console.log("client " + s.getPeerCertificate().subject.CN + " authorized " + s.authorized);
        s.on("data", (d) => s.write("node got " + d));
        s.on("end", () => { s.end(); srv.close(); });
      });
      srv.listen(0, "127.0.0.1", () => console.log("port " + srv.address().port));`;
    const server = new Peer("node", ["-e", script], {
      env: { CERT: set.serverChainPem, KEY: set.server.privateKeyPem, CA: set.ca.certificatePem },
    });
    try {
      const port = (await server.waitFor(/port (\d+)/))[1];
      const r = await connect(
        "hi\n",
        `localhost:${port}`,
        "--ca",
        p.ca,
        "--cert",
        p.client!,
        "--key",
        p.clientKey!,
        "-q",
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "node got hi\n");
      await server.waitFor(/client alice authorized true/);
    } finally {
      await server.kill();
    }
  },
});
