/**
 * The processes the benchmark starts, one role per run:
 *
 *   deno run -A bench/peers.ts ROLE [flags]
 *
 *   deno-server  Deno.listenTls: echo, or sink with --sink
 *   ours-server  our listen(), as a sink (the echo server is `main.ts serve`), on --crypto
 *   ours-client  our connect(): sends --bytes, then close_notify, on --crypto
 *   deno-client  Deno.connectTls: the same
 *   deno-pipe    Deno.connectTls with stdin sent and what comes back on stdout (as
 *                `handshake connect` does), closing its writing side at the end of stdin
 *   hold         opens --conns connections to a server with Deno.connectTls,
 *                echoes one byte on each, prints "ready", holds them until stdin closes
 *   floor        times the WebCrypto calls a server handshake cannot avoid
 *   aead         times WebCrypto AES-128-GCM seal + open of 16 KiB records
 *
 * Sinks print `sink: N bytes in T ms` when a client closes; `floor` and
 * `aead` print one line of JSON.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connect, listen } from "../lib/net.ts";
import { CipherSuite, NamedGroup } from "../lib/codepoints.ts";
import { loadTrustAnchors } from "../lib/deno/trust_files.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { loadCertificatePair } from "../cli/credentials.ts";
import { cryptoProvider, isProviderName } from "../lib/providers.ts";
import { collectOnSignal } from "./gc.ts";

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    port: { type: "string", default: "0" },
    cert: { type: "string" },
    key: { type: "string" },
    ca: { type: "string" },
    sink: { type: "boolean", default: false },
    bytes: { type: "string", default: "0" },
    chunk: { type: "string", default: "65536" },
    conns: { type: "string", default: "100" },
    iterations: { type: "string", default: "1000" },
    records: { type: "string", default: "2000" },
    inflight: { type: "string", default: "1" },
    crypto: { type: "string", default: "webcrypto" },
  },
});
if (!isProviderName(values.crypto)) throw new Error(`unknown --crypto ${values.crypto}`);
/** Our side's crypto provider (webcrypto unless --crypto says otherwise). */
const ourCrypto = () => cryptoProvider(values.crypto as "webcrypto" | "openssl");

const port = Number(values.port);
collectOnSignal(); // for the memory section
// A clean exit on SIGTERM, so that `deno run --cpu-prof` writes its profile.
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
const SUITE = CipherSuite.TLS_AES_128_GCM_SHA256;

/** Own CPU time (user + system) in microseconds, from /proc/self/stat. */
function selfCpu(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 1e4;
}

/** Reads everything a connection sends, echoing it back unless `sink`. Returns the byte count. */
async function serveOne(
  conn: { read(p: Uint8Array): Promise<number | null>; write(p: Uint8Array): Promise<number> },
  sink: boolean,
): Promise<number> {
  // An echo server reads in 16 KiB, as `handshake serve` does; a sink in 64 KiB.
  const buf = new Uint8Array(sink ? 1 << 16 : 1 << 14);
  let total = 0;
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    total += n;
    if (!sink) await writeAll(conn, buf.subarray(0, n));
  }
  return total;
}

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, p: Uint8Array) {
  for (let at = 0; at < p.length;) at += await w.write(p.subarray(at));
}

/** One line per connection, like `handshake serve` prints. */
function logLine(peer: Deno.Addr, bytes: number, started: number, sink: boolean) {
  const addr = peer as Deno.NetAddr;
  const ms = performance.now() - started;
  if (sink) console.log(`sink: ${bytes} bytes in ${ms.toFixed(1)} ms`);
  else {console.log(
      `${addr.hostname}:${addr.port}  ok, echoed ${bytes} bytes  ${Math.round(ms)} ms`,
    );}
}

async function denoServer() {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port,
    cert: await Deno.readTextFile(values.cert!),
    key: await Deno.readTextFile(values.key!),
  });
  console.error(`listening on ${listener.addr.port}`);
  for await (const conn of listener) {
    (async () => {
      const started = performance.now();
      try {
        await conn.handshake();
        const bytes = await serveOne(conn, values.sink);
        logLine(conn.remoteAddr, bytes, started, values.sink);
      } catch (e) {
        console.log(`failed: ${(e as Error).message}`);
      } finally {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
    })();
  }
}

async function oursServer() {
  const crypto = await ourCrypto();
  const certificate = await loadCertificatePair(values.cert!, values.key!, crypto);
  const listener = listen({
    hostname: "127.0.0.1",
    port,
    crypto,
    certificate,
    cipherSuites: [SUITE],
  });
  console.error(`listening on ${listener.addr.port}`);
  for await (const conn of listener) {
    (async () => {
      const started = performance.now();
      try {
        await conn.handshake();
        const bytes = await serveOne(conn, values.sink);
        logLine(conn.remoteAddr, bytes, started, values.sink);
        await conn.close();
      } catch (e) {
        console.log(`failed: ${(e as Error).message}`);
        await conn.close().catch(() => {});
      }
    })();
  }
}

