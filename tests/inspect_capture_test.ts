/**
 * `inspect` on hand-made captures: a real TLS 1.3 conversation between the
 * engine's client and server (with a key log, data both ways, a KeyUpdate
 * each way, close_notify) cut into TCP segments, some sent twice and some
 * out of order, framed as Ethernet/IPv6 in a classic pcap (and other
 * framings, and pcapng). The story told from the capture must be the one
 * told from the bytes as sent. Broken captures end in one CaptureError line.
 */

import assert from "node:assert/strict";
import { Connection } from "../lib/connection.ts";
import { captureEvents } from "../lib/inspect/capture.ts";
import { KeyLogBook } from "../lib/inspect/key_log_reader.ts";
import { ConversationObserver, type InspectEvent } from "../lib/inspect/observer.ts";
import { CaptureError } from "../lib/inspect/pcap.ts";
import type { Side } from "../lib/trace.ts";
import { makeCertSet, verifierFor } from "./helpers/certs.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import {
  classicPcap,
  frame,
  type Framing,
  LINK_TYPES,
  pcapng,
  type TestSegment,
} from "./helpers/pcap_writer.ts";
import { runHandshake } from "./helpers/cli.ts";
import { testEachProvider } from "./helpers/providers.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";

const encode = (s: string) => new TextEncoder().encode(s);

/** What each side sent, in order, and the client's key log. */
interface Conversation {
  chunks: { from: Side; bytes: Uint8Array }[];
  keyLog: string;
}

async function conversation(): Promise<Conversation> {
  const set = await makeCertSet();
  let keyLog = "";
  const client = Connection.client({
    verifier: verifierFor(set),
    serverName: "localhost",
    keyLog: (line) => keyLog += line,
  });
  const server = Connection.server(await serverConfigFor(set));
  const chunks: Conversation["chunks"] = [];
  const move = async () => {
    for (let quiet = false; !quiet;) {
      const a = client.takeOutput();
      if (a.length) {
        chunks.push({ from: "client", bytes: a });
        await server.receive(a);
      }
      const b = server.takeOutput();
      if (b.length) {
        chunks.push({ from: "server", bytes: b });
        await client.receive(b);
      }
      quiet = !a.length && !b.length;
    }
    client.takeEvents();
    server.takeEvents();
  };
  await client.start();
  await move();
  await client.write(encode("GET /inspect HTTP/1.1\r\n\r\n"));
  await move();
  await client.keyUpdate(true);
  await move();
  await server.write(encode("echo after the key update\n"));
  await client.write(new Uint8Array([0, 1, 2, 0xfe, 0xff]));
  await move();
  await client.close();
  await move();
  return { chunks, keyLog };
}

const conv = await conversation();

function bookOf(text: string): KeyLogBook {
  const book = new KeyLogBook();
  book.add(text);
  book.end();
  return book;
}

/** The story the observer tells (events as comparable text), fed by `feed`. */
async function story(
  feed: (o: ConversationObserver) => Promise<void>,
  keyLog?: string,
  crypto?: CryptoProvider,
): Promise<string[]> {
  const events: InspectEvent[] = [];
  const book = keyLog === undefined ? undefined : bookOf(keyLog);
  const o = new ConversationObserver(
    (e) => events.push(e),
    book && ((random, label) => Promise.resolve(book.get(random, label))),
    crypto,
  );
  await feed(o);
  return events.map(describe);
}

function describe(e: InspectEvent): string {
  const hex = (b: Uint8Array) => b.toHex();
  switch (e.kind) {
    case "record":
      return `record ${e.from} ${e.epoch} ${e.contentType} ${hex(e.bytes)} → ${hex(e.content)}`;
    case "message":
      return `message ${e.from} ${e.type} ${e.epoch} ${hex(e.raw)}`;
    case "keys":
      return `keys ${e.direction} ${e.epoch} ${hex(e.key)}`;
    case "sealed":
      return `sealed ${e.from} ${e.bytes.length} ${e.why}`;
    default:
      return JSON.stringify(e, (_, v) => v instanceof Uint8Array ? hex(v) : v);
  }
}

const direct = await story(async (o) => {
  for (const c of conv.chunks) await o.feed(c.from, c.bytes);
  o.end("client");
  o.end("server");
}, conv.keyLog);

