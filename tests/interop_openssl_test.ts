/**
 * Interop with OpenSSL 3.0 on loopback, both directions: `openssl s_server`
 * against our client and `openssl s_client` against our server, for every
 * group and suite, a HelloRetryRequest each way, data both ways and a clean
 * close.
 */

import assert from "node:assert/strict";
import { startEchoServer } from "./helpers/echo_server.ts";
import { NamedGroup } from "../lib/codepoints.ts";
import { AlertDescription, PeerAlert } from "../lib/errors.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { echoOnce, ourClient, serverConfigFor } from "./helpers/pair.ts";
import {
  echoThroughPeer,
  OPENSSL_VERIFIED,
  opensslClient,
  opensslServer,
  Peer,
} from "./helpers/peer.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const paths = set.paths!;
const OPENSSL_GROUPS = { x25519: "X25519", secp256r1: "P-256", secp384r1: "P-384" } as const;
const SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"] as const;

for (const [rfc, ossl] of Object.entries(OPENSSL_GROUPS)) {
  for (const suite of SUITES) {
    Deno.test(`openssl s_server ← our client: ${rfc}, ${suite}`, async () => {
      const { peer, port } = await opensslServer(paths, { groups: ossl, suites: suite });
      try {
        const { conn, info } = await ourClient(port, set);
        assert.equal(info.group, rfc);
        assert.equal(info.cipherSuite, suite);
        assert.equal((await echoOnce(conn, "hello openssl\n")).trim(), "lssnepo olleh");
        await conn.close();
        await peer.waitFor(/CONNECTION CLOSED|DONE/);
        assert.match(peer.output, /Protocol version: TLSv1.3/);
        assert.match(peer.output, new RegExp(`Ciphersuite: ${suite}`));
      } finally {
        await peer.kill();
      }
    });
  }
}

Deno.test("openssl s_server ← our client: HelloRetryRequest for P-384", async () => {
  const { peer, port } = await opensslServer(paths, { groups: "P-384" });
  try {
    const { conn, info } = await ourClient(port, set);
    assert.equal(info.helloRetry, true);
    assert.equal(info.group, "secp384r1");
    assert.equal((await echoOnce(conn, "retry\n")).trim(), "yrter");
    await conn.close();
  } finally {
    await peer.kill();
  }
});

Deno.test("openssl s_server ← our client: a TLS 1.2-only server refuses us with protocol_version", async () => {
  const { peer, port } = await opensslServer(paths, { version: "1.2" });
  try {
    const err = await ourClient(port, set).then(() => undefined, (e) => e);
    assert.ok(err instanceof PeerAlert, String(err));
    assert.equal(err.alert, AlertDescription.protocol_version);
    await peer.waitFor(/unsupported protocol|wrong version/i);
  } finally {
    await peer.kill();
  }
});

/** Our echo server with the test certificate. */
async function ourServer(extra: Parameters<typeof serverConfigFor>[1] = {}) {
  return startEchoServer(await serverConfigFor(set, extra));
}

/** Runs `openssl s_client` against `port`, sends a line, waits for its echo, then ends stdin. */
function sClient(port: number, ...extra: string[]): Promise<Peer> {
  return echoThroughPeer(
    opensslClient(port, paths, { extra }),
    OPENSSL_VERIFIED,
    "hello from openssl",
  );
}

for (const [rfc, ossl] of Object.entries(OPENSSL_GROUPS)) {
  for (const suite of SUITES) {
    Deno.test(`openssl s_client → our server: ${rfc}, ${suite}`, async () => {
      const server = await ourServer();
      try {
        const peer = await sClient(server.port, "-groups", ossl, "-ciphersuites", suite);
        assert.match(peer.output, /New, TLSv1.3, Cipher is /);
        assert.match(peer.output, new RegExp(suite));
        assert.equal(server.infos.length, 1);
        assert.equal(server.infos[0].group, rfc);
        assert.equal(server.infos[0].cipherSuite, suite);
        assert.equal(server.infos[0].helloRetry, false);
      } finally {
        await server.close();
      }
    });
  }
}

Deno.test("openssl s_client → our server: no HelloRetryRequest when its one share is for a group we take", async () => {
  const server = await ourServer({ groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
  try {
    // s_client sends a key share for its first group only (P-256); the server would rather have
    // x25519, but asking again costs a round trip, so it takes the share it has (RFC 8446 §4.2.8).
    const peer = await sClient(server.port, "-groups", "P-256:X25519", "-msg");
    assert.equal(server.infos[0].helloRetry, false);
    assert.equal(server.infos[0].group, "secp256r1");
    assert.equal(
      peer.output.match(/<<< TLS 1.3, Handshake \[length [0-9a-f]+\], ServerHello/g)?.length,
      1,
    );
    assert.match(peer.output, /Server Temp Key: ECDH, prime256v1/);
  } finally {
    await server.close();
  }
});

Deno.test("openssl s_client → our server: HelloRetryRequest when its one share is for a group we do not take", async () => {
  const server = await ourServer({ groups: [NamedGroup.x25519] });
  try {
    const peer = await sClient(server.port, "-groups", "P-256:X25519", "-msg");
    assert.equal(server.infos[0].helloRetry, true);
    assert.equal(server.infos[0].group, "x25519");
    assert.equal(
      peer.output.match(/>>> TLS 1.3, Handshake \[length [0-9a-f]+\], ClientHello/g)?.length,
      2,
    );
  } finally {
    await server.close();
  }
});

Deno.test("openssl s_client → our server: a TLS 1.2-only client gets protocol_version", async () => {
  const server = await ourServer();
  try {
    const peer = new Peer("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${server.port}`,
      "-tls1_2",
    ]);
    await peer.closeStdin();
    await peer.exited();
    assert.match(peer.output, /alert protocol version/);
    assert.match(server.errors[0]?.message ?? "", /offers only TLS 1.2/);
  } finally {
    await server.close();
  }
});

Deno.test("openssl s_client → our server: messages and records fragmented by the client", async () => {
  const server = await ourServer();
  try {
    await sClient(server.port, "-split_send_frag", "1", "-max_send_frag", "512");
    assert.equal(server.infos.length, 1);
  } finally {
    await server.close();
  }
});
