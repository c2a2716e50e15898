/**
 * `inspect` between Node 26 (`node:tls` on OpenSSL 3.5, key log from its
 * `keylog` event) and Deno's native TLS (`Deno.listenTls`, rustls, key log
 * from SSLKEYLOGFILE), through the relay and from a dumpcap capture. They
 * agree on the hybrid post-quantum group X25519MLKEM768: the chosen group and
 * the key shares, split into their ML-KEM and X25519 parts, are shown, and
 * with either key log everything after the ServerHello opens.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { run } from "./helpers/commands.ts";
import { cannotCapture, captureLoopback, runInspect, startRelay } from "./helpers/inspect.ts";
import { Peer } from "./helpers/peer.ts";

/** Node 26 through npx, if it can be had here. */
async function node26(): Promise<boolean> {
  try {
    const v = await run("npx", ["-y", "node@26", "--version"], { timeoutMs: 120_000 });
    if (v.code === 0 && v.stdout.startsWith("v26.")) return true;
    console.warn(`ignoring the Node 26 inspect test: npx node@26 gave ${v.stdout}${v.stderr}`);
  } catch (e) {
    console.warn(`ignoring the Node 26 inspect test: ${(e as Error).message}`);
  }
  return false;
}

const haveNode26 = await node26();
const captureProblem = await cannotCapture();
if (captureProblem) console.warn(`inspect capture part ignored: ${captureProblem}`);

const DENO_SERVER = `
const l = Deno.listenTls({ hostname: "127.0.0.1", port: 0,
  cert: Deno.env.get("CERT"), key: Deno.env.get("KEY") });
console.log("port " + l.addr.port);
for await (const c of l) {
  const buf = new Uint8Array(1000);
  const n = await c.read(buf);
  await c.write(new TextEncoder().encode("deno heard: " + new TextDecoder().decode(buf.subarray(0, n))));
  await c.closeWrite();
}`;

const NODE_CLIENT = `
const tls = require("node:tls"), fs = require("node:fs");
const s = tls.connect({ host: "127.0.0.1", port: +process.env.PORT, servername: "localhost",
  ca: fs.readFileSync(process.env.CA) }, () => {
  console.log("connected", s.getCipher().standardName, s.getEphemeralKeyInfo().name);
  s.write("hello from node " + process.version + "\\n");
});
s.on("keylog", (line) => fs.appendFileSync(process.env.KEYLOG, line));
s.on("data", (d) => process.stdout.write(String(d)));
s.on("end", () => { console.log("end"); s.end(); });
s.on("error", (e) => { console.log("error", e.message); process.exit(1); });`;

function assertStory(text: string, where: string): void {
  const has = (re: RegExp) => assert.match(text, re, `${where}:\n${text}`);
  has(/#1 client → server {2}ClientHello · plaintext/);
  has(/groups X25519MLKEM768, x25519/);
  // ML-KEM-768 encapsulation key (1184 bytes) + X25519 (32): 1216 bytes.
  has(
    /key shares X25519MLKEM768 \(1216 bytes = ML-KEM-768 encapsulation key 1184 ‖ [^)]*32\), x25519 \(32 bytes\)/,
  );
  has(/chose TLS 1\.3 · TLS_AES_256_GCM_SHA384 · X25519MLKEM768/);
  // ML-KEM-768 ciphertext (1088 bytes) + X25519 (32): 1120 bytes.
  has(
    /random [0-9a-f]{64} · key share [0-9a-f]{16}…[0-9a-f]{8} \(1120 bytes = ML-KEM-768 ciphertext 1088 ‖ [^)]*32\)/,
  );
  has(/EncryptedExtensions · handshake keys/);
  has(/\[0\] CN=localhost,O=handshake development certificate/);
  has(/#1 server → client {2}Finished · handshake keys/);
  has(/#1 client → server {2}Finished · handshake keys/);
  has(/application data: "hello from node v26\.\d+\.\d+\\n"/);
  has(/application data: "deno heard: hello from node v26\.\d+\.\d+\\n"/);
  assert.ok(!/encrypted, \d+ bytes/.test(text), `${where}: every record opened:\n${text}`);
}

Deno.test({
  name: "inspect: Node 26 ↔ Deno.listenTls with X25519MLKEM768, through the relay and captured",
  ignore: !haveNode26,
  async fn() {
    const set = await makeCertSet({ dir: true });
    const dir = set.paths!.dir;
    const serverLog = `${dir}/deno.keys`, clientLog = `${dir}/node.keys`;
    await Deno.writeTextFile(`${dir}/server.ts`, DENO_SERVER);
    await Deno.writeTextFile(`${dir}/client.js`, NODE_CLIENT);
    const server = new Peer(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env=CERT,KEY",
      `${dir}/server.ts`,
    ], {
      env: {
        CERT: set.serverChainPem,
        KEY: set.server.privateKeyPem,
        SSLKEYLOGFILE: serverLog,
      },
    });
    const serverPort = Number((await server.waitFor(/port (\d+)/))[1]);
    const relay = await startRelay(serverPort, ["--keylog", clientLog]);
    const pcap = `${dir}/node-deno.pcapng`;
    const talk = async () => {
      const client = new Peer("npx", ["-y", "node@26", `${dir}/client.js`], {
        env: { PORT: String(relay.port), CA: set.paths!.ca, KEYLOG: clientLog },
      });
      try {
        assert.equal((await client.exited(30_000)).code, 0, client.output);
        assert.match(client.output, /connected TLS_AES_256_GCM_SHA384 X25519MLKEM768/);
        assert.match(client.output, /deno heard: hello from node v26/);
      } finally {
        await client.kill();
      }
      await relay.peer.waitFor(/#1 closed: relayed/);
    };
    try {
      if (captureProblem) await talk();
      else await captureLoopback(relay.port, pcap, talk);
      assertStory(relay.peer.output, "relay with Node's key log");
      if (!captureProblem) {
        const out = await runInspect([pcap, "--keylog", serverLog]);
        assert.equal(out.code, 0, out.stderr);
        assertStory(out.stdout, "capture with Deno's key log");
      }
    } finally {
      await relay.peer.kill();
      await server.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