Deno.test("inspect: with the key log, every message, both KeyUpdates and the data are decrypted", () => {
  const text = direct.join("\n");
  const messages = direct.filter((l) => l.startsWith("message"));
  // ClientHello, ServerHello, EE, Certificate, CV, Finished, Finished, KeyUpdate ×2.
  assert.deepEqual(messages.map((l) => Number(l.split(" ")[2])), [1, 2, 8, 11, 15, 20, 20, 24, 24]);
  assert.ok(text.includes(encode("GET /inspect HTTP/1.1\r\n\r\n").toHex()), "client data opened");
  assert.ok(text.includes(encode("echo after the key update\n").toHex()), "data after KeyUpdate");
  assert.ok(text.includes("000102feff"), "binary data opened");
  assert.match(text, /"name":"client_application_traffic_secret_1"/);
  assert.match(text, /"name":"server_application_traffic_secret_1"/);
  assert.match(text, /"kind":"alert","from":"client","level":1,"description":0/);
  assert.ok(!text.includes("sealed"), "nothing left sealed");
});

testEachProvider(
  "inspect: every crypto provider opens the same records to the same story",
  async (crypto) => {
    const told = await story(
      async (o) => {
        for (const c of conv.chunks) await o.feed(c.from, c.bytes);
        o.end("client");
        o.end("server");
      },
      conv.keyLog,
      crypto,
    );
    assert.deepEqual(told, direct);
  },
);

Deno.test("inspect: without a key log, encrypted records are only counted", async () => {
  const blind = await story(async (o) => {
    for (const c of conv.chunks) await o.feed(c.from, c.bytes);
  });
  const sealed = blind.filter((l) => l.startsWith("sealed"));
  assert.ok(sealed.length >= 8, blind.join("\n"));
  assert.ok(sealed.every((l) => l.endsWith("no key log")));
  assert.deepEqual(
    blind.filter((l) => l.startsWith("message")).map((l) => Number(l.split(" ")[2])),
    [1, 2],
    "only the plaintext ClientHello and ServerHello are decoded",
  );
});

Deno.test("inspect: a key log for another connection opens nothing, and says so", async () => {
  const other = conv.keyLog.replace(/ ([0-9a-f]{64}) /g, ` ${"ab".repeat(32)} `);
  const s = await story(async (o) => {
    for (const c of conv.chunks) await o.feed(c.from, c.bytes);
  }, other);
  assert.ok(
    s.some((l) => /sealed server \d+ the key log has no SERVER_HANDSHAKE/.test(l)),
    s.join("\n"),
  );
});

/** The conversation as TCP segments of at most `mss` bytes, with a handshake and FINs. */
function segments(mss: number): TestSegment[] {
  const isn = { client: 0xfffff000, server: 0x7fffff00 }; // the client's wraps around 2^32
  const next = { client: isn.client + 1, server: isn.server + 1 };
  const out: TestSegment[] = [
    { from: "client", seq: isn.client, syn: true, ack: false },
    { from: "server", seq: isn.server, syn: true },
    { from: "client", seq: next.client },
  ];
  for (const c of conv.chunks) {
    for (let at = 0; at < c.bytes.length; at += mss) {
      const payload = c.bytes.subarray(at, at + mss);
      out.push({ from: c.from, seq: next[c.from] >>> 0, payload });
      next[c.from] += payload.length;
    }
  }
  out.push({ from: "client", seq: next.client >>> 0, fin: true });
  out.push({ from: "server", seq: next.server >>> 0, fin: true });
  return out;
}

/** Swaps neighbours, sends some twice (one of them cut to overlap), as a lossy network would. */
function disorder(segs: TestSegment[]): TestSegment[] {
  const out = [...segs];
  // Only within one direction: across directions, the capture's order is the story's order.
  for (let i = 4; i + 1 < out.length - 2; i += 7) {
    if (out[i].from === out[i + 1].from) [out[i], out[i + 1]] = [out[i + 1], out[i]];
  }
  for (let i = 5; i < out.length - 2; i += 11) out.splice(i + 3, 0, out[i]);
  const big = out.findIndex((s) => (s.payload?.length ?? 0) > 40);
  const s = out[big];
  out.splice(big + 2, 0, { ...s, seq: (s.seq + 10) >>> 0, payload: s.payload!.subarray(10, 30) });
  return out;
}

async function storyOfCapture(file: Uint8Array, keyLog?: string): Promise<string[]> {
  return await story(async (o) => {
    for (const e of captureEvents(file)) {
      if (e.kind === "data") await o.feed(e.from, e.bytes);
      if (e.kind === "end") o.end(e.from);
      if (e.kind === "done") {
        const s = e.connections[0].streams;
        assert.ok(s.client.retransmitted + s.server.retransmitted > 0, "retransmissions seen");
        assert.ok(s.client.outOfOrder + s.server.outOfOrder > 0, "reordering seen");
        assert.equal(s.client.stranded + s.server.stranded, 0, "no gap left");
      }
    }
  }, keyLog);
}

