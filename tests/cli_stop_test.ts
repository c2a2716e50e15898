/**
 * Stopping `handshake serve` with signals, as a person does with Ctrl-C:
 * real SIGINT/SIGTERM to a real server with real clients connected (echo and
 * chat), each client seeing close_notify and exiting cleanly; a second
 * signal ends the server at once.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { handshakeProcess, startServe } from "./helpers/cli.ts";
import { need } from "./helpers/commands.ts";
import { Peer } from "./helpers/peer.ts";
import { connect } from "../lib/net.ts";
import { loadTrustAnchors } from "../lib/deno/trust_files.ts";
import { PathVerifier } from "../lib/x509/verify.ts";

const hasSetsid = await need("Ctrl-C to `deno task serve` in a terminal's process group", "setsid");
const ROOT = new URL("..", import.meta.url).pathname;
const set = await makeCertSet({ dir: true });
const paths = set.paths!;
globalThis.addEventListener("unload", () => Deno.removeSync(paths.dir, { recursive: true }));

function serve(...args: string[]) {
  return startServe(["--cert", paths.server, "--key", paths.serverKey, ...args]);
}

/** A `handshake connect` that stays connected (its stdin stays open), once it has connected. */
async function client(port: number) {
  const peer = handshakeProcess(["connect", `localhost:${port}`, "--ca", paths.ca]);
  await peer.waitFor(/connected to localhost/);
  return peer;
}

const noStackTrace = (text: string) => assert.doesNotMatch(text, /^\s+at |Uncaught/m, text);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`stop: ${signal} to an echo server with two clients: close_notify to each, clean exits`, async () => {
    const server = await serve();
    const clients = [await client(server.port), await client(server.port)];
    try {
      await clients[0].write("still here\n");
      await clients[0].waitFor(/still here/);
      const started = Date.now();
      Deno.kill(server.peer.pid, signal);
      await server.peer.waitFor(/stopping: 2 connections open \(sending close_notify/);
      for (const c of clients) {
        const status = await c.exited(10_000);
        // Exit status 0 is connect's word for "the server closed cleanly, with close_notify".
        assert.equal(status.code, 0, c.output);
        assert.match(c.output, /the server closed the connection \(close_notify\)/);
        noStackTrace(c.output);
      }
      const status = await server.peer.exited(10_000);
      assert.equal(status.code, 0, server.peer.output);
      // The grace period is 3 s; a client that did not close would have kept it waiting for ever.
      assert.ok(Date.now() - started < 8_000, "stopped within the grace period");
      noStackTrace(server.peer.output);
      assert.match(server.peer.output, /ok, echoed 11 bytes, closed as the server stopped/);
    } finally {
      await Promise.all([server.peer.kill(), ...clients.map((c) => c.kill())]);
    }
  });
}

Deno.test("stop: SIGINT to a chat server with two chat clients ends both sessions cleanly", async () => {
  const server = await serve("--mode", "chat");
  const clients = [await client(server.port), await client(server.port)];
  try {
    // A client prints "connected" once its Finished is sent; the room has it once the server
    // has read that Finished and welcomed it.
    await clients[1].waitFor(/you are client #2/);
    await clients[0].write("hello room\n");
    await clients[1].waitFor(/client #1: hello room/);
    Deno.kill(server.peer.pid, "SIGINT");
    await server.peer.waitFor(/stopping: 2 connections open/);
    for (const c of clients) {
      assert.equal((await c.exited(10_000)).code, 0, c.output);
      noStackTrace(c.output);
    }
    assert.equal((await server.peer.exited(10_000)).code, 0, server.peer.output);
    assert.match(server.peer.output, /ok, chat, 1 line, closed as the server stopped/);
    noStackTrace(server.peer.output);
  } finally {
    await Promise.all([server.peer.kill(), ...clients.map((c) => c.kill())]);
  }
});

/**
 * A client that sends without ever reading: the server's echo blocks on a
 * full socket, so its close_notify cannot be written and the connection
 * does not end by itself.
 */
async function stuckClient(port: number) {
  const conn = await connect({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    verifier: new PathVerifier(await loadTrustAnchors(paths.ca)),
  });
  await conn.handshake();
  const chunk = new Uint8Array(1 << 16);
  const writing = (async () => {
    for (let i = 0; i < 1024; i++) await conn.write(chunk);
  })().catch(() => {});
  await new Promise((r) => setTimeout(r, 500)); // long enough to fill both socket buffers
  return { close: async () => (await conn.close().catch(() => {}), await writing) };
}

Deno.test("stop: a connection that cannot end is dropped after the grace period", async () => {
  const server = await serve();
  const stuck = await stuckClient(server.port);
  try {
    const started = Date.now();
    Deno.kill(server.peer.pid, "SIGTERM");
    await server.peer.waitFor(/stopping: 1 connection open/);
    const status = await server.peer.exited(15_000);
    const took = Date.now() - started;
    assert.equal(status.code, 0, server.peer.output);
    assert.match(server.peer.output, /1 connection did not end within 3 s; exiting/);
    assert.ok(took >= 2_500 && took < 8_000, `exits after the 3 s grace period, took ${took} ms`);
    noStackTrace(server.peer.output);
  } finally {
    await stuck.close();
    await server.peer.kill();
  }
});

Deno.test("stop: a second SIGINT exits at once", async () => {
  const server = await serve();
  const stuck = await stuckClient(server.port);
  try {
    Deno.kill(server.peer.pid, "SIGINT");
    await server.peer.waitFor(/stopping: 1 connection open \(.*SIGINT again exits at once\)/);
    await new Promise((r) => setTimeout(r, 1500)); // a person's second press, not a repeat of the first
    const started = Date.now();
    Deno.kill(server.peer.pid, "SIGINT");
    const status = await server.peer.exited(10_000);
    assert.ok(Date.now() - started < 2_000, "at once, not after the grace period");
    assert.equal(status.code, 130);
    assert.match(server.peer.output, /SIGINT again: exiting now/);
    noStackTrace(server.peer.output);
  } finally {
    await stuck.close();
    await server.peer.kill();
  }
});

Deno.test({
  name:
    "stop: Ctrl-C to `deno task serve` (SIGINT to the whole process group, as a terminal sends it)",
  ignore: !hasSetsid,
  async fn() {
    // A session of its own, so that the signal reaches the task runner and the server, as in a
    // terminal; the task runner passes it on too, and the server must still stop gracefully.
    const task = new Peer("setsid", [
      ...[Deno.execPath(), "task", "serve", "--port", "0"],
      ...["--cert", paths.server, "--key", paths.serverKey],
    ], { cwd: ROOT, env: { NO_COLOR: "1" } });
    try {
      const port = Number((await task.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
      const c = await client(port);
      try {
        Deno.kill(-task.pid, "SIGINT");
        await task.waitFor(/stopping: 1 connection open/);
        assert.equal((await c.exited(10_000)).code, 0, c.output);
        assert.match(c.output, /the server closed the connection \(close_notify\)/);
        await task.exited(10_000);
        assert.doesNotMatch(task.output, /again: exiting now/, "one Ctrl-C is not two");
        assert.match(task.output, /closed as the server stopped/);
        noStackTrace(task.output);
      } finally {
        await c.kill();
      }
    } finally {
      await task.kill();
    }
  },
});
