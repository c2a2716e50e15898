/**
 * What the strict checker sees of `handshake serve` over TCP: a
 * ClientHello with legacy_version SSL 3.0 (RFC 8446 Appendix D.5) and an
 * encrypted alert with no content (§5.4) each get their alert, and the
 * server's line names the reason.
 */

import assert from "node:assert/strict";
import { ContentType } from "../lib/codepoints.ts";
import { AlertDescription, PeerAlert } from "../lib/errors.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { startServe } from "./helpers/cli.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { clientHelloRecord, sealerFor, validClientHello } from "./helpers/hostile.ts";
import { handshakeOver } from "./helpers/pair.ts";

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
  const trace: TraceEvent[] = [];
  try {
    const client = await handshakeOver(sock, set, { trace: (e) => trace.push(e) });
    const seal = await sealerFor(trace, "client");
    await sock.write(await seal(ContentType.alert, new Uint8Array(0)));
    await assert.rejects(client.receive(await readAll(sock)), (e) => {
      assert.ok(e instanceof PeerAlert && e.alertName === "unexpected_message", `${e}`);
      return true;
    });
    await server.peer.waitFor(
      /failed: received an empty alert record \(sent alert unexpected_message\)/,
    );
  } finally {
    sock.close();
    await server.peer.kill();
  }
});