Deno.test("inspect: classic pcap, Ethernet, IPv6, reordered and retransmitted segments: the same story", async () => {
  const framing: Framing = { link: "ethernet", ip: 6, clientPort: 50000, serverPort: 443 };
  const frames = disorder(segments(100)).map((s) => frame(s, framing));
  const file = classicPcap(LINK_TYPES.ethernet, frames);
  assert.deepEqual(await storyOfCapture(file, conv.keyLog), direct);
  const opened = [...captureEvents(file)][0];
  assert.equal(opened.kind, "open");
  if (opened.kind === "open") {
    assert.equal(opened.connection.client, "[2001:db8::1]:50000");
    assert.equal(opened.connection.server, "[2001:db8::2]:443");
  }
});

Deno.test("inspect: big-endian nanosecond pcap, Linux cooked, IPv6: the same story", async () => {
  const framing: Framing = { link: "sll", ip: 6, clientPort: 50002, serverPort: 443 };
  const frames = disorder(segments(150)).map((s) => frame(s, framing));
  const file = classicPcap(LINK_TYPES.sll, frames, { bigEndian: true });
  assert.deepEqual(await storyOfCapture(file, conv.keyLog), direct);
});

Deno.test("inspect: pcapng, Linux cooked and BSD loopback framings, IPv4: the same story", async () => {
  for (const link of ["sll", "null"] as const) {
    const framing: Framing = { link, ip: 4, clientPort: 50001, serverPort: 8443 };
    const frames = disorder(segments(333)).map((s) => frame(s, framing));
    assert.deepEqual(await storyOfCapture(pcapng(LINK_TYPES[link], frames), conv.keyLog), direct);
  }
});

const sample = classicPcap(
  LINK_TYPES.ethernet,
  segments(200).map((s) => frame(s, { link: "ethernet", ip: 6, clientPort: 1, serverPort: 2 })),
);
const sampleNg = pcapng(
  LINK_TYPES.ethernet,
  segments(200).map((s) => frame(s, { link: "ethernet", ip: 4, clientPort: 1, serverPort: 2 })),
);

/** Reads a whole capture and tells its story; only CaptureError may come out. */
async function survive(file: Uint8Array): Promise<void> {
  try {
    await story(async (o) => {
      for (const e of captureEvents(file)) {
        if (e.kind === "data") await o.feed(e.from, e.bytes);
      }
    }, conv.keyLog);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    assert.ok(!e.message.includes("\n"), "one line");
  }
}

Deno.test("inspect: every truncation of a pcap and a pcapng is read or refused in one line", async () => {
  for (const file of [sample, sampleNg]) {
    for (let n = 0; n < file.length; n += n < 200 ? 1 : 37) await survive(file.subarray(0, n));
  }
});

Deno.test("inspect: bit flips and bogus lengths in captures never crash the reader", async () => {
  let seed = 15;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const file of [sample, sampleNg]) {
    for (let i = 0; i < 300; i++) {
      const bad = file.slice();
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
        bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
      }
      await survive(bad);
    }
  }
  const bogus = sample.slice();
  new DataView(bogus.buffer).setUint32(24 + 8, 0x7fffffff, true); // first frame's length
  assert.throws(() => [...captureEvents(bogus)], (e: Error) => {
    assert.ok(e instanceof CaptureError);
    assert.match(e.message, /pcap frame 1 at offset 24: bogus length/);
    return true;
  });
});