/** Sends `--bytes` in `--chunk` writes, then closes. */
async function send(conn: {
  write(p: Uint8Array): Promise<number>;
  close(): void | Promise<void>;
}) {
  const total = Number(values.bytes);
  const chunk = new Uint8Array(Number(values.chunk)).fill(0x61);
  const started = performance.now();
  for (let sent = 0; sent < total;) {
    const n = Math.min(chunk.length, total - sent);
    await writeAll(conn, chunk.subarray(0, n));
    sent += n;
  }
  await conn.close();
  console.log(`sent: ${total} bytes in ${(performance.now() - started).toFixed(1)} ms`);
}

async function oursClient() {
  const verifier = new PathVerifier(await loadTrustAnchors(values.ca!));
  const conn = await connect({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    crypto: await ourCrypto(),
    verifier,
    cipherSuites: [SUITE],
    groups: [NamedGroup.x25519],
  });
  await conn.handshake();
  await send(conn);
}

async function denoClient() {
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [await Deno.readTextFile(values.ca!)],
  });
  await conn.handshake();
  await send(conn);
}

/** stdin → a Deno.connectTls connection → stdout, like `handshake connect` over an echo server. */
async function denoPipe() {
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [await Deno.readTextFile(values.ca!)],
  });
  await conn.handshake();
  const up = Deno.stdin.readable.pipeTo(conn.writable, { preventClose: true })
    .then(() => conn.closeWrite());
  await conn.readable.pipeTo(Deno.stdout.writable);
  await up;
}

/** Opens connections and holds them idle, each proven by a one-byte echo. */
async function hold() {
  const caCerts = [await Deno.readTextFile(values.ca!)];
  const n = Number(values.conns);
  const conns: Deno.TlsConn[] = [];
  const one = async () => {
    const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts });
    await conn.write(new Uint8Array([0x61]));
    const buf = new Uint8Array(1);
    if ((await conn.read(buf)) !== 1) throw new Error("no echo");
    conns.push(conn);
  };
  // A few at a time: a server under test is not a denial-of-service target.
  const PARALLEL = 16;
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < n) {
        next++;
        await one();
      }
    }),
  );
  console.log(`ready ${conns.length}`);
  for await (const _ of Deno.stdin.readable) {
    // held until stdin closes
  }
  for (const c of conns) c.close();
}

/**
 * The WebCrypto calls a server handshake cannot avoid: an X25519 key pair,
 * its public value, the peer's share imported and the shared secret
 * derived, and one ECDSA P-256 signature over a CertificateVerify-sized
 * input (with the key imported once, as a server does).
 */
async function floor() {
  const { key } = await loadCertificatePair(values.cert!, values.key!);
  const peer = await crypto.subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
  const peerPublic = new Uint8Array(
    await crypto.subtle.exportKey("raw", (peer as CryptoKeyPair).publicKey),
  );
  const content = new Uint8Array(130).fill(0x20);
  const one = async () => {
    const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
      "deriveBits",
    ]) as CryptoKeyPair;
    await crypto.subtle.exportKey("raw", pair.publicKey);
    const pub = await crypto.subtle.importKey(
      "raw",
      peerPublic as BufferSource,
      { name: "X25519" },
      true,
      [],
    );
    await crypto.subtle.deriveBits({ name: "X25519", public: pub }, pair.privateKey, 256);
    await key.sign(0x0403, content); // ecdsa_secp256r1_sha256
  };
  const n = Number(values.iterations);
  for (let i = 0; i < Math.min(200, n); i++) await one(); // warm-up
  const cpu0 = selfCpu(), t0 = performance.now();
  for (let i = 0; i < n; i++) await one();
  const cpu = selfCpu() - cpu0, wall = performance.now() - t0;
  console.log(JSON.stringify({ iterations: n, cpuMicros: cpu / n, wallMicros: wall * 1000 / n }));
}

/**
 * WebCrypto AES-128-GCM: seal then open 16 KiB records (plus the content
 * type byte), `--inflight` pipelines at once (1: one record at a time).
 */
async function aead() {
  const key = await crypto.subtle.importKey(
    "raw",
    crypto.getRandomValues(new Uint8Array(16)),
    "AES-GCM",
    false,
    ["encrypt", "decrypt"],
  );
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const aad = new Uint8Array([23, 3, 3, 0x40, 0x11]);
  const record = new Uint8Array((1 << 14) + 1);
  const n = Number(values.records);
  const inflight = Number(values.inflight);
  const one = async () => {
    const params = { name: "AES-GCM", iv, additionalData: aad };
    const sealed = await crypto.subtle.encrypt(params, key, record);
    await crypto.subtle.decrypt(params, key, sealed);
  };
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: inflight }, async () => {
      while (next++ < count) await one();
    }));
  };
  await run(Math.min(200, n)); // warm-up
  const cpu0 = selfCpu(), t0 = performance.now();
  await run(n);
  const cpu = selfCpu() - cpu0, wall = performance.now() - t0;
  const bytes = n * (1 << 14);
  console.log(JSON.stringify({ records: n, inflight, bytes, wallMs: wall, cpuMicros: cpu }));
}

const ROLES: Record<string, () => Promise<void>> = {
  "deno-server": denoServer,
  "ours-server": oursServer,
  "ours-client": oursClient,
  "deno-client": denoClient,
  "deno-pipe": denoPipe,
  hold,
  floor,
  aead,
};

const role = ROLES[positionals[0]];
if (!role) {
  console.error(`unknown role "${positionals[0]}"; one of ${Object.keys(ROLES).join(", ")}`);
  Deno.exit(2);
}
await role();
