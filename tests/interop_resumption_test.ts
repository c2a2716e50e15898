/**
 * Session resumption and external PSKs with real peers on loopback, both
 * directions: `openssl s_client -sess_out/-sess_in` against `handshake
 * serve`, `handshake connect --session` against `openssl s_server`, two
 * `serve` processes sharing `--ticket-keys` (and one after rotating them),
 * and external PSKs with `openssl s_server/s_client -psk`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { runConnect, runHandshake, type Server, startServe } from "./helpers/cli.ts";
import { echoOnce, ourClient } from "./helpers/pair.ts";
import { MemorySessionStore } from "../lib/session/store.ts";
import { need, run, startSServer } from "./helpers/commands.ts";
import { freePort, opensslServer, Peer, waitForPort } from "./helpers/peer.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
const paths = set.paths!;
const dir = paths.dir;
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const SERVE = ["--cert", paths.server, "--key", paths.serverKey];
const CONNECT = ["--ca", paths.ca, "--servername", "localhost"];
const PSK = "0123456789abcdef0123456789abcdef";

/** `openssl s_client` to our server, waiting for its tickets; returns its output. */
async function sClient(port: number, ...args: string[]): Promise<string> {
  const peer = new Peer("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-CAfile",
    paths.ca,
    "-verify_return_error",
    ...args,
  ]);
  try {
    await peer.waitFor(/---\n(New|Reused), TLSv1\.3[^]*Verify return code/);
    // The echo comes after the server's tickets: once it is back, they have arrived.
    await peer.write("hello\n");
    await peer.waitFor(/hello$/m);
    await peer.closeStdin();
    await peer.exited();
    return peer.output;
  } finally {
    await peer.kill();
  }
}

async function stop(...servers: Server[]): Promise<void> {
  for (const s of servers) await s.peer.kill();
}

Deno.test("openssl s_client -sess_out/-sess_in resumes with handshake serve", async () => {
  const server = await startServe(SERVE);
  try {
    const sess = `${dir}/openssl.sess`;
    const first = await sClient(server.port, "-sess_out", sess);
    assert.match(first, /New, TLSv1\.3/);
    const second = await sClient(server.port, "-sess_in", sess);
    assert.match(second, /Reused, TLSv1\.3, Cipher is TLS_AES_128_GCM_SHA256/);
    const lines = await server.peer.waitFor(/resumed \(psk_dhe_ke\)\s+ok/);
    assert.ok(lines);
  } finally {
    await stop(server);
  }
});

Deno.test("handshake connect --session resumes with openssl s_server, and keeps tickets 0600", async () => {
  const s = await startSServer(dir, ["-cert", paths.server, "-key", paths.serverKey, "-tls1_3"]);
  try {
    const file = `${dir}/ossl-sessions.json`;
    const args = [`localhost:${s.port}`, ...CONNECT, "--session", file, "--json"];
    const first = await runConnect(args);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout).resumed, false);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    const kept = JSON.parse(await Deno.readTextFile(file));
    assert.equal(kept.version, 1);
    assert.ok(kept.sessions.length >= 1, "openssl sends tickets");
    const second = await runConnect(args);
    assert.equal(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout);
    assert.equal(summary.resumed, true);
    assert.equal(summary.pskMode, "psk_dhe_ke");
    assert.equal(summary.earlyData, "none");
    assert.deepEqual(summary.peerCertificates, []);
  } finally {
    await s.close();
  }
});

Deno.test("two serve processes sharing --ticket-keys resume each other's sessions; a rotated file still opens old tickets", async () => {
  const keys = `${dir}/ticket.keys`;
  const a = await startServe([...SERVE, "--ticket-keys", keys]);
  const b = await startServe([...SERVE, "--ticket-keys", keys]);
  try {
    assert.equal((await Deno.stat(keys)).mode! & 0o777, 0o600);
    const file = `${dir}/shared-sessions.json`;
    const via = (port: number) =>
      runConnect([`localhost:${port}`, ...CONNECT, "--session", file, "--json"]);
    const first = await via(a.port);
    assert.equal(JSON.parse(first.stdout).resumed, false, first.stderr);
    const second = await via(b.port);
    assert.equal(JSON.parse(second.stdout).resumed, true, second.stderr);
    await b.peer.waitFor(/resumed \(psk_dhe_ke\)/);
    // Rotate: a third server adds a key; tickets sealed by the old one still open.
    const c = await startServe([...SERVE, "--ticket-keys", keys, "--rotate-ticket-keys"]);
    try {
      assert.equal((await Deno.readTextFile(keys)).trim().split("\n").length, 2);
      const third = await via(c.port);
      assert.equal(JSON.parse(third.stdout).resumed, true, third.stderr);
    } finally {
      await stop(c);
    }
    // Another server with its own keys cannot open them: a full handshake, not an error.
    const other = await startServe(SERVE);
    try {
      const fourth = await via(other.port);
      assert.equal(fourth.code, 0, fourth.stderr);
      assert.equal(JSON.parse(fourth.stdout).resumed, false);
    } finally {
      await stop(other);
    }
  } finally {
    await stop(a, b);
  }
});