Deno.test("inspect CLI: a truncated capture is one line on stderr and exit status 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/cut.pcap`, sample.subarray(0, sample.length - 7));
    const out = await runHandshake(["inspect", `${dir}/cut.pcap`]);
    assert.equal(out.code, 1, out.stderr);
    assert.match(
      out.stderr,
      /^handshake inspect: pcap frame \d+ at offset \d+: .*truncated capture\)\n$/,
    );
    assert.match(out.stdout, /#1 client → server {2}ClientHello/, "what came before is told");
    await Deno.writeFile(`${dir}/text.pcap`, encode("hello, I am not a capture\n"));
    const text = await runHandshake(["inspect", `${dir}/text.pcap`]);
    assert.equal(text.code, 1);
    assert.match(text.stderr, /not a pcap or pcapng file \(it starts with 0x68656c6c\)/);
    const missing = await runHandshake(["inspect", `${dir}/none.pcap`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the capture .*none\.pcap: does not exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspect: bytes that stop being TLS records are reported, never thrown", async () => {
  const hello = conv.chunks[0].bytes;
  const told = async (...feeds: [Side, Uint8Array][]) =>
    (await story(async (o) => {
      for (const [from, bytes] of feeds) await o.feed(from, bytes);
      o.end("client");
    })).join("\n");
  const garbage = await told(["client", hello], ["client", new Uint8Array([0x99, 3, 3, 0, 5, 1])]);
  assert.match(
    garbage,
    /"kind":"problem","from":"client","text":"the record layer breaks off: received a record of unknown content type 153"/,
  );
  const huge = await told(["client", hello], ["client", new Uint8Array([23, 3, 3, 0xff, 0xff])]);
  assert.match(huge, /"kind":"problem".*record of 65535 bytes, more than the 16640 allowed/);
  const cut = await told(["client", hello.subarray(0, hello.length - 10)]);
  assert.match(cut, /"kind":"end","from":"client","unfinished":\d+/);
  assert.ok(!cut.includes("message client"), "no ClientHello from a record cut short");
  // A ClientHello whose framing is fine but whose body is not: shown, noted, records go on.
  const bad = hello.slice();
  bad[9 + 2 + 32 + 1 + 32 + 1] = 0xff; // the cipher_suites length, past the session id
  const notDecoded = await told(["client", bad], ["client", conv.chunks[2].bytes]);
  assert.match(notDecoded, /message client 1 plaintext/);
  assert.match(
    notDecoded,
    /"kind":"note","from":"client","text":"this ClientHello cannot be used: ClientHello: /,
  );
  assert.match(notDecoded, /record client plaintext 20/, "the ChangeCipherSpec after it is shown");
  const notTls = await told(["client", encode("GET / HTTP/1.1\r\n\r\n")]);
  assert.match(notTls, /"kind":"not_tls","from":"client","head":"474554/);
});

Deno.test("inspect CLI on a capture: --trace=bytes, --trace=secrets, --json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const framing: Framing = { link: "ethernet", ip: 4, clientPort: 40000, serverPort: 443 };
    await Deno.writeFile(
      `${dir}/c.pcap`,
      classicPcap(LINK_TYPES.ethernet, segments(500).map((s) => frame(s, framing))),
    );
    await Deno.writeTextFile(`${dir}/keys`, conv.keyLog);
    const bytes = await runHandshake([
      "inspect",
      `${dir}/c.pcap`,
      "--keylog",
      `${dir}/keys`,
      "--trace=bytes",
    ]);
    assert.equal(bytes.code, 0, bytes.stderr);
    assert.match(bytes.stdout, /#1 TCP 192\.0\.2\.1:40000 → 192\.0\.2\.2:443/);
    assert.match(
      bytes.stdout,
      /#1 {5}16 {23}type: handshake\n#1 {5}03 0[13] {20}legacy_record_version: TLS 1\.[02]/,
    );
    assert.match(bytes.stdout, /authentication tag: AES-GCM tag over header and ciphertext/);
    assert.match(bytes.stdout, /TLSInnerPlaintext, decrypted/);
    assert.match(bytes.stdout, /application data: "GET \/inspect HTTP\/1\.1\\r\\n\\r\\n"/);
    assert.match(bytes.stdout, /application data: hex 000102feff/);
    const blind = await runHandshake(["inspect", `${dir}/c.pcap`, "--trace=bytes"]);
    assert.match(blind.stdout, /encrypted_record: AEAD-encrypted TLSInnerPlaintext, not opened/);
    const secrets = await runHandshake([
      "inspect",
      `${dir}/c.pcap`,
      "--keylog",
      `${dir}/keys`,
      "--trace=secrets",
    ]);
    const serverHs = conv.keyLog.match(/^SERVER_HANDSHAKE_TRAFFIC_SECRET \S+ (\S+)$/m)![1];
    assert.ok(
      secrets.stdout.includes(`from the key log: SERVER_HANDSHAKE_TRAFFIC_SECRET = ${serverHs}`),
    );
    assert.match(
      secrets.stdout,
      /handshake keys now protect server → client: key [0-9a-f]{32}, iv [0-9a-f]{24}/,
    );
    assert.match(secrets.stdout, /client_application_traffic_secret_1 = [0-9a-f]{64}/);
    const json = await runHandshake([
      "inspect",
      `${dir}/c.pcap`,
      "--keylog",
      `${dir}/keys`,
      "--json",
    ]);
    const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(
      events.filter((e) => e.event === "key_update").map((e) => [e.from, e.requestUpdate]),
      [["client", true], ["server", false]],
    );
    const ch = events.find((e) => e.name === "ClientHello");
    assert.equal(ch.clientHello.serverName, "localhost");
    assert.ok(!json.stdout.includes(serverHs), "no secret values without --trace=secrets");
    const summary = events.find((e) => e.event === "summary");
    assert.equal(summary.tls, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspect: a handshake message split across records is put back together, and says so", async () => {
  const record = conv.chunks[0].bytes; // the ClientHello, in one record
  const body = record.subarray(5);
  const cut = [body.subarray(0, 100), body.subarray(100, 101), body.subarray(101)];
  const records = cut.map((part) => {
    const r = new Uint8Array(5 + part.length);
    r.set([22, 3, 1, part.length >> 8, part.length & 0xff]);
    r.set(part, 5);
    return r;
  });
  const told = await story(async (o) => {
    for (const r of records) await o.feed("client", r);
  });
  assert.equal(told.filter((l) => l.startsWith("record client plaintext 22")).length, 3);
  assert.equal(told.filter((l) => l.startsWith("message client 1")).length, 1);
  assert.equal(
    told[told.length - 1],
    '{"kind":"note","from":"client","text":"put back together from 3 records"}',
  );
  assert.equal(told.find((l) => l.startsWith("message"))!.split(" ")[4], body.toHex());
});

/** The observer with a key log still being written (`book`), holding back up to `maxBytes`. */
function holdingObserver(book: KeyLogBook, maxBytes: number) {
  const events: InspectEvent[] = [];
  const o = new ConversationObserver(
    (e) => events.push(e),
    (random, label) => Promise.resolve(book.get(random, label)),
    undefined,
    { maxBytes },
  );
  return { o, events, told: () => events.map(describe) };
}

Deno.test("inspect: records whose secrets are logged late are held back, then opened in order", async () => {
  const book = new KeyLogBook();
  const { o, told } = holdingObserver(book, 1 << 20);
  for (const c of conv.chunks) await o.feed(c.from, c.bytes);
  o.end("client");
  o.end("server");
  assert.ok(o.holding);
  const before = told();
  assert.ok(!before.some((l) => l.startsWith("sealed")), before.join("\n"));
  for (const side of ["CLIENT", "SERVER"]) {
    assert.ok(
      before.some((l) => l.includes(`${side}_HANDSHAKE_TRAFFIC_SECRET is not in the key log yet`)),
      before.join("\n"),
    );
  }
  assert.equal(await o.retry(), false, "nothing new in the key log");
  book.add(conv.keyLog);
  assert.equal(await o.retry(), true);
  assert.ok(!o.holding);
  const after = told();
  assert.match(
    after.join("\n"),
    /SERVER_HANDSHAKE_TRAFFIC_SECRET is in the key log now: the \d+ records held back follow/,
  );
  // The same story as told with the whole key log at once, the server's part after the client's.
  const notes = (l: string) => !l.includes('"kind":"note"');
  assert.deepEqual(after.filter(notes).toSorted(), direct.filter(notes).toSorted());
  assert.ok(!after.some((l) => l.startsWith("sealed")), after.join("\n"));
});

Deno.test("inspect: records held back for a secret that never comes are shown encrypted", async () => {
  const { o, told } = holdingObserver(new KeyLogBook(), 1 << 20);
  for (const c of conv.chunks) await o.feed(c.from, c.bytes);
  await o.stopWaiting("waited 30 s for it");
  assert.ok(!o.holding);
  const s = told().join("\n");
  assert.match(s, /no SERVER_HANDSHAKE_TRAFFIC_SECRET in the key log \(waited 30 s for it\)/);
  assert.match(s, /sealed server \d+ the key log has no SERVER_HANDSHAKE_TRAFFIC_SECRET/);
  assert.ok(!s.includes("application_traffic"), s);

  const small = holdingObserver(new KeyLogBook(), 100);
  for (const c of conv.chunks) await small.o.feed(c.from, c.bytes);
  assert.ok(!small.o.holding, "past the bound, nothing is held back");
  const t = small.told().join("\n");
  assert.match(t, /in the key log \(more than 100 bytes held back\)/);
  assert.match(t, /sealed (client|server) \d+ the key log has no/);
});
