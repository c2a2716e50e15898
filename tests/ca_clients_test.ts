/**
 * Real clients accept what `handshake ca` makes: curl, Node (`node:tls`),
 * Deno's native TLS (rustls/webpki) and headless Chromium (trusting the root
 * through an NSS database, as mkcert does), each connecting over loopback
 * to `openssl s_server -www` serving the issued server certificate, for
 * every key type, with the leaf signed by the root and by an intermediate.
 * Client certificates are checked with curl, Node and Deno against
 * `s_server -Verify`.
 *
 * What is not accepted, and so not tested: Chromium has no Ed25519
 * certificates (BoringSSL does not offer the ed25519 signature scheme and NSS
 * cannot import an Ed25519 root).
 */

import assert from "node:assert/strict";
import { chromiumDumpDom } from "./helpers/chromium.ts";
import { KEY_TYPES, type KeyType } from "../lib/x509/webcrypto_issuing.ts";
import { need, type Output, run, runCa, startSServer } from "./helpers/commands.ts";

const tools = {
  openssl: await need("the client acceptance tests", "openssl"),
  curl: await need("the curl acceptance tests", "curl"),
  node: await need("the Node acceptance tests", "node"),
  chromium: await need("the Chromium acceptance tests", "chromium", "certutil"),
};
const hasIpv6 = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    console.warn("no IPv6 loopback: the [::1] checks are left out");
    return false;
  }
})();

const PAGE = /Cipher is TLS_/; // what s_server -www reports on its status page

/** A CA with certificates signed by the root directly, and through an intermediate. */
interface Layout {
  name: "root-signed" | "via intermediate";
  dir: string;
  /** s_server flags serving server.pem; s_server sends only -cert's first certificate, so
   * the intermediate comes from -cert_chain. */
  serverArgs: string[];
}

