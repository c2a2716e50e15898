/**
 * `inspect` between real clients and our own `serve --mode http`: curl and
 * headless Chromium (each writing SSLKEYLOGFILE) through the relay and from
 * a dumpcap capture decrypted with the server's key log: the offered
 * ALPN, groups and GREASE, the chosen suite and group, the HTTP request and
 * the response, all in the narration; Chromium and our server agree on X25519MLKEM768.
 */

import assert from "node:assert/strict";
import { chromiumDumpDom } from "./helpers/chromium.ts";
import { startServe } from "./helpers/cli.ts";
import { need, run } from "./helpers/commands.ts";
import { cannotCapture, captureLoopback, runInspect, startRelay } from "./helpers/inspect.ts";
import { makeCertSet } from "./helpers/certs.ts";
import type { Peer } from "./helpers/peer.ts";

const tools = {
  curl: await need("the curl inspect test", "curl"),
  chromium: await need("the Chromium inspect test", "chromium", "certutil"),
};
const captureProblem = await cannotCapture();
if (captureProblem) console.warn(`inspect capture part ignored: ${captureProblem}`);

/**
 * Serves `--mode http` with a server key log, relays to it with the
 * client's key log, runs `client(port, keyLogPath)` while capturing, and
 * returns the relay's narration and the capture's.
 */
async function watch(
  client: (port: number, keyLog: string) => Promise<void>,
): Promise<{ relay: string; capture?: string }> {
  const set = await makeCertSet({ dir: true });
  const dir = set.paths!.dir;
  const serverLog = `${dir}/serve.keys`, clientLog = `${dir}/client.keys`;
  const server = await startServe(
    ["--cert", set.paths!.server, "--key", set.paths!.serverKey, "--mode", "http"],
    { SSLKEYLOGFILE: serverLog },
  );
  const relay = await startRelay(server.port, ["--keylog", clientLog]);
  const pcap = `${dir}/session.pcapng`;
  try {
    const talk = async () => {
      await client(relay.port, clientLog);
      await settled(relay.peer);
    };
    if (captureProblem) await talk();
    else await captureLoopback(relay.port, pcap, talk);
    await Deno.writeTextFile(`${dir}/ca.pem`, set.ca.certificatePem);
    let capture: string | undefined;
    if (!captureProblem) {
      const out = await runInspect([pcap, "--keylog", serverLog]);
      assert.equal(out.code, 0, out.stderr);
      capture = out.stdout;
    }
    return { relay: relay.peer.output, capture };
  } finally {
    await relay.peer.kill();
    await server.peer.kill();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Waits until the relay has told every connection to its end. Its "closed"
 * line comes once the records it held back for a secret the client logged
 * late are told too: opened when the secret comes, or shown encrypted after
 * the relay's 30 s wait (and then the story's assertions fail).
 */
async function settled(relay: Peer): Promise<void> {
  const count = (re: RegExp) => relay.output.match(re)?.length ?? 0;
  const deadline = Date.now() + 60_000;
  while (count(/^#\d+ TCP /gm) === 0 || count(/^#\d+ closed: /gm) < count(/^#\d+ TCP /gm)) {
    if (Date.now() > deadline) {
      throw new Error(`the relay did not tell every connection to its end:\n${relay.output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function assertHttpStory(text: string, where: string, client: RegExp[], group: string): void {
  const has = (re: RegExp) => assert.match(text, re, `${where}:\n${text}`);
  for (const re of client) has(re);
  has(/#\d server → client {2}ServerHello · plaintext/);
  has(new RegExp(`chose TLS 1\\.3 · TLS_AES_128_GCM_SHA256 · ${group}\n`));
  has(
    /EncryptedExtensions · handshake keys · \d+ bytes\n#\d {5}server_name acknowledged · ALPN http\/1\.1/,
  );
  has(/\[0\] CN=localhost,O=handshake development certificate/);
  has(
    /client → server[^\n]*\n#\d {5}application data: "GET \/ HTTP\/1\.1\\r\\nHost: localhost:\d+\\r\\n/,
  );
  has(/server → client[^\n]*\n#\d {5}application data: "HTTP\/1\.1 200 OK\\r\\n/);
  assert.ok(!/encrypted, \d+ bytes/.test(text), `${where}: every record opened:\n${text}`);
}

Deno.test({
  name: "inspect: curl ↔ serve --mode http through the relay and captured, with key logs",
  ignore: !tools.curl,
  async fn() {
    const story = await watch(async (port, keyLog) => {
      const before = await Deno.readTextFile(keyLog).catch(() => "");
      assert.equal(before, "", "curl writes the key log while the relay reads it");
      const dir = keyLog.replace(/\/[^/]+$/, "");
      const out = await run("curl", [
        "-sS",
        "--cacert",
        `${dir}/ca.pem`,
        `https://localhost:${port}/`,
      ], { env: { SSLKEYLOGFILE: keyLog } });
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /<html/i);
    });
    const curl = [
      /#1 client → server {2}ClientHello · plaintext · \d+ bytes/,
      /SNI localhost · ALPN h2, http\/1\.1/,
    ];
    assertHttpStory(story.relay, "relay with curl's key log", curl, "x25519");
    if (story.capture) {
      assertHttpStory(story.capture, "capture with serve's key log", curl, "x25519");
    }
  },
});

Deno.test({
  name: "inspect: Chromium ↔ serve --mode http through the relay and captured, with key logs",
  ignore: !tools.chromium,
  async fn() {
    const story = await watch(async (port, keyLog) => {
      const dir = keyLog.replace(/\/[^/]+$/, "");
      const out = await chromiumDumpDom(`https://localhost:${port}/`, `${dir}/ca.pem`, {
        SSLKEYLOGFILE: keyLog,
      });
      assert.equal(out.code, 0, out.stderr);
    });
    const chromium = [
      /ClientHello · plaintext · \d{4} bytes/,
      /versions GREASE \(0x[0-9a-f]{4}\), TLS 1\.3, TLS 1\.2 · suites GREASE/,
      /groups GREASE \(0x[0-9a-f]{4}\), X25519MLKEM768, x25519/,
      /key shares GREASE \(0x[0-9a-f]{4}\) \(1 byte\), X25519MLKEM768 \(1216 bytes = ML-KEM-768 encapsulation key 1184 ‖ [^)]*\), x25519 \(32 bytes\)/,
      /extensions, in order: [^\n]*GREASE \(0x[0-9a-f]{4}\)[^\n]*encrypted_client_hello/,
      /SNI localhost · ALPN h2, http\/1\.1/,
    ];
    // Our server does ML-KEM too: it takes Chromium's hybrid key share.
    assertHttpStory(story.relay, "relay with Chromium's key log", chromium, "X25519MLKEM768");
    if (story.capture) {
      assertHttpStory(story.capture, "capture with serve's key log", chromium, "X25519MLKEM768");
    }
  },
});
