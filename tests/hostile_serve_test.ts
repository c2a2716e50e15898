/**
 * The `serve` loop (startServer, in this process so that Deno's sanitizers
 * see any timer or socket left behind) while clients misbehave: garbage,
 * silence, half a ClientHello, a flood of records, a dropped connection.
 * Each gets its own log line with the alert sent; a well-behaved client at
 * the same time is served; slow clients are dropped at the handshake
 * timeout; at the handshake limit, new clients wait their turn.
 */

import assert from "node:assert/strict";
import { ContentType } from "../lib/codepoints.ts";
import { listen } from "../lib/net.ts";
import { connectionLine, startServer } from "../cli/serve.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { goodClient as goodClientOf, handshakeOver, serverConfigFor } from "./helpers/pair.ts";
import { clientHelloRecord, record, validClientHello } from "./helpers/hostile.ts";

const set = await makeCertSet();
const config = await serverConfigFor(set);

/** A server on a free port whose log lines are collected. */
function server(handshakeTimeoutMs = 2000, maxHandshakes?: number) {
  const lines: string[] = [];
  const codes: (string | undefined)[] = [];
  const running = startServer({
    host: "127.0.0.1",
    port: 0,
    config,
    handshakeTimeoutMs,
    maxHandshakes,
    log: (record) => {
      lines.push(connectionLine(record));
      codes.push(record.code);
    },
  });
  return { running, lines, codes, port: running.addr.port };
}

/** Waits until `lines` has `n` entries (or fails after 10 s). */
async function logged(lines: string[], n: number): Promise<void> {
  for (let i = 0; i < 200 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(lines.length >= n, `only ${lines.length} of ${n} log lines:\n${lines.join("\n")}`);
}

/** Reads until the server closes; returns what it sent. */
async function drain(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      chunks.push(buf.slice(0, n));
    }
  } catch {
    // reset
  }
  conn.close();
  return new Uint8Array(chunks.flatMap((c) => [...c]));
}

/** A well-behaved client: handshake, echo, close. */
const goodClient = (port: number, text = "ping") => goodClientOf(port, set, text);

const tcp = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

Deno.test("hostile serve: misbehaving clients each get their alert; a good client is served meanwhile", async () => {
  const { running, lines, port } = server();
  try {
    const garbage = await tcp(port);
    await garbage.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const badCcs = await tcp(port);
    await badCcs.write(
      new Uint8Array([
        ...clientHelloRecord(await validClientHello()),
        ...record(ContentType.change_cipher_spec, Uint8Array.of(2)),
      ]),
    );
    const flood = await tcp(port);
    const ccs = record(ContentType.change_cipher_spec, Uint8Array.of(1));
    await flood.write(
      new Uint8Array([
        ...clientHelloRecord(await validClientHello()),
        ...Array(40).fill([...ccs]).flat(),
      ]),
    );
    const dropped = await tcp(port);
    await dropped.write(clientHelloRecord(await validClientHello()).subarray(0, 40));
    dropped.close();
    assert.equal(await goodClient(port, "still serving"), "still serving");
    const answers = await Promise.all([drain(garbage), drain(badCcs), drain(flood)]);
    // The HTTP client gets a plaintext alert: unexpected_message, fatal.
    assert.deepEqual([...answers[0]], [21, 3, 3, 0, 2, 2, 10]);
    await logged(lines, 5);
  } finally {
    await running.close();
  }
  const text = lines.join("\n");
  assert.match(text, /no handshake {2}failed: .*plain HTTP.*\(sent alert unexpected_message\)/);
  assert.match(text, /failed: .*not the single byte 0x01 \(sent alert unexpected_message\)/);
  assert.match(text, /failed: received more than 16 records in a row that carry nothing/);
  assert.match(text, /failed: the peer closed the connection during the handshake/);
  assert.match(text, /X25519MLKEM768 TLS_AES_128_GCM_SHA256 {2}ok, echoed 13 bytes/);
  assert.equal(lines.length, 5, "one line per connection");
});

Deno.test("hostile serve: a client that stalls after its ClientHello is dropped at the handshake timeout", async () => {
  const { running, lines, codes, port } = server(300);
  const started = performance.now();
  try {
    const silent = await tcp(port);
    const half = await tcp(port);
    await half.write(clientHelloRecord(await validClientHello()).subarray(0, 100));
    const stalled = await tcp(port);
    await stalled.write(clientHelloRecord(await validClientHello()));
    await Promise.all([drain(silent), drain(half), drain(stalled)]);
    await logged(lines, 3);
  } finally {
    await running.close();
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 280 && elapsed < 3000, `dropped after ${elapsed} ms`);
  for (const line of lines) {
    assert.match(line, /failed: the handshake did not complete within 0.3 s/);
  }
  assert.deepEqual(codes, Array(3).fill("handshake_timeout"));
});

Deno.test("hostile serve: at the handshake limit, a new client waits for a slot, then is served", async () => {
  const { running, lines, port } = server(500, 2);
  try {
    const stalls = [await tcp(port), await tcp(port)];
    await new Promise((r) => setTimeout(r, 50)); // both accepted: the slots are taken
    const started = performance.now();
    assert.equal(await goodClient(port), "ping");
    const waited = performance.now() - started;
    assert.ok(waited >= 350, `served after ${waited} ms, before a slot was free`);
    await Promise.all(stalls.map(drain));
    await logged(lines, 3);
  } finally {
    await running.close();
  }
});

Deno.test("hostile serve: under the limit, clients are not held up", async () => {
  const { running, port } = server(5000, 4);
  try {
    const started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => goodClient(port, `c${i}`)),
    );
    assert.deepEqual(replies, Array.from({ length: 10 }, (_, i) => `c${i}`));
    assert.ok(performance.now() - started < 4000);
  } finally {
    await running.close();
  }
});

Deno.test("hostile serve: an accept waiting for a slot fails at once when the listener closes", async () => {
  const listener = listen({
    ...config,
    port: 0,
    maxConcurrentHandshakes: 1,
    handshakeTimeoutMs: 10_000,
  });
  const stall = await tcp(listener.addr.port);
  const first = await listener.accept();
  assert.equal(listener.handshakesInProgress, 1);
  const second = listener.accept();
  listener.close();
  await assert.rejects(second, Deno.errors.BadResource);
  stall.close();
  await assert.rejects(first.handshake(), /closed the connection during the handshake/);
  assert.equal(listener.handshakesInProgress, 0);
});

Deno.test("hostile serve: a failing connection closes even when the peer has stopped reading", async () => {
  const listener = listen({ ...config, port: 0 });
  const sock = await tcp(listener.addr.port);
  const accepted = listener.accept();
  // A client engine driven by hand: it completes the handshake, then never reads again.
  await handshakeOver(sock, set);
  const conn = await accepted;
  await conn.handshake();
  // The server writes more than the socket buffers hold: its write blocks.
  const writing = conn.write(new Uint8Array(64 << 20)).then(() => "written", (e) => e);
  await new Promise((r) => setTimeout(r, 200));
  // Now a bad record: the server fails, and must not wait forever to send its alert.
  await sock.write(record(ContentType.application_data, new Uint8Array(40)));
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    writing,
    new Promise((resolve) => timer = setTimeout(() => resolve("still blocked after 5 s"), 5000)),
  ]);
  clearTimeout(timer);
  const waited = performance.now() - started;
  assert.ok(outcome instanceof Error, `the blocked write ended with ${outcome}`);
  // One grace period for the alert (1 s), and no draining after an alert that could not be written.
  assert.ok(waited < 2000, `closed after ${waited} ms`);
  sock.close();
  listener.close();
});