const root = await Deno.makeTempDir({ prefix: "handshake-clients-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const made = new Map<KeyType, Promise<Layout[]>>();

/** The certificates for `keyType`, made once by `handshake ca`: the second run reuses the CA. */
function layouts(keyType: KeyType): Promise<Layout[]> {
  let p = made.get(keyType);
  if (!p) {
    p = (async () => {
      const direct = `${root}/${keyType}`, chained = `${root}/${keyType}-intermediate`;
      await Deno.mkdir(chained, { recursive: true });
      succeeded(await runCa(direct, "--key-type", keyType, "--client", "alice"));
      for (const f of ["ca.pem", "ca-key.pem"]) {
        await Deno.copyFile(`${direct}/${f}`, `${chained}/${f}`);
      }
      succeeded(await runCa(chained, "--key-type", keyType, "--client", "alice", "--intermediate"));
      const serve = ["-cert", "server.pem", "-key", "server-key.pem"];
      return [
        { name: "root-signed", dir: direct, serverArgs: serve },
        {
          name: "via intermediate",
          dir: chained,
          serverArgs: [...serve, "-cert_chain", "intermediate.pem"],
        },
      ];
    })();
    made.set(keyType, p);
  }
  return p;
}

function succeeded(out: Output): Output {
  assert.equal(out.code, 0, `exit ${out.code}: ${out.stdout}${out.stderr}`);
  return out;
}

/** Runs `check` against an s_server for each layout of `keyType` (with -Verify for mTLS). */
async function eachServer(
  keyType: KeyType,
  opts: { clientAuth?: boolean },
  check: (port: number, layout: Layout) => Promise<void>,
): Promise<void> {
  for (const layout of await layouts(keyType)) {
    const mtls = opts.clientAuth
      ? ["-Verify", "1", "-verify_return_error", "-CAfile", "ca.pem"]
      : [];
    const server = await startSServer(layout.dir, [...layout.serverArgs, ...mtls]);
    try {
      await check(server.port, layout);
    } finally {
      await server.close();
    }
  }
}

/** Hosts to reach the server by: its DNS name and IP addresses, all in the certificate. */
const HOSTS = ["localhost", "127.0.0.1", ...(hasIpv6 ? ["::1"] : [])];
const url = (host: string, port: number) =>
  `https://${host.includes(":") ? `[${host}]` : host}:${port}/`;

for (const keyType of KEY_TYPES) {
  Deno.test({
    name: `clients: curl accepts ${keyType} certificates`,
    ignore: !tools.openssl || !tools.curl,
    async fn() {
      await eachServer(keyType, {}, async (port, layout) => {
        for (const host of HOSTS) {
          const out = await run("curl", ["-sS", "--cacert", "ca.pem", url(host, port)], {
            cwd: layout.dir,
          });
          assert.equal(out.code, 0, `${layout.name}, ${host}: ${out.stderr}`);
          assert.match(out.stdout, PAGE);
        }
      });
    },
  });

  Deno.test({
    name: `clients: Node accepts ${keyType} certificates`,
    ignore: !tools.openssl || !tools.node,
    async fn() {
      await eachServer(keyType, {}, async (port, layout) => {
        for (const host of HOSTS) {
          const out = await nodeGet(layout.dir, host, port);
          assert.equal(out.code, 0, `${layout.name}, ${host}: ${out.stderr}`);
          assert.match(out.stdout, PAGE);
        }
      });
    },
  });

  Deno.test({
    name: `clients: Deno.connectTls (rustls) accepts ${keyType} certificates`,
    ignore: !tools.openssl,
    async fn() {
      await eachServer(keyType, {}, async (port, layout) => {
        const caCerts = [await Deno.readTextFile(`${layout.dir}/ca.pem`)];
        for (const host of HOSTS) {
          const page = await denoGet({ hostname: host, port, caCerts }).catch((e) => {
            throw new Error(`${layout.name}, ${host}: ${e.message}`);
          });
          assert.match(page, PAGE);
        }
      });
    },
  });

  Deno.test({
    name: `clients: headless Chromium accepts ${keyType} certificates`,
    ignore: !tools.openssl || !tools.chromium || keyType === "ed25519",
    async fn() {
      await eachServer(keyType, {}, async (port, layout) => {
        const page = await chromiumGet(layout.dir, url("localhost", port));
        assert.match(page, PAGE, layout.name);
      });
    },
  });

  Deno.test({
    name:
      `clients: ${keyType} client certificates are accepted by s_server from curl, Node and Deno`,
    ignore: !tools.openssl,
    async fn() {
      await eachServer(keyType, { clientAuth: true }, async (port, layout) => {
        const who = /Subject: O=handshake development certificate, CN=alice/;
        if (tools.curl) {
          const out = await run("curl", [
            "-sS",
            "--cacert",
            "ca.pem",
            "--cert",
            "client.pem",
            "--key",
            "client-key.pem",
            url("localhost", port),
          ], { cwd: layout.dir });
          assert.equal(out.code, 0, `curl, ${layout.name}: ${out.stderr}`);
          assert.match(out.stdout, who);
        }
        if (tools.node) {
          const out = await nodeGet(layout.dir, "localhost", port, true);
          assert.equal(out.code, 0, `node, ${layout.name}: ${out.stderr}`);
          assert.match(out.stdout, who);
        }
        const read = (f: string) => Deno.readTextFile(`${layout.dir}/${f}`);
        const page = await denoGet({
          hostname: "localhost",
          port,
          caCerts: [await read("ca.pem")],
          cert: await read("client.pem"),
          key: await read("client-key.pem"),
        });
        assert.match(page, who, `Deno, ${layout.name}`);
      });
    },
  });
}

for (const keyType of KEY_TYPES) {
  Deno.test({
    name:
      `clients: Deno.listenTls serves ${keyType} server.pem and server-key.pem as written; curl accepts`,
    ignore: !tools.curl,
    async fn() {
      const layout = (await layouts(keyType))[1];
      const read = (f: string) => Deno.readTextFile(`${layout.dir}/${f}`);
      const listener = Deno.listenTls({
        hostname: "127.0.0.1",
        port: 0,
        cert: await read("server.pem"),
        key: await read("server-key.pem"),
      });
      const served = (async () => {
        const conn = await listener.accept();
        try {
          await conn.read(new Uint8Array(4096));
          await conn.write(new TextEncoder().encode("HTTP/1.0 200 OK\r\n\r\nhandshake ok\n"));
        } finally {
          conn.close();
        }
      })();
      try {
        const { port } = listener.addr;
        const out = await run("curl", [
          "-sS",
          "--cacert",
          "ca.pem",
          "--resolve",
          `localhost:${port}:127.0.0.1`,
          `https://localhost:${port}/`,
        ], { cwd: layout.dir });
        assert.equal(out.code, 0, out.stderr);
        assert.equal(out.stdout, "handshake ok\n");
        await served;
      } finally {
        listener.close();
      }
    },
  });
}

Deno.test({
  name: "clients: headless Chromium refuses the same server when the root is not trusted",
  ignore: !tools.openssl || !tools.chromium,
  async fn() {
    await eachServer("ecdsa-p256", {}, async (port, layout) => {
      const out = await chromiumDumpDom(url("localhost", port));
      assert.doesNotMatch(out.stdout, PAGE, layout.name);
      assert.match(out.stderr, /ERR_CERT_AUTHORITY_INVALID/, layout.name);
    });
  },
});

if (tools.chromium) {
  console.warn("ignoring Chromium with ed25519: Chromium does not support Ed25519 certificates");
}

const NODE_GET = `
const tls = require("node:tls"), fs = require("node:fs"), net = require("node:net");
const [host, port, clientCert] = process.argv.slice(1);
const s = tls.connect({
  host, port: Number(port), servername: net.isIP(host) ? undefined : host,
  ca: fs.readFileSync("ca.pem"),
  ...(clientCert ? { cert: fs.readFileSync("client.pem"), key: fs.readFileSync("client-key.pem") } : {}),
}, () => s.write("GET / HTTP/1.0\\r\\n\\r\\n"));
let body = "";
s.on("data", (d) => body += d);
s.on("end", () => process.stdout.write(body));
s.on("error", (e) => { console.error(e.message); process.exit(1); });
`;

/** GET / over node:tls, verifying the server with ca.pem (and a client certificate when asked). */
function nodeGet(dir: string, host: string, port: number, clientCert = false): Promise<Output> {
  return run("node", ["-e", NODE_GET, host, String(port), clientCert ? "1" : ""], { cwd: dir });
}

/** GET / over Deno's native TLS; returns what the server sent. */
async function denoGet(
  opts: Deno.ConnectTlsOptions & Partial<Deno.TlsCertifiedKeyPem>,
): Promise<string> {
  const conn = await Deno.connectTls(opts);
  try {
    await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    let page = "";
    const decoder = new TextDecoder();
    const buf = new Uint8Array(16384);
    while (true) {
      const n = await conn.read(buf).catch((e) => {
        if (page && e instanceof Deno.errors.UnexpectedEof) return null; // no close_notify
        throw e;
      });
      if (n === null) return page;
      page += decoder.decode(buf.subarray(0, n), { stream: true });
    }
  } finally {
    conn.close();
  }
}

/**
 * Loads `url` in headless Chromium with the CA in `dir` trusted through an
 * NSS database in a temporary HOME; returns the DOM it rendered.
 */
async function chromiumGet(dir: string, url: string): Promise<string> {
  const out = await chromiumDumpDom(url, `${dir}/ca.pem`);
  const errors = out.stderr.split("\n").filter((l) => /ERR_|net_error|certificate/i.test(l));
  assert.match(out.stdout, PAGE, `Chromium did not show the page: ${errors.join(" | ")}`);
  return out.stdout;
}