Deno.test("external PSK: openssl s_client -psk against serve --psk (no certificate), and connect --psk against openssl s_server -psk -nocert", async () => {
  const server = await startServe(["--psk", PSK, "--psk-identity", "Client_identity"]);
  try {
    const peer = new Peer("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${server.port}`,
      "-psk",
      PSK,
      "-psk_identity",
      "Client_identity",
      "-tls1_3",
    ]);
    try {
      await peer.waitFor(/Cipher is TLS_AES_128_GCM_SHA256/);
      await peer.write("psk\n");
      await peer.waitFor(/psk$/m);
    } finally {
      await peer.kill();
    }
    await server.peer.waitFor(/resumed \(psk_dhe_ke\)/);
  } finally {
    await stop(server);
  }
  const s = await startSServer(dir, [
    "-nocert",
    "-psk",
    PSK,
    "-psk_identity",
    "Client_identity",
    "-tls1_3",
  ]);
  try {
    const out = await runConnect([`localhost:${s.port}`, "--psk", PSK, "--json"]);
    assert.equal(out.code, 0, out.stderr);
    const summary = JSON.parse(out.stdout);
    assert.equal(summary.resumed, true);
    assert.equal(summary.cipherSuite, "TLS_AES_128_GCM_SHA256");
    const wrong = await runConnect([
      `localhost:${s.port}`,
      "--psk",
      PSK.replace("0", "f"),
      "--json",
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /decrypt_error|illegal_parameter|handshake_failure/);
  } finally {
    await s.close();
  }
  // --psk alone trusts no certificate: a server without the PSK that shows one is refused (and
  // no CA file is needed or read: this runs where certs/ca.pem does not exist).
  const certOnly = await startSServer(dir, ["-cert", paths.server, "-key", paths.serverKey]);
  try {
    const out = await runConnect([`localhost:${certOnly.port}`, "--psk", PSK]);
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stderr, /did not accept the external PSK and sent a certificate instead/);
    assert.match(out.stderr, /certificate_unknown/);
  } finally {
    await certOnly.close();
  }
});

Deno.test("0-RTT: openssl s_client -early_data against serve --early-data, accepted once and delivered", async () => {
  const server = await startServe([...SERVE, "--early-data", "1024"]);
  try {
    const sess = `${dir}/early.sess`;
    const early = `${dir}/early.txt`;
    await Deno.writeTextFile(early, "early bird\n");
    await sClient(server.port, "-sess_out", sess);
    const out = await sClient(server.port, "-sess_in", sess, "-early_data", early);
    assert.match(out, /Early data was accepted/);
    assert.match(out, /early bird/, "echoed back");
    await server.peer.waitFor(/resumed \(psk_dhe_ke\) 0-RTT accepted .*\(11 in 0-RTT data\)/);
  } finally {
    await stop(server);
  }
});

Deno.test("0-RTT: connect --session --early-data against openssl s_server -early_data", async () => {
  const { peer, port } = await opensslServer(paths, { rev: false, extra: ["-early_data"] });
  try {
    const file = `${dir}/early-sessions.json`;
    const early = `${dir}/early-client.txt`;
    await Deno.writeTextFile(early, "zero round trips\n");
    const args = [`localhost:${port}`, ...CONNECT, "--session", file, "--json"];
    const first = await runConnect(args);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout).earlyData, "none");
    const second = await runConnect([...args, "--early-data", early]);
    assert.equal(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout);
    assert.equal(summary.resumed, true);
    assert.equal(summary.earlyData, "accepted");
    // s_server prints the heading on stderr and the data on stdout: they interleave.
    await peer.waitFor(/Early data received:/);
    await peer.waitFor(/zero round trips/);
  } finally {
    await peer.kill();
  }
});

const gnutls = await need("GnuTLS resumption interop", "gnutls-serv", "gnutls-cli");

Deno.test({
  name: "gnutls-cli --resume --earlydata against serve --early-data",
  ignore: !gnutls,
  fn: async () => {
    const server = await startServe([...SERVE, "--early-data", "1024"]);
    try {
      const early = `${dir}/gnutls-early.txt`;
      await Deno.writeTextFile(early, "early gnutls\n");
      const out = await run("gnutls-cli", [
        "--x509cafile",
        paths.ca,
        "--port",
        String(server.port),
        "localhost",
        "--resume",
        "--earlydata",
        early,
      ], { timeoutMs: 20_000 });
      assert.match(out.stdout + out.stderr, /This is a resumed session/);
      await server.peer.waitFor(/resumed \(psk_dhe_ke\) 0-RTT accepted .*\(13 in 0-RTT data\)/);
    } finally {
      await stop(server);
    }
  },
});

