/**
 * The relay of `inspect` as a process: it passes every byte unchanged both
 * ways (SHA-256 of what each end sent and received, over several MiB, TLS
 * and not), keeps several simultaneous connections apart, reports a
 * connection that is not TLS as such, shows encrypted records as
 * "encrypted, N bytes" without a key log, and says when the server cannot
 * be reached.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { INSPECT_PERMISSIONS, relayArgs, runInspect, startRelay } from "./helpers/inspect.ts";
import { freePort, Peer } from "./helpers/peer.ts";
import { type PairResult, pump, serverConfigFor } from "./helpers/pair.ts";
import { verifierFor } from "./helpers/certs.ts";
import { Connection } from "../lib/connection.ts";
import { KeyLogBook } from "../lib/inspect/key_log_reader.ts";
import { cryptoProvider } from "../lib/providers.ts";
import type { Side } from "../lib/trace.ts";
import { Narration } from "../cli/inspect_narration.ts";
import { SealedBodies, type Stretch, stretchSize } from "../cli/inspect_sealed_bodies.ts";
import { paint } from "../cli/paint.ts";

const set = await makeCertSet();
const MiB = 1 << 20;

const sha256 = async (chunks: Uint8Array[]) => {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.length) - c.length);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", all)).toHex();
};

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
}

/** Writes `data` in pieces, then half-closes; reads everything the other side sends. */
async function exchange(
  conn: Deno.Conn | Deno.TlsConn,
  data: Uint8Array,
): Promise<{ sent: string; received: string; bytes: number }> {
  const reading = (async () => {
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(64 * 1024);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      chunks.push(buf.slice(0, n));
    }
    return chunks;
  })();
  for (let at = 0; at < data.length; at += 100_000) {
    const piece = data.subarray(at, at + 100_000);
    for (let w = 0; w < piece.length;) w += await conn.write(piece.subarray(w));
  }
  await conn.closeWrite();
  const received = await reading;
  return {
    sent: await sha256([data]),
    received: await sha256(received),
    bytes: received.reduce((n, c) => n + c.length, 0),
  };
}

Deno.test("inspect relay: 6 MiB of random bytes each way arrive unchanged, reported as not TLS", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const relay = await startRelay(listener.addr.port);
  try {
    const fromServer = randomBytes(6 * MiB + 123), fromClient = randomBytes(6 * MiB + 7);
    const served = (async () => {
      const c = await listener.accept();
      const r = await exchange(c, fromServer);
      c.close();
      return r;
    })();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
    const client = await exchange(conn, fromClient);
    conn.close();
    const server = await served;
    assert.equal(server.received, client.sent, "the server got exactly what the client sent");
    assert.equal(client.received, server.sent, "the client got exactly what the server sent");
    assert.equal(client.bytes, fromServer.length);
    await relay.peer.waitFor(/#1 closed: relayed 6291463 bytes from the client, 6291579 from/);
    assert.match(relay.peer.output, /#1 client → server {2}not TLS: hex [0-9a-f]+… \(64 bytes\)/);
  } finally {
    await relay.peer.kill();
    listener.close();
  }
});

Deno.test("inspect relay: 4 MiB each way over TLS (Deno's rustls on both ends) unchanged, and shown encrypted", async () => {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: set.serverChainPem,
    key: set.server.privateKeyPem,
  });
  const relay = await startRelay(listener.addr.port);
  try {
    const fromServer = randomBytes(4 * MiB), fromClient = randomBytes(4 * MiB + 1);
    const served = (async () => {
      const c = await listener.accept();
      const r = await exchange(c, fromServer);
      c.close();
      return r;
    })();
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: relay.port,
      caCerts: [set.ca.certificatePem],
    });
    const client = await exchange(conn, fromClient);
    conn.close();
    const server = await served;
    assert.equal(server.received, client.sent);
    assert.equal(client.received, server.sent);
    await relay.peer.waitFor(/#1 closed/);
    const out = relay.peer.output;
    assert.match(out, /#1 client → server {2}ClientHello · plaintext/);
    assert.match(out, /SNI localhost/);
    assert.match(out, /#1 server → client {2}ServerHello · plaintext/);
    assert.match(
      out,
      /#1 server → client {2}record application_data · TLS 1\.2 · 16401 bytes: encrypted, 16401 bytes \(no key log\)/,
      "full records of 2^14 bytes of data, encrypted",
    );
    assert.ok(!out.includes("Certificate"), "no key log: the certificate stays encrypted");
  } finally {
    await relay.peer.kill();
    listener.close();
  }
});

