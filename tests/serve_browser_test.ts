/**
 * TLS 1.3 inside a browser tab: `serve --mode http` serves /browser, whose
 * own JavaScript (the library's browser bundle) runs a whole handshake
 * through the /bridge WebSocket in headless Chromium, with no user action:
 * to the server itself, to `openssl s_server` named with --bridge-to, and
 * refused when the page's CA is not the server's. The bridge is no open
 * proxy: other targets, other origins and non-loopback --bridge-to are
 * refused.
 */

import assert from "node:assert/strict";
import { buildBundles } from "./helpers/node.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { handshakeProcess, runHandshake, type Server, startServe } from "./helpers/cli.ts";
import { withChromiumPage } from "./helpers/chromium.ts";
import { need, run } from "./helpers/commands.ts";
import { freePort, Peer } from "./helpers/peer.ts";
import { connect } from "../lib/net.ts";
import { PathVerifier } from "../lib/x509/verify.ts";

const build = await buildBundles();
const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
const other = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(set.paths!.dir, { recursive: true });
  Deno.removeSync(other.paths!.dir, { recursive: true });
});
const paths = set.paths!;
const haveChromium = await need("the browser page", "chromium", "certutil");
const haveOpenssl = await need("the bridge to openssl", "openssl");

/** `serve --mode http` with the browser page, trusting `ca` in the page. */
function serveHttp(ca: string, ...args: string[]): Promise<Server> {
  return startServe([
    "--mode",
    "http",
    "--cert",
    paths.server,
    "--key",
    paths.serverKey,
    "--browser-ca",
    ca,
    "--browser-js",
    build.browser,
    ...args,
  ]);
}

/** Loads /browser (with `query`), waits for #result; returns it, the page's text and a screenshot. */
function runPage(port: number, query = "") {
  return withChromiumPage(`https://localhost:${port}/browser${query}`, paths.ca, async (page) => {
    const text = await page.waitFor("document.getElementById('result')?.textContent") as string;
    return {
      result: JSON.parse(text),
      steps: await page.evaluate("document.getElementById('steps').innerText") as string,
      arrows: await page.evaluate(
        "[...document.querySelectorAll('#ladder text')].slice(2).map((t) => t.textContent)",
      ) as string[],
      png: await page.screenshot(),
    };
  });
}

/** Keeps the screenshot where HANDSHAKE_SCREENSHOTS says, to be looked at. */
async function keep(name: string, png: Uint8Array): Promise<void> {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 20_000, `a ${png.length}-byte screenshot is too small to show the page`);
  const dir = Deno.env.get("HANDSHAKE_SCREENSHOTS");
  if (dir) await Deno.writeFile(`${dir}/${name}.png`, png);
}