Deno.test({
  name: "connect --session --early-data against gnutls-serv --earlydata",
  ignore: !gnutls,
  fn: async () => {
    const port = freePort();
    const peer = new Peer("gnutls-serv", [
      "--echo",
      "--port",
      String(port),
      "--x509certfile",
      paths.server,
      "--x509keyfile",
      paths.serverKey,
      "--earlydata",
      "--maxearlydata",
      "1000",
    ]);
    try {
      await peer.waitFor(/Echo Server listening|ready/i);
      await waitForPort(port);
      const file = `${dir}/gnutls-sessions.json`;
      const early = `${dir}/gnutls-client-early.txt`;
      await Deno.writeTextFile(early, "hello early\n");
      const args = [`localhost:${port}`, ...CONNECT, "--session", file, "--json"];
      const first = await runConnect(args);
      assert.equal(JSON.parse(first.stdout).resumed, false, first.stderr);
      const second = await runConnect([...args, "--early-data", early]);
      const summary = JSON.parse(second.stdout);
      assert.equal(summary.resumed, true, second.stderr);
      assert.equal(summary.earlyData, "accepted");
      await peer.waitFor(/This is a resumed session/);
    } finally {
      await peer.kill();
    }
  },
});

const NODE_CLIENT = `
import tls from "node:tls";
import fs from "node:fs";
const [port, ca] = [Number(process.argv[1]), fs.readFileSync(process.argv[2])];
const once = (session) => new Promise((resolve, reject) => {
  let next;
  const s = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca, session }, () => s.write("x"));
  s.on("session", (t) => { next = t; });
  s.on("data", () => { const reused = s.isSessionReused(); setTimeout(() => { s.end(); resolve({ reused, next }); }, 100); });
  s.on("error", reject);
});
const a = await once();
const b = await once(a.next);
console.log(JSON.stringify([a.reused, b.reused]));
`;

const NODE_SERVER = `
import tls from "node:tls";
import fs from "node:fs";
const [cert, key] = [fs.readFileSync(process.argv[1]), fs.readFileSync(process.argv[2])];
const server = tls.createServer({ cert, key, minVersion: "TLSv1.3", ticketKeys: Buffer.alloc(48, 7) }, (s) => {
  console.log("reused=" + s.isSessionReused());
  s.on("data", (d) => s.write(d));
  s.on("end", () => s.end());
  s.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => console.log("listening " + server.address().port));
`;

Deno.test("node:tls resumes with serve (session event and option), and connect --session resumes with a node:tls server (ticketKeys)", async () => {
  const server = await startServe(SERVE);
  try {
    const out = await run("node", [
      "--input-type=module",
      "-e",
      NODE_CLIENT,
      String(server.port),
      paths.ca,
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), [false, true]);
    await server.peer.waitFor(/resumed \(psk_dhe_ke\)/);
  } finally {
    await stop(server);
  }
  const node = new Peer("node", [
    "--input-type=module",
    "-e",
    NODE_SERVER,
    paths.server,
    paths.serverKey,
  ]);
  try {
    const port = Number((await node.waitFor(/listening (\d+)/))[1]);
    const file = `${dir}/node-sessions.json`;
    const args = [`localhost:${port}`, ...CONNECT, "--session", file, "--json"];
    assert.equal(JSON.parse((await runConnect(args)).stdout).resumed, false);
    assert.equal(JSON.parse((await runConnect(args)).stdout).resumed, true);
    await node.waitFor(/reused=true/);
  } finally {
    await node.kill();
  }
});

Deno.test("serve --tickets, --ticket-lifetime and --psk-ke as a client sees them", async () => {
  // --ticket-lifetime is the lifetime s_client is told; over 7 days is refused (RFC 8446 §4.6.1).
  const short = await startServe([...SERVE, "--tickets", "1", "--ticket-lifetime", "60"]);
  try {
    const out = await sClient(short.port, "-sess_out", `${dir}/short.sess`);
    assert.match(out, /TLS session ticket lifetime hint: 60 \(seconds\)/);
  } finally {
    await stop(short);
  }
  const long = await runHandshake(["serve", ...SERVE, "--ticket-lifetime", "604801"]);
  assert.equal(long.code, 2);
  assert.match(long.stderr, /--ticket-lifetime 604801 is over 7 days/);

  /** Two connections of our client sharing one session store: is the second resumed, and how? */
  async function twice(serveFlags: string[], pskModes: ("psk_dhe_ke" | "psk_ke")[]) {
    const server = await startServe([...SERVE, ...serveFlags]);
    try {
      const sessions = new MemorySessionStore();
      const first = await ourClient(server.port, set, { sessions, pskModes });
      assert.equal(await echoOnce(first.conn, "one\n"), "one\n"); // the tickets came before it
      await first.conn.close();
      const second = await ourClient(server.port, set, { sessions, pskModes });
      await second.conn.close();
      return second.info;
    } finally {
      await stop(server);
    }
  }
  // --tickets 0: nothing to resume with.
  assert.equal((await twice(["--tickets", "0"], ["psk_dhe_ke"])).resumed, false);
  // --psk-ke: a client offering only psk_ke resumes without a key exchange; without it, it does not.
  const pskKe = await twice(["--psk-ke"], ["psk_ke"]);
  assert.equal(pskKe.resumed, true);
  assert.equal(pskKe.pskMode, "psk_ke");
  assert.equal((await twice([], ["psk_ke"])).resumed, false);
});
