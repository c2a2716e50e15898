/**
 * Peers that do not play along after the connection is set up, against
 * the `serve` loop (in this process, so that Deno's sanitizers see any timer
 * or socket left behind) and the library's listener: a client that keeps
 * sending after our fatal alert still reads that alert (RFC 8446 §6.2: we
 * half-close and drain before closing); a client that goes silent is closed
 * at the idle timeout, one that never reads at the write timeout; a
 * well-behaved client is served meanwhile.
 */

import assert from "node:assert/strict";
import { StalledPeerError } from "../lib/errors.ts";
import { connect, listen } from "../lib/net.ts";
import { acceptedConnOptions } from "../lib/listener_timeouts.ts";
import { connectionLine, startServer } from "../cli/serve.ts";
import { makeCertSet, verifierFor } from "./helpers/certs.ts";
import { goodClient, handshakeOver, serverConfigFor } from "./helpers/pair.ts";
import { runConnect, runHandshake, startServe } from "./helpers/cli.ts";
import { opensslClient } from "./helpers/peer.ts";

const set = await makeCertSet({ dir: true });
const config = await serverConfigFor(set);
const caPem = await Deno.readTextFile(set.paths!.ca);
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `serve` loop on a free port with short stall timeouts; its log lines are collected. */
function server(idleTimeoutMs = 1000, writeTimeoutMs = 1000) {
  const lines: string[] = [];
  const running = startServer({
    host: "127.0.0.1",
    port: 0,
    config,
    handshakeTimeoutMs: 5000,
    idleTimeoutMs,
    writeTimeoutMs,
    log: (r) => lines.push(connectionLine(r)),
  });
  return { running, lines, port: running.addr.port };
}

/** Waits until some line matches `pattern` (or fails after 10 s). */
async function logged(lines: string[], pattern: RegExp): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const line = lines.find((l) => pattern.test(l));
    if (line) return line;
    await sleep(50);
  }
  assert.fail(`no log line matches ${pattern}:\n${lines.join("\n")}`);
}

/**
 * A raw TCP client that sends garbage and keeps sending for a while,
 * reading all along. Returns what it read, how its reading ended ("eof"
 * when the server shut its sending half, else the error's name), and how
 * long after the alert arrived the server still took its writes (it drains
 * before it closes; a server that closes at once resets the connection, and
 * the next write fails).
 */
async function garbageSender(
  port: number,
): Promise<{ received: number[]; end: string; acceptedForMs: number }> {
  const sock = await Deno.connect({ hostname: "127.0.0.1", port });
  let alertAt = 0;
  let failedAt = 0;
  const writer = (async () => {
    const more = new Uint8Array(4096).fill(0x41);
    try {
      // A request and more: the server reads the start, fails, and has the rest unread.
      const head = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
      await sock.write(new Uint8Array([...head, ...new Uint8Array(1 << 16).fill(0x41)]));
      for (const until = Date.now() + 3000; Date.now() < until;) {
        await sock.write(more);
        await sleep(5);
      }
    } catch {
      failedAt = performance.now(); // the server has closed
    }
  })();
  const received: number[] = [];
  let end = "eof";
  const buf = new Uint8Array(4096);
  try {
    for (let n = await sock.read(buf); n !== null; n = await sock.read(buf)) {
      alertAt ||= performance.now();
      received.push(...buf.subarray(0, n));
    }
  } catch (e) {
    end = (e as Error).name;
  }
  await writer;
  sock.close();
  return { received, end, acceptedForMs: failedAt ? failedAt - alertAt : Infinity };
}

Deno.test("stalled peers: a client that keeps sending after our fatal alert reads the alert, then a FIN", async () => {
  const { running, lines, port } = server();
  try {
    const r = await garbageSender(port);
    assert.deepEqual(r.received, [21, 3, 3, 0, 2, 2, 10], "the plaintext unexpected_message alert");
    assert.equal(r.end, "eof", "the server shut its sending half, not reset the connection");
    // The server drained what the client still sent for about half a second, then closed.
    assert.ok(r.acceptedForMs >= 300 && r.acceptedForMs < 2500, `drained ${r.acceptedForMs} ms`);
    await logged(lines, /failed: .*plain HTTP.*\(sent alert unexpected_message\)/);
  } finally {
    await running.close();
  }
});

Deno.test("stalled peers: a silent client is closed at the idle timeout, one that never reads at the write timeout; others are served", async () => {
  const { running, lines, port } = server(1000, 1000);
  const tls = () => Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caPem] });
  try {
    // Deno's own TLS client (rustls), silent after its handshake.
    const silent = await tls();
    await silent.handshake();
    const silentStart = performance.now();
    const silentEnd = silent.read(new Uint8Array(100)).then((n) => ({
      n,
      ms: performance.now() - silentStart,
    }));
    // Another that writes and never reads: the echo fills the buffers, then the server's writes stall.
    const flood = await tls();
    await flood.handshake();
    const flooding = (async () => {
      const chunk = new Uint8Array(1 << 16);
      let written = 0;
      try {
        for (const until = Date.now() + 15_000; Date.now() < until && written < 1 << 30;) {
          written += await flood.write(chunk);
        }
        return `still writing after ${written} bytes`;
      } catch (e) {
        return e as Error;
      }
    })();
    await sleep(200);
    assert.equal(await goodClient(port, set, "served meanwhile"), "served meanwhile");
    const quiet = await silentEnd;
    assert.equal(quiet.n, null, "the silent client gets close_notify");
    assert.ok(quiet.ms >= 900 && quiet.ms < 5000, `closed after ${quiet.ms} ms`);
    const flooded = await flooding;
    assert.ok(flooded instanceof Error, `the flooding client: ${flooded}`);
    silent.close();
    flood.close();
    await logged(lines, /failed: nothing received for 1 s \(idle timeout\)/);
    await logged(lines, /failed: the peer has taken none of our data for 1 s \(write timeout\)/);
    await logged(lines, /ok, echoed 16 bytes/);
    assert.equal(lines.length, 3, lines.join("\n"));
    // And the server still serves.
    assert.equal(await goodClient(port, set, "afterwards"), "afterwards");
  } finally {
    await running.close();
  }
});

