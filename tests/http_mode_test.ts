/**
 * `serve --mode http` against real clients: curl (page and /json, ALPN
 * http/1.1 chosen over h2) and headless Chromium, whose ~1.9 KB ClientHello
 * offers X25519MLKEM768 and x25519 key shares: the server must pick x25519
 * without a HelloRetryRequest, and the page must render. Chromium trusts
 * the root through an NSS database in a temporary HOME.
 */

import { chromiumDumpDom } from "./helpers/chromium.ts";
import assert from "node:assert/strict";
import { startServe } from "./helpers/cli.ts";
import { need, run, runCa } from "./helpers/commands.ts";
import { connect } from "../lib/net.ts";
import { loadTrustAnchors } from "../lib/deno/trust_files.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { ContentType } from "../lib/codepoints.ts";
import type { TraceEvent } from "../lib/trace.ts";

const tools = {
  curl: await need("the curl tests of serve --mode http", "curl"),
  chromium: await need("the Chromium tests of serve --mode http", "chromium", "certutil"),
};

const dir = await Deno.makeTempDir({ prefix: "handshake-http-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const made = await runCa(dir);
assert.equal(made.code, 0, made.stderr);
const serveArgs = [
  "--cert",
  `${dir}/server.pem`,
  "--key",
  `${dir}/server-key.pem`,
  "--mode",
  "http",
];

Deno.test({
  name: "http mode: curl gets the page and /json, describing its own ClientHello",
  ignore: !tools.curl,
  async fn() {
    const server = await startServe(serveArgs);
    try {
      const url = `https://localhost:${server.port}`;
      const json = await run("curl", ["-sS", "--cacert", `${dir}/ca.pem`, `${url}/json`]);
      assert.equal(json.code, 0, json.stderr);
      const r = JSON.parse(json.stdout);
      assert.equal(r.chosen.version, "TLS 1.3");
      assert.equal(r.chosen.group, "x25519");
      assert.equal(r.chosen.alpn, "http/1.1", "curl offers h2 and http/1.1; h2 is not chosen");
      assert.equal(r.chosen.serverName, "localhost");
      assert.equal(r.helloRetry, undefined);
      const ch = r.clientHello;
      assert.equal(ch.serverName, "localhost");
      assert.deepEqual(ch.alpn, ["h2", "http/1.1"]);
      assert.ok(ch.versions.some((v: { name: string }) => v.name === "TLS 1.3"));
      assert.ok(ch.keyShares.some((s: { group: { name: string } }) => s.group.name === "x25519"));
      assert.ok(ch.extensions.length > 5);
      assert.match(r.certificateChain[0].subject, /CN=localhost/);
      assert.match(r.certificateChain[0].sha256, /^[0-9a-f]{64}$/);
      const names = r.messages.map((m: { from: string; name: string }) => `${m.from} ${m.name}`);
      assert.deepEqual(names.slice(0, 2), ["client ClientHello", "server ServerHello"]);
      assert.ok(names.includes("server Certificate") && names.includes("client Finished"));
      const page = await run("curl", ["-sS", "-i", "--cacert", `${dir}/ca.pem`, `${url}/`]);
      assert.equal(page.code, 0, page.stderr);
      assert.match(page.stdout, /^HTTP\/1\.1 200 OK/);
      assert.match(page.stdout, /content-type: text\/html; charset=utf-8/i);
      assert.match(page.stdout, /<h1>Your TLS 1\.3 handshake with handshake<\/h1>/);
      assert.match(
        page.stdout,
        /<svg id="sequence"[\s\S]*ClientHello \(plaintext\)[\s\S]*Finished \(handshake keys\)/,
      );
      assert.match(page.stdout, /<th>group<\/th><td><code>x25519<\/code>/);
      const missing = await run("curl", [
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--cacert",
        `${dir}/ca.pem`,
        `${url}/nothing`,
      ]);
      assert.equal(missing.stdout, "404");
      await server.peer.waitFor(
        /alpn=http\/1\.1 {2}ok, served 1 request[\s\S]*served 1 request[\s\S]*served 1 request/,
      );
    } finally {
      await server.peer.kill();
    }
  },
});

for (const provider of ["webcrypto", "openssl"]) {
  Deno.test({
    name:
      `http mode: headless Chromium renders the page; its X25519MLKEM768 share is chosen without HRR [${provider}]`,
    ignore: !tools.chromium,
    async fn() {
      const server = await startServe([...serveArgs, "--trace", "--crypto", provider]);
      try {
        const out = await chromiumDumpDom(`https://localhost:${server.port}/`, `${dir}/ca.pem`);
        const errors = out.stderr.split("\n").filter((l) => /ERR_|net_error|certificate/i.test(l));
        assert.match(
          out.stdout,
          /<h1>Your TLS 1\.3 handshake with handshake<\/h1>/,
          errors.join(" | "),
        );
        assert.match(out.stdout, /<th>group<\/th><td><code>X25519MLKEM768<\/code>/);
        assert.match(out.stdout, /<th>HelloRetryRequest<\/th><td>no: your key share was usable/);
        assert.match(
          out.stdout,
          /<code>X25519MLKEM768<\/code>/,
          "Chromium offers the hybrid group",
        );
        assert.match(out.stdout, /class="grease"/, "and GREASE, marked");
        assert.match(out.stdout, /<svg id="sequence"/);
        const size = Number(out.stdout.match(/ClientHello size<\/th><td>(\d+) bytes/)?.[1]);
        assert.ok(size > 1500, `a large ClientHello (${size} bytes)`);
        const log = server.peer.output;
        assert.match(log, /key shares .*X25519MLKEM768.*x25519/);
        assert.doesNotMatch(log, /HelloRetryRequest/);
        assert.match(log, /chose TLS 1\.3 · TLS_AES_128_GCM_SHA256 · X25519MLKEM768/);
        assert.match(
          log,
          /key share [0-9a-f]{16}…[0-9a-f]{8} \(1120 bytes = ML-KEM-768 ciphertext 1088/,
        );
        assert.match(log, /shared secret computed: X25519MLKEM768 hybrid, 64 bytes/);
        assert.match(log, /X25519MLKEM768 TLS_AES_128_GCM_SHA256 alpn=http\/1\.1/);
        assert.match(log, new RegExp(`crypto=${provider}`));
      } finally {
        await server.peer.kill();
      }
    },
  });
}

Deno.test("http mode: each response, head and body, goes out as one record", async () => {
  const server = await startServe(serveArgs);
  const records: TraceEvent[] = [];
  const conn = await connect({
    hostname: "127.0.0.1",
    port: server.port,
    serverName: "localhost",
    verifier: new PathVerifier(await loadTrustAnchors(`${dir}/ca.pem`)),
    alpn: ["http/1.1"],
    trace: (e) => records.push(e),
  });
  try {
    await conn.handshake();
    const fromServer = () =>
      records.filter((e) =>
        e.kind === "record" && e.from === "server" && e.epoch === "application" &&
        e.contentType === ContentType.application_data
      ) as Extract<TraceEvent, { kind: "record" }>[];
    const buf = new Uint8Array(1 << 16);
    for (
      const [request, status] of [["GET /nothing", 404], ["HEAD /json", 200], [
        "GET /json",
        200,
      ]] as const
    ) {
      const before = fromServer().length;
      await conn.write(new TextEncoder().encode(`${request} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
      const n = await conn.read(buf);
      const response = new TextDecoder().decode(buf.subarray(0, n ?? 0));
      assert.match(response, new RegExp(`^HTTP/1\\.1 ${status} `));
      const sent = fromServer().slice(before);
      assert.equal(sent.length, 1, `${request}: ${sent.length} records`);
      assert.equal(new TextDecoder().decode(sent[0].content), response, "the whole response");
      const length = Number(response.match(/Content-Length: (\d+)/)?.[1]);
      const body = response.slice(response.indexOf("\r\n\r\n") + 4);
      assert.equal(body.length, request.startsWith("HEAD") ? 0 : length);
    }
  } finally {
    await conn.close();
    await server.peer.kill();
  }
});
