/**
 * Interop with GnuTLS 3.7 on loopback, both directions: `gnutls-serv --echo`
 * against our client and `gnutls-cli` against our server, with each group
 * and suite forced through GnuTLS priority strings, and a HelloRetryRequest.
 */

import assert from "node:assert/strict";
import { connect } from "../lib/net.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { need } from "./helpers/commands.ts";
import { startEchoServer } from "./helpers/echo_server.ts";
import { acceptAnything, serverConfigFor } from "./helpers/pair.ts";
import { freePort, Peer, utf8, waitForPort } from "./helpers/peer.ts";
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
  return `NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+${group}:-CIPHER-ALL:+${cipher}`;
}

for (const [rfcGroup, gGroup] of Object.entries(GROUPS)) {
  for (const [suite, cipher] of Object.entries(SUITES)) {
    Deno.test({
      name: `gnutls-serv ← our client: ${rfcGroup}, ${suite}`,
      ignore: !ok,
      fn: async () => {
        const port = freePort();
        const peer = new Peer("gnutls-serv", [
          "--echo",
          "--port",
          String(port),
          "--x509certfile",
          set.paths!.server,
          "--x509keyfile",
          set.paths!.serverKey,
          "--priority",
          priority(gGroup, cipher),
        ]);
        try {
          await peer.waitFor(/Echo Server listening|ready/i);
          await waitForPort(port);
          const conn = await connect({
            hostname: "127.0.0.1",
            port,
            serverName: "localhost",
            verifier: acceptAnything,
          });
          const info = await conn.handshake();
          assert.equal(info.group, rfcGroup);
          assert.equal(info.cipherSuite, suite);
          // Our first key share is x25519: any other group takes a HelloRetryRequest.
          assert.equal(info.helloRetry, rfcGroup !== "x25519");
          await conn.write(new TextEncoder().encode("hello gnutls\n"));
          const buf = new Uint8Array(100);
          let got = "";
          while (!got.includes("\n")) got += utf8(buf.subarray(0, (await conn.read(buf))!));
          assert.equal(got, "hello gnutls\n");
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
        const peer = new Peer("gnutls-cli", [
          "--port",
          String(server.port),
          "--x509cafile",
          set.paths!.ca,
          "--priority",
          priority(gGroup, cipher),
          "localhost",
        ]);
        try {
          await peer.waitFor(/Handshake was completed/);
          await peer.write("hello from gnutls\n");
          await peer.waitFor(/^hello from gnutls$/m);
          await peer.closeStdin();
          await peer.exited();
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
    const peer = new Peer("gnutls-cli", [
      "--port",
      String(server.port),
      "--x509cafile",
      set.paths!.ca,
      "--priority",
      "NORMAL:-VERS-ALL:+VERS-TLS1.3",
      "localhost",
    ]);
    try {
      await peer.waitFor(/Handshake was completed/);
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
