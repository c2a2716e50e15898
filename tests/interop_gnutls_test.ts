/**
 * Interop with GnuTLS 3.7 on loopback, both directions: `gnutls-serv --echo`
 * against our client and `gnutls-cli` against our server, with each group
 * and suite forced through GnuTLS priority strings, and a HelloRetryRequest.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { need } from "./helpers/commands.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { echoOnce, ourClient, serverConfigFor } from "./helpers/pair.ts";
import {
  echoThroughPeer,
  GNUTLS_DONE,
  gnutlsClient,
  gnutlsPriority,
  gnutlsServer,
} from "./helpers/peer.ts";
import { NamedGroup } from "../lib/codepoints.ts";

const ok = await need("GnuTLS interop", "gnutls-serv", "gnutls-cli");
const set = await makeCertSet({ dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));

const GROUPS = {
  x25519: "GROUP-X25519",
  secp256r1: "GROUP-SECP256R1",
  secp384r1: "GROUP-SECP384R1",
};
const SUITES = { TLS_AES_128_GCM_SHA256: "AES-128-GCM", TLS_AES_256_GCM_SHA384: "AES-256-GCM" };

/** A GnuTLS priority string allowing only TLS 1.3 with one group and one cipher. */
function priority(group: string, cipher: string): string {
  return gnutlsPriority("-GROUP-ALL", `+${group}`, "-CIPHER-ALL", `+${cipher}`);
}

for (const [rfcGroup, gGroup] of Object.entries(GROUPS)) {
  for (const [suite, cipher] of Object.entries(SUITES)) {
    Deno.test({
      name: `gnutls-serv ← our client: ${rfcGroup}, ${suite}`,
      ignore: !ok,
      fn: async () => {
        const { peer, port } = await gnutlsServer(set.paths!, priority(gGroup, cipher));
        try {
          const { conn, info } = await ourClient(port, set);
          assert.equal(info.group, rfcGroup);
          assert.equal(info.cipherSuite, suite);
          // Our first key share is x25519: any other group takes a HelloRetryRequest.
          assert.equal(info.helloRetry, rfcGroup !== "x25519");
          assert.equal(await echoOnce(conn, "hello gnutls\n"), "hello gnutls\n");
          await conn.close();
        } finally {
          await peer.kill();
        }
      },
    });

    Deno.test({
      name: `gnutls-cli → our server: ${rfcGroup}, ${suite}`,
      ignore: !ok,
      fn: async () => {
        const server = startEchoServer(await serverConfigFor(set));
        const peer = gnutlsClient(server.port, set.paths!, priority(gGroup, cipher));
        try {
          await echoThroughPeer(peer, GNUTLS_DONE, "hello from gnutls");
          assert.match(peer.output, /Description: \(TLS1\.3[^)]*\)/);
          assert.equal(server.infos.length, 1);
          assert.equal(server.infos[0].group, rfcGroup);
          assert.equal(server.infos[0].cipherSuite, suite);
          assert.equal(server.infos[0].serverName, "localhost");
        } finally {
          await peer.kill();
          await server.close();
        }
      },
    });
  }
}

Deno.test({
  name: "gnutls-cli → our server: HelloRetryRequest when its first share is not our choice",
  ignore: !ok,
  fn: async () => {
    const server = startEchoServer(await serverConfigFor(set, { groups: [NamedGroup.secp384r1] }));
    const peer = gnutlsClient(server.port, set.paths!, gnutlsPriority());
    try {
      await peer.waitFor(GNUTLS_DONE);
      await peer.closeStdin();
      await peer.exited();
      assert.equal(server.infos[0].helloRetry, true);
      assert.equal(server.infos[0].group, "secp384r1");
    } finally {
      await peer.kill();
      await server.close();
    }
  },
});
