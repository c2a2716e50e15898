/**
 * What the strict checker sees of `handshake serve` over TCP: a
 * ClientHello with legacy_version SSL 3.0 (RFC 8446 Appendix D.5) and an
 * encrypted alert with no content (§5.4) each get their alert, and the
 * server's line names the reason.
 */

import assert from "node:assert/strict";
import { ContentType } from "../lib/codepoints.ts";
import { AlertDescription, PeerAlert } from "../lib/errors.ts";
import { startServe } from "./helpers/cli.ts";
import { makeCertSet, verifierFor } from "./helpers/certs.ts";
import { clientHelloRecord, Probe, sealerFor, validClientHello } from "./helpers/hostile.ts";

const set = await makeCertSet({ dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const serveArgs = ["--cert", set.paths!.server, "--key", set.paths!.serverKey];

/** Everything the server sends until it closes. */
async function readAll(sock: Deno.Conn): Promise<Uint8Array> {
  const out: number[] = [];
  const buf = new Uint8Array(1 << 16);
  for (let n = await sock.read(buf); n !== null; n = await sock.read(buf)) {
    out.push(...buf.subarray(0, n));
  }
  return Uint8Array.from(out);
}

Deno.test("serve: a ClientHello with legacy_version SSL 3.0 gets protocol_version", async () => {
  const server = await startServe(serveArgs);
  const sock = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await sock.write(clientHelloRecord({ ...await validClientHello(), legacyVersion: 0x0300 }));
    assert.deepEqual([...await readAll(sock)], [
      21,
      3,
      3,
      0,
      2,
      2,
      AlertDescription.protocol_version,
    ]);
    await server.peer.waitFor(
      /failed: the ClientHello's legacy_version is SSL 3\.0; SSL 3\.0 and older are refused \(sent alert protocol_version\)/,
    );
  } finally {
    sock.close();
    await server.peer.kill();
  }
});

Deno.test("serve: an encrypted alert with no content gets unexpected_message", async () => {
  const server = await startServe(serveArgs);
  const sock = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const client = await Probe.client({ verifier: verifierFor(set) });
    const buf = new Uint8Array(1 << 16);
    while (!client.conn.handshakeInfo && !client.error) {
      await sock.write(client.takeSent());
      const n = await sock.read(buf);
      assert.ok(n !== null, "the server closed the connection during the handshake");
      await client.feed(buf.slice(0, n));
    }
    await sock.write(client.takeSent());
    const seal = await sealerFor(client, "client");
    await sock.write(await seal(ContentType.alert, new Uint8Array(0)));
    await client.feed(await readAll(sock));
    assert.ok(
      client.error instanceof PeerAlert && client.error.alertName === "unexpected_message",
      `${client.error}`,
    );
    await server.peer.waitFor(
      /failed: received an empty alert record \(sent alert unexpected_message\)/,
    );
  } finally {
    sock.close();
    await server.peer.kill();
  }
});