Deno.test({
  name: "browser: the page's own TLS 1.3 client, through /bridge, to this server",
  ignore: !haveChromium,
  fn: async () => {
    const server = await serveHttp(paths.ca);
    try {
      const { result, steps, arrows, png } = await runPage(server.port);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(result.provider, "webcrypto");
      assert.equal(result.verified, true);
      assert.equal(result.cipherSuite, "TLS_AES_128_GCM_SHA256");
      // The default offer leads with the post-quantum hybrid: ML-KEM-768 in the page's JavaScript.
      assert.equal(result.group, "X25519MLKEM768");
      assert.equal(result.closeNotify, true);
      assert.equal(result.response, "HTTP/1.1 200 OK");
      // The server's own report of the in-page handshake: the same choices.
      assert.equal(result.serverSaw.cipherSuite, result.cipherSuite);
      assert.equal(result.serverSaw.alpn, "http/1.1");
      assert.deepEqual(arrows, [
        "client_hello (plaintext)",
        "server_hello (plaintext)",
        "encrypted_extensions (handshake keys)",
        "certificate (handshake keys)",
        "certificate_verify (handshake keys)",
        "finished (handshake keys)",
        "finished (handshake keys)",
        "application data (application keys)",
        "application data (application keys)",
        "alert close_notify (application keys)",
        "alert close_notify (application keys)",
      ]);
      assert.match(steps, /the server's chain: trusted/);
      assert.match(steps, /server's CertificateVerify \(ecdsa_secp256r1_sha256\): valid/);
      await keep("browser-own-port", png);
      // Two lines in the server's log: the page's connection that carried the bridge, and the
      // bridged connection itself, handshaken by the page.
      await server.peer.waitFor(
        new RegExp(`bridged to 127\\.0\\.0\\.1:${server.port}: \\d+ bytes up, \\d+ down`),
      );
    } finally {
      await server.peer.kill();
    }
  },
});

Deno.test({
  name: "browser: --bridge-to a loopback openssl s_server; the page fails closed on another CA",
  ignore: !haveChromium || !haveOpenssl,
  fn: async () => {
    const sPort = freePort();
    const sServer = new Peer("openssl", [
      "s_server",
      "-accept",
      `127.0.0.1:${sPort}`,
      "-cert",
      paths.server,
      "-key",
      paths.serverKey,
      "-tls1_3",
      "-www",
    ]);
    await sServer.waitFor(/ACCEPT/);
    const server = await serveHttp(paths.ca, "--bridge-to", `127.0.0.1:${sPort}`);
    const wrongCa = await serveHttp(other.paths!.ca);
    try {
      const viaBridge = await runPage(server.port, `?to=127.0.0.1:${sPort}`);
      assert.equal(viaBridge.result.ok, true, JSON.stringify(viaBridge.result));
      assert.equal(viaBridge.result.verified, true);
      assert.equal(viaBridge.result.bridgedTo, `127.0.0.1:${sPort}`);
      assert.equal(viaBridge.result.response, "HTTP/1.0 200 ok");
      await server.peer.waitFor(new RegExp(`bridged to 127\\.0\\.0\\.1:${sPort}`));

      const refused = await runPage(wrongCa.port);
      assert.equal(refused.result.ok, false);
      assert.match(refused.result.error, /neither a trust anchor.*\(sent alert unknown_ca\)$/);
      assert.match(refused.steps, /the server's chain: refused/);
      await keep("browser-wrong-ca", refused.png);
      await wrongCa.peer.waitFor(/failed: the peer sent alert unknown_ca/);
    } finally {
      await Promise.all([sServer.kill(), server.peer.kill(), wrongCa.peer.kill()]);
    }
  },
});

Deno.test("bridge: a Deno client on WebSocketTransport, 1 MiB each way through --bridge-to", async () => {
  const echo = await startServe(["--cert", paths.server, "--key", paths.serverKey]);
  const server = await serveHttp(paths.ca, "--bridge-to", `127.0.0.1:${echo.port}`);
  try {
    const client = new URL("./helpers/bridge_client.ts", import.meta.url).pathname;
    const out = await run(Deno.execPath(), [
      "run",
      `--cert=${paths.ca}`,
      "--allow-net=localhost",
      `--allow-read=${paths.dir}`,
      client,
      `wss://localhost:${server.port}/bridge?to=127.0.0.1:${echo.port}`,
      paths.ca,
      String(1 << 20),
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      /^echoed 1048576 bytes, same: true, TLS_AES_128_GCM_SHA256 X25519MLKEM768\n$/,
    );
    await echo.peer.waitFor(/ok, echoed 1048576 bytes/);
    await server.peer.waitFor(
      new RegExp(`bridged to 127\\.0\\.0\\.1:${echo.port}: \\d+ bytes up, \\d+ down`),
    );
  } finally {
    await Promise.all([echo.peer.kill(), server.peer.kill()]);
  }
});

/** Sends one raw request (and `after` it) over TLS; returns the whole answer, a char per byte. */
async function rawRequest(port: number, request: string, after?: Uint8Array): Promise<string> {
  const conn = await connect({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    verifier: new PathVerifier([set.ca.certificate]),
  });
  await conn.write(new TextEncoder().encode(request));
  if (after) await conn.write(after);
  let answer = "";
  const buf = new Uint8Array(4096);
  for (let n; (n = await conn.read(buf)) !== null;) {
    answer += String.fromCharCode(...buf.subarray(0, n));
  }
  await conn.close();
  return answer;
}

const upgrade = (target: string, extra = "") =>
  `GET ${target} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

Deno.test("bridge: no open proxy; an upgrade to this server is accepted (RFC 6455 key)", async () => {
  const sPort = freePort();
  const server = await serveHttp(paths.ca, "--bridge-to", `127.0.0.1:${sPort}`);
  try {
    const elsewhere = await rawRequest(server.port, upgrade("/bridge?to=127.0.0.1:22"));
    assert.match(elsewhere, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(elsewhere, /127\.0\.0\.1:22 is not a bridge target/);
    const outside = await rawRequest(server.port, upgrade("/bridge?to=10.0.0.1:443"));
    assert.match(outside, /^HTTP\/1\.1 403 Forbidden\r\n/);
    const foreign = await rawRequest(
      server.port,
      upgrade("/bridge", "Origin: https://evil.example\r\n"),
    );
    assert.match(foreign, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(foreign, /WebSockets from https:\/\/evil\.example are not allowed/);
    const plain = await rawRequest(server.port, "GET /bridge HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert.match(plain, /^HTTP\/1\.1 400 Bad Request\r\n/);
    await server.peer.waitFor(/refused a bridge: 127\.0\.0\.1:22 is not a bridge target/);

    // RFC 6455 §1.3's example key, then a masked close frame (1000): the bridge answers with
    // its own close frame and ends.
    const close = new Uint8Array([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]);
    const accepted = await rawRequest(server.port, upgrade("/bridge"), close);
    assert.match(accepted, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(accepted, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
    assert.ok(accepted.endsWith("\r\n\r\n\x88\x02\x03\xe8"), JSON.stringify(accepted));
    await server.peer.waitFor(
      new RegExp(
        `bridged to 127\\.0\\.0\\.1:${server.port}: 0 bytes up, 0 down; ` +
          "the page closed the WebSocket \\(1000\\)",
      ),
    );
  } finally {
    await server.peer.kill();
  }
});

Deno.test("bridge: --bridge-to refuses what is not loopback", async () => {
  const out = await runHandshake([
    "serve",
    "--mode",
    "http",
    "--port",
    "0",
    "--bridge-to",
    "192.0.2.1:443",
  ]);
  assert.notEqual(out.code, 0);
  assert.match(out.stderr, /--bridge-to 192\.0\.2\.1:443: 192\.0\.2\.1 is not a loopback address/);
});

Deno.test("browser: /browser says what to do when the bundle is missing", async () => {
  const server = handshakeProcess([
    "serve",
    "--mode",
    "http",
    "--port",
    "0",
    "--cert",
    paths.server,
    "--key",
    paths.serverKey,
    "--browser-js",
    `${paths.dir}/missing.mjs`,
  ]);
  try {
    const port = Number((await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
    await server.waitFor(/\/browser is off: cannot read .*missing\.mjs.*deno task bundle/);
    const page = await rawRequest(
      port,
      "GET /browser HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.match(page, /^HTTP\/1\.1 404 Not Found\r\n[\s\S]*run `deno task bundle`/);
  } finally {
    await server.kill();
  }
});