Deno.test("inspect relay: simultaneous connections are told apart, a plain-text one is named", async () => {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: set.serverChainPem,
    key: set.server.privateKeyPem,
    alpnProtocols: ["first", "second"],
  });
  const relay = await startRelay(listener.addr.port);
  const served: Promise<void>[] = [];
  const accepting = (async () => {
    for (let i = 0; i < 3; i++) {
      const c = await listener.accept();
      served.push(
        (async () => {
          const buf = new Uint8Array(100);
          const n = await c.read(buf);
          await c.write(buf.subarray(0, n!));
        })().catch(() => {}).finally(() => c.close()),
      );
    }
  })();
  try {
    const open = (alpn: string) =>
      Deno.connectTls({
        hostname: "localhost",
        port: relay.port,
        caCerts: [set.ca.certificatePem],
        alpnProtocols: [alpn],
      });
    const [a, b] = await Promise.all([open("first"), open("second")]);
    const plain = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
    await plain.write(new TextEncoder().encode("HELLO plain text\n"));
    await Promise.all([a.handshake(), b.handshake()]);
    await a.write(new TextEncoder().encode("one"));
    await b.write(new TextEncoder().encode("two"));
    const buf = new Uint8Array(10);
    assert.equal(await a.read(buf), 3);
    assert.equal(await b.read(buf), 3);
    a.close();
    b.close();
    // The server (rustls) answers the plain text with an alert and closes; the relay passes both on.
    while (await plain.read(buf) !== null);
    plain.close();
    await accepting;
    await Promise.all(served);
    await relay.peer.waitFor(
      /#3 closed[^]*#\d closed[^]*#\d closed|#\d closed[^]*#\d closed[^]*#3 closed/,
    );
    const out = relay.peer.output;
    const lines = (n: number) => out.split("\n").filter((l) => l.startsWith(`#${n} `)).join("\n");
    const ids = [1, 2, 3];
    const first = ids.find((n) => /ALPN first$/m.test(lines(n)))!;
    const second = ids.find((n) => /ALPN second$/m.test(lines(n)))!;
    const third = ids.find((n) => n !== first && n !== second)!;
    assert.ok(first && second && first !== second, out);
    for (const n of [first, second]) {
      assert.match(lines(n), /ClientHello[^]*ServerHello[^]*encrypted, \d+ bytes \(no key log\)/);
      assert.equal(
        (lines(n).match(/ClientHello · plaintext/g) ?? []).length,
        1,
        "its own hello only",
      );
    }
    assert.match(
      lines(third),
      /client → server {2}not TLS: "HELLO plain text\\n" · relayed as it is/,
    );
    assert.ok(!lines(third).includes("ClientHello"));
  } finally {
    await relay.peer.kill();
    listener.close();
  }
});

Deno.test("inspect relay: a server that cannot be reached closes that connection, and says so", async () => {
  const relay = await startRelay(freePort());
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
    assert.equal(await conn.read(new Uint8Array(10)), null);
    conn.close();
    await relay.peer.waitFor(/#1 127\.0\.0\.1:\d+: cannot reach 127\.0\.0\.1:\d+ \(.*\); closed/);
  } finally {
    await relay.peer.kill();
  }
});

