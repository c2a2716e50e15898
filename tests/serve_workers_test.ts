/**
 * `serve --workers N`: N workers, each its own engine and listener on one
 * port (SO_REUSEPORT). Real clients on loopback; the connection lines say
 * which worker served each, and Ctrl-C (SIGINT) stops them all cleanly.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { PERMISSIONS } from "./helpers/cli.ts";
import { MAIN } from "./helpers/commands.ts";
import { Peer } from "./helpers/peer.ts";
import { runHandshake } from "./helpers/cli.ts";

const set = await makeCertSet({ dir: true });
const paths = set.paths!;
globalThis.addEventListener("unload", () => Deno.removeSync(paths.dir, { recursive: true }));

/** `handshake serve --workers N` as `deno task serve` runs it (with --unstable-net). */
function serveWorkers(n: number, ...args: string[]): Peer {
  return new Peer(Deno.execPath(), [
    "run",
    "--unstable-net",
    ...PERMISSIONS,
    MAIN,
    "serve",
    "--port",
    "0",
    "--cert",
    paths.server,
    "--key",
    paths.serverKey,
    "--workers",
    String(n),
    ...args,
  ]);
}

/** One echo over Deno's own TLS client: the byte comes back. */
async function echoOnce(port: number): Promise<void> {
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port,
    caCerts: [await Deno.readTextFile(paths.ca)],
  });
  try {
    await conn.write(new Uint8Array([0x78]));
    const got = new Uint8Array(1);
    assert.equal(await conn.read(got), 1);
    assert.equal(got[0], 0x78);
  } finally {
    conn.close();
  }
}

Deno.test("serve --workers 2: both workers serve connections, Ctrl-C stops both, exit 0", async () => {
  const server = serveWorkers(2);
  try {
    const m = await server.waitFor(/listening on 127\.0\.0\.1:(\d+) \(echo, 2 workers/, 20_000);
    const port = Number(m[1]);
    // The kernel spreads connections by hashing their addresses: a few dozen reach both.
    for (
      let i = 0;
      i < 64 && !/worker=1/.test(server.output) || !/worker=2/.test(server.output);
      i++
    ) {
      await echoOnce(port);
      await new Promise((r) => setTimeout(r, 20));
    }
    await server.waitFor(/ok, echoed 1 bytes .*worker=1/);
    await server.waitFor(/ok, echoed 1 bytes .*worker=2/);
    Deno.kill(server.pid, "SIGINT");
    const status = await server.exited(15_000);
    assert.equal(status.code, 0, server.output);
  } finally {
    await server.kill();
  }
});

Deno.test("serve --workers: refused where it cannot work, with what to do", async () => {
  const chat = await runHandshake(["serve", "--workers", "2", "--mode", "chat"]);
  assert.equal(chat.code, 2);
  assert.match(chat.stderr, /--mode chat runs in one worker \(leave out --workers\)/);
  // RFC 8446 §8.1: one record of used tickets, or 0-RTT could be replayed once per worker.
  const early = await runHandshake(["serve", "--workers", "2", "--early-data", "1024"]);
  assert.equal(early.code, 2);
  assert.match(early.stderr, /--early-data needs one worker: .*once per worker/);
  // Without --unstable-net, Deno has no SO_REUSEPORT.
  const unstable = await runHandshake(["serve", "--workers", "2", "--port", "0"]);
  assert.equal(unstable.code, 2);
  assert.match(unstable.stderr, /--workers needs Deno's --unstable-net/);
  const zero = await runHandshake(["serve", "--workers", "0"]);
  assert.equal(zero.code, 2);
});