Deno.test("stalled peers: the library's listener takes idleTimeoutMs and writeTimeoutMs", async () => {
  // One listener that times out idle clients, one (idle timeout off) that times out writes.
  const listener = listen({ ...config, port: 0, idleTimeoutMs: 400 });
  const writes = listen({ ...config, port: 0, idleTimeoutMs: 0, writeTimeoutMs: 400 });
  const client = () =>
    connect({
      hostname: "127.0.0.1",
      port: listener.addr.port,
      verifier: verifierFor(set),
      serverName: "localhost",
    });
  try {
    // Idle: the server's read ends with a StalledPeerError; the client sees close_notify.
    const [a, accepted] = await Promise.all([client(), listener.accept()]);
    await Promise.all([a.handshake(), accepted.handshake()]);
    const started = performance.now();
    await assert.rejects(accepted.read(new Uint8Array(10)), (e) => {
      assert.ok(e instanceof StalledPeerError && e.timeout === "idle", `${e}`);
      return true;
    });
    assert.ok(performance.now() - started >= 350);
    assert.equal(await a.read(new Uint8Array(10)), null);
    await a.close();
    // Write: a client that completes its handshake, then reads nothing: its socket fills.
    const raw = await Deno.connect({ hostname: "127.0.0.1", port: writes.addr.port });
    const acceptedRaw = writes.accept();
    await handshakeOver(raw, set);
    const b = await acceptedRaw;
    await b.handshake();
    const writeStart = performance.now();
    await assert.rejects(b.write(new Uint8Array(64 << 20)), (e) => {
      assert.ok(e instanceof StalledPeerError && e.timeout === "write", `${e}`);
      return true;
    });
    const waited = performance.now() - writeStart;
    assert.ok(waited >= 350 && waited < 5000, `failed after ${waited} ms`);
    await b.close();
    raw.close();
  } finally {
    listener.close();
    writes.close();
  }
});

Deno.test("stalled peers: serve --idle-timeout 2 --write-timeout 1.5 with openssl s_client silent and a client that never reads", async () => {
  const server = await startServe([
    "--cert",
    set.paths!.server,
    "--key",
    set.paths!.serverKey,
    "--idle-timeout",
    "2",
    "--write-timeout",
    "1.5",
  ]);
  // openssl s_client, connected and silent (its stdin stays open).
  const silent = opensslClient(server.port, set.paths!, { verify: false });
  const flood = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: server.port,
    caCerts: [caPem],
  });
  try {
    await silent.waitFor(/Verify return code: 0/);
    const flooding = (async () => {
      const chunk = new Uint8Array(1 << 16);
      try {
        for (
          let written = 0, until = Date.now() + 15_000;
          Date.now() < until && written < 1 << 30;
        ) {
          written += await flood.write(chunk);
        }
        return "still writing";
      } catch (e) {
        return e as Error;
      }
    })();
    const echo = await runConnect([`localhost:${server.port}`, "--ca", set.paths!.ca], "hi\n");
    assert.equal(echo.code, 0, echo.stderr);
    assert.equal(echo.stdout, "hi\n");
    await server.peer.waitFor(/ok, echoed 3 bytes/);
    // The silent client is told close_notify after two seconds, and s_client ends.
    await server.peer.waitFor(/failed: nothing received for 2 s \(idle timeout\)/);
    await silent.waitFor(/closed|DONE/);
    assert.ok((await flooding) instanceof Error, "the flooding client's connection was closed");
    await server.peer.waitFor(
      /failed: the peer has taken none of our data for 1\.5 s \(write timeout\)/,
    );
  } finally {
    flood.close();
    await silent.kill();
    await server.peer.kill();
  }
});

Deno.test("stalled peers: serve refuses a timeout that is not a positive number of seconds", async () => {
  for (const [flag, value] of [["--idle-timeout", "0"], ["--write-timeout", "soon"]]) {
    const r = await runHandshake(["serve", flag, value]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`${flag} must be a positive number of seconds, not "${value}"`),
    );
  }
});

Deno.test("stalled peers: against the serve process too, a client that keeps sending reads our alert, then a FIN", async () => {
  const server = await startServe(["--cert", set.paths!.server, "--key", set.paths!.serverKey]);
  try {
    const r = await garbageSender(server.port);
    assert.deepEqual(r.received, [21, 3, 3, 0, 2, 2, 10]);
    assert.equal(r.end, "eof");
    assert.ok(r.acceptedForMs >= 300 && r.acceptedForMs < 2500, `drained ${r.acceptedForMs} ms`);
    await server.peer.waitFor(/\(sent alert unexpected_message\)/);
  } finally {
    await server.peer.kill();
  }
});

Deno.test("stalled peers: both adapters' listeners time out stalled peers by default, 0 turns it off", () => {
  assert.deepEqual(acceptedConnOptions({}), {
    handshakeTimeoutMs: undefined,
    idleTimeoutMs: 300_000,
    writeTimeoutMs: 30_000,
  });
  assert.deepEqual(
    acceptedConnOptions({ handshakeTimeoutMs: 5000, idleTimeoutMs: 0, writeTimeoutMs: 1500 }),
    { handshakeTimeoutMs: 5000, idleTimeoutMs: 0, writeTimeoutMs: 1500 },
  );
});