Deno.test("inspect CLI: usage errors say what to do", async () => {
  const none = await runInspect([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /nothing to inspect \(`handshake inspect capture\.pcapng` or/);
  const half = await runInspect(["--listen", "127.0.0.1:0"]);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /the relay needs both --listen HOST:PORT and --to HOST:PORT/);
  const both = await runInspect(["x.pcap", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:1"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /either a capture FILE or --listen and --to, not both/);
  const level = await runInspect(["x.pcap", "--trace=everything"]);
  assert.equal(level.code, 2);
  assert.match(level.stderr, /unknown --trace level "everything"/);
  const keyLog = await runInspect(["x.pcap", "--keylog", "/nonexistent/keys.log"]);
  assert.equal(keyLog.code, 2);
  assert.match(keyLog.stderr, /cannot read the key log \/nonexistent\/keys\.log: does not exist/);
  for (const bad of ["0", "64MiB", "-1", "5000", "1.5"]) {
    const behind = await runInspect([
      "--listen",
      "127.0.0.1:0",
      "--to",
      "127.0.0.1:1",
      "--max-behind",
      bad,
    ]);
    assert.equal(behind.code, 2);
    assert.match(
      behind.stderr,
      new RegExp(
        `--max-behind takes a whole number of MiB from 1 to 4096, not "${
          bad.replace(".", "\\.")
        }" \\(\`--max-behind 64\`\\)`,
      ),
    );
  }
  const capture = await runInspect(["x.pcap", "--max-behind", "64"]);
  assert.equal(capture.code, 2);
  assert.match(capture.stderr, /--max-behind is for the relay \(--listen, --to\), not a capture/);
});

Deno.test("inspect relay: over IPv6, addresses written [v6]:port", async () => {
  const listener = Deno.listen({ hostname: "::1", port: 0 });
  const relay = new Peer(
    Deno.execPath(),
    relayArgs(`[::1]:${listener.addr.port}`, [], { listen: "[::1]:0" }),
  );
  try {
    const port = Number(
      (await relay.waitFor(/listening on \[::1\]:(\d+), relaying to \[::1\]:\d+/))[1],
    );
    const served = (async () => {
      const c = await listener.accept();
      const buf = new Uint8Array(16);
      const n = await c.read(buf);
      await c.write(buf.subarray(0, n!));
      c.close();
    })();
    const conn = await Deno.connect({ hostname: "::1", port });
    await conn.write(new TextEncoder().encode("over six"));
    const buf = new Uint8Array(16);
    assert.equal(new TextDecoder().decode(buf.subarray(0, (await conn.read(buf))!)), "over six");
    conn.close();
    await served;
    await relay.waitFor(
      /#1 TCP \[::1\]:\d+ → relayed to \[::1\]:\d+[^]*#1 client → server {2}not TLS: "over six"[^]*#1 closed/,
    );
  } finally {
    await relay.kill();
    listener.close();
  }
});

/**
 * A client and a server of our own in memory, handshake done, that record what each side sent,
 * in order, and the client's key log.
 */
async function recordingPair() {
  const log = { keyLog: "" };
  const r: PairResult = {
    client: Connection.client({
      verifier: verifierFor(set),
      serverName: "localhost",
      keyLog: (line) => log.keyLog += line,
    }),
    server: Connection.server(await serverConfigFor(set)),
    clientReceived: [],
    serverReceived: [],
  };
  const sent: { from: Side; bytes: Uint8Array }[] = [];
  for (const from of ["client", "server"] as const) {
    const conn = r[from], take = conn.takeOutput.bind(conn);
    conn.takeOutput = () => {
      const bytes = take();
      if (bytes.length) sent.push({ from, bytes: bytes.slice() });
      return bytes;
    };
  }
  await r.client.start();
  await pump(r);
  return { r, sent, log };
}

/**
 * What each side of a real conversation sent, in order (our engines in memory:
 * handshake, 40,000 bytes, a KeyUpdate each way, data back, close_notify), and the client's key log.
 */
async function recordedConversation() {
  const { r, sent, log } = await recordingPair();
  await r.client.write(randomBytes(40_000));
  await pump(r);
  await r.client.keyUpdate(true);
  await pump(r);
  await r.server.write(new TextEncoder().encode("after the key update\n"));
  await r.client.close();
  await pump(r);
  return { sent, keyLog: log.keyLog };
}

Deno.test("inspect narration keeps no view of bytes once fed: one read buffer reused for every chunk tells the same story", async () => {
  // The relay reads into buffers that the narration hands back once a chunk is fed (unless
  // records are held back): if anything kept a view of them, reusing them would change the story.
  const { sent, keyLog } = await recordedConversation();
  const book = new KeyLogBook();
  book.add(keyLog);
  book.end();
  const crypto = await cryptoProvider("webcrypto");
  const tell = async (reuse: boolean, piece: number) => {
    const lines: string[] = [];
    const n = new Narration(
      {
        level: { secrets: true, bytes: true },
        json: false,
        paint: paint(false),
        crypto,
        write: (l) => void lines.push(l),
      },
      1,
      {
        lookup: (random, label) => Promise.resolve(book.get(random, label)),
        ms: 1000,
        maxBytes: 1 << 20,
      },
    );
    const buffer = new Uint8Array(piece);
    for (const { from, bytes } of sent) {
      for (let at = 0; at < bytes.length; at += piece) {
        const chunk = bytes.subarray(at, at + piece);
        if (!reuse) {
          await n.feed(from, chunk.slice());
          continue;
        }
        buffer.set(chunk);
        await n.feed(from, buffer.subarray(0, chunk.length));
        assert.ok(!n.holding, "the key log is complete: nothing is held back");
        buffer.fill(0xee);
      }
    }
    return lines;
  };
  for (const piece of [100_000, 5_000, 7]) {
    const fresh = await tell(false, piece);
    assert.ok(fresh.some((l) => l.includes("application data: hex")), "data decrypted");
    assert.ok(fresh.some((l) => l.includes("KeyUpdate")), "the KeyUpdate followed");
    assert.ok(!fresh.some((l) => l.includes("encrypted,")), "every record opened");
    assert.deepEqual(await tell(true, piece), fresh, `pieces of ${piece} bytes`);
  }
});

/** The narration, without a key log, of `sent` fed whole in pieces of `piece` bytes, or skimmed as the relay does. */
async function narrateUnkeyed(
  sent: { from: Side; bytes: Uint8Array }[],
  piece: number,
  skimmed: boolean,
  json = false,
): Promise<{ lines: string[]; handedOver: number }> {
  const lines: string[] = [];
  const crypto = await cryptoProvider("webcrypto");
  const out = {
    level: { secrets: false, bytes: false },
    json,
    paint: paint(false),
    crypto,
    write: (l: string) => void lines.push(l),
  };
  const n = new Narration(out, 1);
  const skims = { client: new SealedBodies(), server: new SealedBodies() };
  let handedOver = 0;
  const give = async (from: Side, stretches: Stretch[]) => {
    for (const s of stretches) {
      handedOver += stretchSize(s);
      await n.feedStretch(from, s);
    }
  };
  for (const { from, bytes } of sent) {
    for (let at = 0; at < bytes.length; at += piece) {
      const chunk = bytes.subarray(at, at + piece);
      if (skimmed) await give(from, skims[from].take(chunk));
      else await n.feed(from, chunk);
    }
  }
  for (const from of ["client", "server"] as const) {
    if (skimmed) await give(from, skims[from].end());
    n.observer.end(from);
  }
  return { lines, handedOver };
}

Deno.test("inspect relay without a key log hands over the headers of application data records, not their bodies, and the story is the same", async () => {
  const { sent } = await recordedConversation();
  const total = sent.reduce((n, s) => n + s.bytes.length, 0);
  for (const piece of [100_000, 5_000, 7, 3, 1]) {
    const whole = await narrateUnkeyed(sent, piece, false);
    const skimmed = await narrateUnkeyed(sent, piece, true);
    assert.ok(whole.lines.some((l) => l.includes("ClientHello")), "the handshake is told");
    assert.ok(
      whole.lines.filter((l) => l.includes("encrypted,")).length > 5,
      "records are told encrypted",
    );
    assert.deepEqual(skimmed.lines, whole.lines, `pieces of ${piece} bytes`);
    const json = await narrateUnkeyed(sent, piece, true, true);
    assert.deepEqual(json.lines, (await narrateUnkeyed(sent, piece, false, true)).lines, "JSON");
    // The 40,000 bytes of data, the certificate and the rest that is encrypted stay behind.
    assert.ok(
      skimmed.handedOver < total - 40_000,
      `handed over ${skimmed.handedOver} of ${total} bytes`,
    );
  }
});

Deno.test("inspect relay without a key log: what is not TLS, a stream that breaks off, empty and unfinished records are told as if every byte had been handed over", async () => {
  const record = (type: number, length: number, fill = 0x41) => {
    const r = new Uint8Array(5 + length).fill(fill);
    r.set([type, 3, 3, length >> 8, length & 0xff]);
    return r;
  };
  const join = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
    return out;
  };
  const streams: Record<string, Uint8Array> = {
    "plain text": new TextEncoder().encode("GET / HTTP/1.1\r\nHost: example\r\n\r\n".repeat(50)),
    "application data, then garbage": join(record(23, 300), record(23, 0), new Uint8Array(40)),
    "an application data record cut short": join(
      record(23, 100),
      record(23, 1000).subarray(0, 600),
    ),
    "a header cut short": join(record(23, 100), record(23, 10).subarray(0, 3)),
    "a record too long for TLS": join(record(23, 20), record(23, 16_641).subarray(0, 2_000)),
    "an alert, then data": join(record(21, 2), record(23, 17_000 - 359), record(22, 4)),
  };
  for (const [name, bytes] of Object.entries(streams)) {
    const sent = [{ from: "client" as const, bytes }];
    for (const piece of [bytes.length, 64, 5, 4, 1]) {
      const whole = await narrateUnkeyed(sent, piece, false);
      const skimmed = await narrateUnkeyed(sent, piece, true);
      assert.deepEqual(skimmed.lines, whole.lines, `${name}, pieces of ${piece} bytes`);
    }
  }
});

/**
 * Application data records through a relay (started with `args`) whose
 * stdout is a pipe nobody reads until they have reached the server: once
 * its 64 KiB are full the narration cannot write, so it falls behind while
 * the relay goes on moving bytes. By default 96 MiB of 16 KiB records
 * written at once; `small` records of 100 bytes instead, each read by the
 * relay on its own (the next is sent once the server has the last one).
 * Returns what the relay printed once read, and how many bytes and records
 * were sent.
 */
async function stalledNarration(args: string[], small?: number) {
  const sink = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const child = new Deno.Command(Deno.execPath(), {
    args: relayArgs(`127.0.0.1:${sink.addr.port}`, args),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let out = "";
    while (!/listening on 127\.0\.0\.1:(\d+)/.test(out)) {
      const { value, done } = await reader.read();
      if (done) assert.fail(`the relay ended: ${out}${await stderr}`);
      out += value;
    }
    const port = Number(out.match(/listening on 127\.0\.0\.1:(\d+)/)![1]);
    const body = small ? 100 : 16384;
    const record = new Uint8Array(5 + body);
    record.set([23, 3, 3, body >> 8, body & 0xff]);
    const size = small ? small * record.length : 96 * MiB;
    let got = 0, arrived = () => {};
    const received = (async () => {
      const c = await sink.accept();
      const buf = new Uint8Array(256 * 1024);
      for (let r = await c.read(buf); r !== null; r = await c.read(buf)) {
        got += r;
        arrived();
      }
      c.close();
      return got;
    })();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    let sent = 0;
    while (sent + record.length <= size) {
      for (let at = 0; at < record.length;) at += await conn.write(record.subarray(at));
      sent += record.length;
      while (small && got < sent) await new Promise<void>((r) => arrived = r);
    }
    await conn.closeWrite();
    assert.equal(await received, sent, "every byte reached the server while the narration stalled");
    conn.close();
    // Now the output is read: the narration catches up, says it gave up, and the connection closes.
    while (!/#1 closed: relayed/.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    assert.match(
      out,
      new RegExp(`#1 closed: relayed ${sent} bytes from the client, 0 from the server`),
    );
    return { out, sent, records: sent / record.length };
  } finally {
    reader.cancel().catch(() => {});
    child.kill();
    await child.status;
    await stderr;
    sink.close();
  }
}

/** The nice value of each thread of process `pid`, by thread name (Linux). */
function niceByThread(pid: number): Map<string, number[]> {
  const byName = new Map<string, number[]>();
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    const stat = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/stat`);
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    // proc(5): after the name, field 3 (state) on; field 19 is the nice value.
    const nice = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19 - 3]);
    byName.set(name, [...byName.get(name) ?? [], nice]);
  }
  return byName;
}

Deno.test({
  name:
    "inspect relay: the narration runs at the lowest priority, the relay's thread at its own; without --allow-ffi it runs as it is, and the relay works",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const echo = (async () => {
      for await (const c of server) {
        const buf = new Uint8Array(64);
        const n = await c.read(buf);
        if (n) await c.write(buf.subarray(0, n));
        c.close();
      }
    })();
    const permissions = INSPECT_PERMISSIONS.filter((p) => p !== "--allow-ffi");
    try {
      for (const ffi of [true, false]) {
        const relay = new Peer(
          Deno.execPath(),
          relayArgs(`127.0.0.1:${server.addr.port}`, [], {
            permissions: ffi ? INSPECT_PERMISSIONS : permissions,
          }),
        );
        try {
          const port = Number((await relay.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
          const c = await Deno.connect({ hostname: "127.0.0.1", port });
          await c.write(new TextEncoder().encode("ping, not TLS"));
          const buf = new Uint8Array(13);
          assert.equal(await c.read(buf), 13);
          assert.equal(new TextDecoder().decode(buf), "ping, not TLS", "relayed");
          c.close();
          await relay.waitFor(/#1 closed/);
          const threads = niceByThread(relay.pid);
          const worker = [...threads].filter(([name]) => name.startsWith("worker-"));
          assert.equal(worker.length, 1, `one narration thread: ${[...threads.keys()]}`);
          assert.deepEqual(worker[0][1], [ffi ? 19 : 0], "the narration's priority");
          assert.deepEqual(threads.get("deno"), threads.get("deno")!.map(() => 0), "the relay's");
        } finally {
          await relay.kill();
        }
      }
    } finally {
      server.close();
      await echo;
    }
  },
});

Deno.test("inspect relay: a narration that falls 64 MiB behind gives up on that connection in one line, and the bytes still pass", async () => {
  // With the byte view every byte is handed over to the narration, and held until it is told.
  const { out } = await stalledNarration(["--trace=bytes", "--max-behind", "64"]);
  const gaveUp = out.split("\n").filter((l) => l.includes("behind"));
  assert.equal(gaveUp.length, 1, `one line says the narration gave up:\n${gaveUp.join("\n")}`);
  assert.match(
    gaveUp[0],
    /^#1 the narration fell more than 64 MiB behind this connection \(narrating, decrypting above all, or writing it out is slower than the transfer\): the rest of this connection is relayed, not shown$/,
  );
  assert.ok(!out.includes("closes its side"), "what was not narrated is not told either");
});

Deno.test("inspect relay: many small reads not yet told fill the relay's read buffers, and it gives up on that connection, saying so", async () => {
  // 2 MiB of buffers for all (--max-behind 1), 16 KiB each for reads this small: 1,000 reads
  // that the stalled narration cannot tell (several lines of bytes each) do not fit.
  const { out, records } = await stalledNarration(["--trace=bytes", "--max-behind", "1"], 1000);
  assert.equal(records, 1000);
  const gaveUp = out.split("\n").filter((l) => l.includes("behind"));
  assert.deepEqual(gaveUp, [
    "#1 the narration fell behind until the relay's read buffers were full (2 MiB, reads not yet " +
    "told) (narrating, decrypting above all, or writing it out is slower than the transfer): " +
    "the rest of this connection is relayed, not shown",
  ]);
});

Deno.test("inspect relay: connections that wait for data hold small read buffers, and do not crowd out one that sends", async () => {
  // With --max-behind 1 the relay has 2 MiB of shared read buffers; each side of 40 idle
  // connections waits in one of 16 KiB (it used to be 1 MiB each: two sides filled them).
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const echo = (async () => {
    for await (const c of server) {
      (async () => {
        const buf = new Uint8Array(256);
        for (let n = await c.read(buf); n !== null; n = await c.read(buf)) {
          await c.write(buf.subarray(0, n));
        }
        c.close();
      })().catch(() => {});
    }
  })();
  const relay = await startRelay(server.addr.port, ["--trace=bytes", "--max-behind", "1"]);
  const idle: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 40; i++) {
      idle.push(await Deno.connect({ hostname: "127.0.0.1", port: relay.port }));
    }
    await relay.peer.waitFor(/#40 TCP /);
    const c = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
    await c.write(new TextEncoder().encode("hello, not TLS"));
    const buf = new Uint8Array(14);
    for (let got = 0; got < 14;) got += (await c.read(buf.subarray(got)))!;
    assert.equal(new TextDecoder().decode(buf), "hello, not TLS");
    c.close();
    await relay.peer.waitFor(/#41 closed: relayed 14 bytes from the client, 14 from the server/);
    assert.match(relay.peer.output, /#41 client → server {2}not TLS: "hello, not TLS"/);
    assert.ok(!relay.peer.output.includes("behind"), relay.peer.output);
  } finally {
    for (const c of idle) c.close();
    await relay.peer.kill();
    server.close();
    await echo;
  }
});

Deno.test("inspect relay without a key log: a stalled narration holds only record headers, so it never gives up and tells every record once it can write", async () => {
  const { out, records } = await stalledNarration([]);
  assert.ok(!out.includes("behind"), "the narration did not give up");
  const told = out.split("\n").filter((l) =>
    /^#1 client → server {2}record application_data · TLS 1\.2 · 16384 bytes: encrypted, 16384 bytes \(no key log\)$/
      .test(l)
  );
  assert.equal(told.length, records, "one line for each record");
  assert.match(out, /#1 client → server {2}closes its side of the TCP connection\n/);
});

/**
 * A conversation whose client sends, in one burst after the handshake, 100,000 random bytes, a
 * KeyUpdate and a line of text (records under two keys, back to back), and the client's key log.
 */
async function burstConversation() {
  const { r, sent, log } = await recordingPair();
  const handshake = sent.length;
  await r.client.write(randomBytes(100_000));
  await r.client.keyUpdate(false);
  await r.client.write(new TextEncoder().encode("after the key update\n"));
  await r.client.close();
  await pump(r);
  assert.equal(sent[handshake].from, "client");
  return { sent, burst: handshake, keyLog: log.keyLog };
}

/** Where each record of `bytes` starts. */
function recordStarts(bytes: Uint8Array): number[] {
  const starts = [];
  for (let at = 0; at < bytes.length; at += 5 + ((bytes[at + 3] << 8) | bytes[at + 4])) {
    starts.push(at);
  }
  return starts;
}

Deno.test("inspect: records opened ahead (and in place) are told in order, across a KeyUpdate and past a record that does not open, with either provider", async () => {
  const { sent, burst, keyLog } = await burstConversation();
  const book = new KeyLogBook();
  book.add(keyLog);
  book.end();
  const starts = recordStarts(sent[burst].bytes);
  assert.ok(starts.length >= 9, "the burst is many records");
  const tampered = sent.map((s) => ({ ...s, bytes: s.bytes.slice() }));
  // A bit of the third record's ciphertext flipped: it and what follows cannot be opened.
  tampered[burst].bytes[starts[2] + 20] ^= 1;
  for (const name of ["webcrypto", "openssl"] as const) {
    const crypto = await cryptoProvider(name);
    // Fed whole (the burst in one piece: its records are opened ahead), or 7 bytes at a time
    // (a record at most per piece: each is opened after the one before is told).
    // In place: the narration may overwrite what it is fed (a copy here), as the relay's does.
    const tell = async (conversation: typeof sent, piece: number, inPlace = false) => {
      const lines: string[] = [];
      const n = new Narration(
        {
          level: { secrets: false, bytes: false },
          json: false,
          paint: paint(false),
          crypto,
          write: (l) => void lines.push(l),
          inPlace,
        },
        1,
        { lookup: (random, label) => Promise.resolve(book.get(random, label)), ms: 0, maxBytes: 0 },
      );
      for (const { from, bytes } of conversation) {
        const fed = inPlace ? bytes.slice() : bytes;
        for (let at = 0; at < fed.length; at += piece) {
          await n.feed(from, fed.subarray(at, at + piece));
        }
      }
      return lines;
    };
    const whole = await tell(sent, Infinity);
    assert.deepEqual(whole, await tell(sent, 7), `${name}: the same story, whole or in pieces`);
    assert.deepEqual(whole, await tell(sent, Infinity, true), `${name}: the same, in place`);
    assert.ok(!whole.some((l) => l.includes("encrypted,")), `${name}: every record opened`);
    const after = whole.findIndex((l) => l.includes("KeyUpdate"));
    assert.ok(after > 0, `${name}: the KeyUpdate is told`);
    assert.ok(
      whole.slice(after).some((l) => l.includes('application data: "after the key update\\n"')),
      `${name}: the record after the KeyUpdate is opened with the next keys`,
    );
    const broken = await tell(tampered, Infinity);
    assert.deepEqual(broken, await tell(tampered, 7), `${name}: tampered, the same story`);
    assert.deepEqual(broken, await tell(tampered, 7, true), `${name}: tampered, in place`);
    const fromClient = broken.filter((l) => l.startsWith("#1 client → server  record"));
    const told = fromClient.slice(-starts.length);
    assert.ok(told[0].includes("opened with application keys"), told[0]);
    assert.ok(told[1].includes("opened with application keys"), told[1]);
    assert.match(told[2], /encrypted, \d+ bytes \(does not open with the key log's secret/);
    for (const line of told.slice(3)) assert.match(line, /encrypted, \d+ bytes \(not opened\)/);
  }
});
