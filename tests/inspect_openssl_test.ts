/**
 * `inspect` between two real OpenSSL processes: `openssl s_client` talks to
 * `openssl s_server` through the relay, each with its own key log, while
 * dumpcap records the client's side on loopback. The relay's narration (with
 * the client's key log, still being written while the relay reads it) and
 * the capture's (with the server's) tell the same decrypted story: the
 * certificate, both lines of data, a KeyUpdate each way (the relay opens
 * records with the openssl crypto provider, the capture reader with
 * webcrypto). Without a key log, only "encrypted, N bytes".
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { need } from "./helpers/commands.ts";
import { cannotCapture, captureLoopback, runInspect, startRelay } from "./helpers/inspect.ts";
import { freePort, opensslClient, opensslServer, Peer } from "./helpers/peer.ts";

const openssl = await need("the OpenSSL inspect test", "openssl");
const captureProblem = await cannotCapture();
if (captureProblem) console.warn(`inspect capture part ignored: ${captureProblem}`);

/** What the narration of this conversation must say, with a key log. */
function assertStory(text: string, where: string): void {
  const has = (re: RegExp) => assert.match(text, re, `${where}:\n${text}`);
  has(/#1 client → server {2}ClientHello · plaintext/);
  has(/SNI localhost/);
  has(/extensions, in order: server_name, ec_point_formats, supported_groups, session_ticket, /);
  has(/#1 server → client {2}ServerHello · plaintext/);
  has(/chose TLS 1\.3 · TLS_AES_256_GCM_SHA384 · x25519/);
  has(/record change_cipher_spec · TLS 1\.2 · 1 byte: ChangeCipherSpec/);
  has(/from the key log: SERVER_HANDSHAKE_TRAFFIC_SECRET/);
  has(/EncryptedExtensions · handshake keys/);
  has(
    /\[0\] CN=localhost,O=handshake development certificate · issuer CN=handshake development CA/,
  );
  has(/SAN DNS:localhost, IP:127\.0\.0\.1, IP:::1/);
  has(/CertificateVerify · handshake keys/);
  has(/#1 server → client {2}Finished · handshake keys/);
  has(/#1 client → server {2}Finished · handshake keys/);
  has(/application data: "hello from s_client\\n"/);
  has(/#1 client → server {2}KeyUpdate · application keys · 5 bytes\n#1 {5}update_requested/);
  has(/application keys \(generation 1\) now protect client → server/);
  has(/#1 server → client {2}KeyUpdate · application keys · 5 bytes\n#1 {5}update_not_requested/);
  has(/application keys \(generation 1\) now protect server → client/);
  has(/application data: "hello from s_server\\n"/);
  has(/NewSessionTicket · application keys/);
  has(/alert warning close_notify · application keys \(generation 1\)/);
  assert.ok(!/encrypted, \d+ bytes/.test(text), `${where}: every record opened:\n${text}`);
}

Deno.test({
  name: "inspect: openssl s_client ↔ s_server through the relay and from a dumpcap capture",
  ignore: !openssl,
  async fn() {
    const set = await makeCertSet({ dir: true });
    const dir = set.paths!.dir;
    const serverLog = `${dir}/server.keys`, clientLog = `${dir}/client.keys`;
    const { peer: server, port: serverPort } = await opensslServer(set.paths!, {
      version: "any",
      rev: false,
      extra: ["-keylogfile", serverLog],
    });
    // The relay opens records with the openssl provider; the capture is read with webcrypto.
    const relay = await startRelay(serverPort, ["--keylog", clientLog, "--crypto", "openssl"]);
    const pcap = `${dir}/openssl.pcapng`;
    const talk = async () => {
      const client = opensslClient(relay.port, set.paths!, { extra: ["-keylogfile", clientLog] });
      try {
        await client.waitFor(/Verify return code: 0 \(ok\)/);
        await client.write("hello from s_client\n");
        await server.waitFor(/hello from s_client/);
        await client.write("K\n"); // s_client: send a KeyUpdate that asks the peer for one too
        await client.waitFor(/KEYUPDATE/);
        await new Promise((r) => setTimeout(r, 200));
        await server.write("hello from s_server\n");
        await client.waitFor(/hello from s_server/);
        await client.closeStdin();
        await client.exited();
      } finally {
        await client.kill();
      }
      await relay.peer.waitFor(/#1 closed: relayed \d+ bytes/);
    };
    try {
      if (captureProblem) await talk();
      else await captureLoopback(relay.port, pcap, talk);
      assertStory(relay.peer.output, "relay with the client's key log");
      if (!captureProblem) {
        const out = await runInspect([pcap, "--keylog", serverLog]);
        assert.equal(out.code, 0, out.stderr);
        assertStory(out.stdout, "capture with the server's key log");
        assert.match(out.stdout, /#1 end of capture: client sent \d+ bytes, server \d+/);
        const blind = await runInspect([pcap]);
        assert.equal(blind.code, 0, blind.stderr);
        assert.match(blind.stdout, /ServerHello/);
        assert.match(
          blind.stdout,
          /record application_data · TLS 1\.2 · \d+ bytes: encrypted, \d+ bytes \(no key log\)/,
        );
        assert.ok(!blind.stdout.includes("hello from"), "no plaintext without keys");
        assert.ok(!blind.stdout.includes("Certificate"), "the certificate is encrypted");
        const json = await runInspect([pcap, "--keylog", serverLog, "--json"]);
        const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
        const sh = events.find((e) => e.event === "message" && e.name === "ServerHello");
        assert.equal(sh.cipherSuite, "TLS_AES_256_GCM_SHA384");
        const cert = events.find((e) => e.event === "message" && e.name === "Certificate");
        assert.equal(cert.certificates[0].commonName, "localhost");
        assert.ok(events.every((e) => e.connection === 1));
        assert.ok(
          events.some((e) => e.event === "record" && e.data === '"hello from s_server\\n"'),
        );
      }
    } finally {
      await relay.peer.kill();
      await server.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "inspect relay: a HelloRetryRequest, ChaCha20-Poly1305, and TLS 1.2 shown as records",
  ignore: !openssl,
  async fn() {
    const set = await makeCertSet({ dir: true });
    const { peer: server, port: serverPort } = await opensslServer(set.paths!, {
      version: "any",
      rev: false,
      groups: "secp384r1",
      quiet: true,
    });
    const keyLog = `${set.paths!.dir}/client.keys`;
    const relay = await startRelay(serverPort, ["--keylog", keyLog]);
    const connect = async (n: number, ...extra: string[]) => {
      const client = opensslClient(relay.port, set.paths!, {
        extra: ["-keylogfile", keyLog, ...extra],
      });
      try {
        await client.waitFor(/Verify return code: 0 \(ok\)/);
        await client.write(`line ${n}\n`);
        await server.waitFor(new RegExp(`line ${n}`));
        await client.closeStdin();
        await client.exited();
      } finally {
        await client.kill();
      }
      await relay.peer.waitFor(new RegExp(`#${n} closed: relayed`));
    };
    try {
      await connect(1);
      await connect(2, "-tls1_2");
      await connect(3, "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256");
      const out = relay.peer.output;
      const has = (re: RegExp) => assert.match(out, re, out);
      has(
        /#1 server → client {2}HelloRetryRequest · plaintext · \d+ bytes\n#1 {5}TLS_AES_256_GCM_SHA384; asks for a key share for secp384r1/,
      );
      has(
        /#1 client → server {2}ClientHello · plaintext[^]*#1 client → server {2}ClientHello · plaintext/,
      );
      has(/key shares secp384r1 \(97 bytes\)/);
      has(/#1 {5}chose TLS 1\.3 · TLS_AES_256_GCM_SHA384 · secp384r1/);
      has(/#2 {5}versions \(none\)/);
      has(/#2 {5}chose TLS 1\.2 · TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384/);
      has(/#2 {5}TLS 1\.2 was chosen: inspect decodes TLS 1\.3/);
      has(
        /#2 server → client {2}record change_cipher_spec · TLS 1\.2 · 1 byte: ChangeCipherSpec, encrypted from here on/,
      );
      has(
        /#2 client → server {2}record application_data · TLS 1\.2 · \d+ bytes: encrypted, \d+ bytes \(TLS 1\.2, after ChangeCipherSpec\)/,
      );
      has(/#1 {5}application data: "line 1\\n"/);
      has(/#3 {5}chose TLS 1\.3 · TLS_CHACHA20_POLY1305_SHA256 · secp384r1/);
      has(
        /#3 client → server {2}record application_data · TLS 1\.2 · 24 bytes → opened with application keys: application_data, 7 bytes\n#3 {5}application data: "line 3\\n"/,
      );
      has(/#3 server → client {2}Certificate · handshake keys/);
      assert.ok(!out.includes("no longer decoded"), out);
    } finally {
      await relay.peer.kill();
      await server.kill();
      await Deno.remove(set.paths!.dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "inspect relay: a key log written seconds late: records are held back, then all opened",
  ignore: !openssl,
  async fn() {
    const set = await makeCertSet({ dir: true });
    const dir = set.paths!.dir;
    const serverPort = freePort();
    const server = new Peer("openssl", [
      "s_server",
      "-accept",
      `127.0.0.1:${serverPort}`,
      "-cert",
      set.paths!.server,
      "-key",
      set.paths!.serverKey,
      "-quiet",
    ]);
    // s_client logs to a file of its own; the relay's key log gets its lines only later,
    // as a browser's background writer under load may (the relay used to wait 3 s at most).
    const ownLog = `${dir}/s_client.keys`, relayLog = `${dir}/late.keys`;
    const relay = await startRelay(serverPort, ["--keylog", relayLog]);
    const client = new Peer("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${relay.port}`,
      "-servername",
      "localhost",
      "-CAfile",
      set.paths!.ca,
      "-keylogfile",
      ownLog,
    ]);
    try {
      await client.waitFor(/Verify return code: 0 \(ok\)/);
      await client.write("written before the key log\n");
      await server.waitFor(/written before the key log/);
      await relay.peer.waitFor(
        /#1 {5}SERVER_HANDSHAKE_TRAFFIC_SECRET is not in the key log yet: records from the server are held back/,
      );
      await new Promise((r) => setTimeout(r, 4000));
      assert.ok(!relay.peer.output.includes("written before"), "nothing opened yet");
      await Deno.writeTextFile(relayLog, await Deno.readTextFile(ownLog));
      await relay.peer.waitFor(/#1 {5}application data: "written before the key log\\n"/, 20_000);
      await client.closeStdin();
      await client.exited();
      await relay.peer.waitFor(/#1 closed: relayed/, 20_000);
      const out = relay.peer.output;
      const has = (re: RegExp) => assert.match(out, re, out);
      has(
        /SERVER_HANDSHAKE_TRAFFIC_SECRET is in the key log now: the \d+ records held back follow/,
      );
      has(
        /CLIENT_HANDSHAKE_TRAFFIC_SECRET is in the key log now: the \d+ records? held back follow/,
      );
      has(/#1 server → client {2}Certificate · handshake keys/);
      has(/#1 client → server {2}Finished · handshake keys/);
      has(/alert warning close_notify · application keys/);
      assert.ok(!/encrypted, \d+ bytes/.test(out), `every record opened:\n${out}`);
    } finally {
      await client.kill();
      await relay.peer.kill();
      await server.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
