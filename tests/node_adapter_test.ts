/**
 * The library under Node.js, from its bundle (dist/handshake-node.mjs):
 * examples/node_client.mjs against `openssl s_server` and our own `serve`
 * under Node 20 and Node 26, failing closed on another CA and a wrong name;
 * and the Node adapter's server side (examples/node_server.mjs) against
 * `openssl s_client` and the Node client.
 */

import assert from "node:assert/strict";
import { buildBundles, nodeRuntimes } from "./helpers/node.ts";
import { denoReferences } from "../tools/bundle.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { startServe } from "./helpers/cli.ts";
import { opensslClient, opensslServer, Peer, type PeerServer } from "./helpers/peer.ts";
import { need, type Output, run } from "./helpers/commands.ts";

const build = await buildBundles();
const runtimes = await nodeRuntimes();
const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
const other = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(set.paths!.dir, { recursive: true });
  Deno.removeSync(other.paths!.dir, { recursive: true });
});
const paths = set.paths!;
const haveOpenssl = await need("the Node adapter against openssl", "openssl");

/** Runs examples/node_client.mjs under `command` with `input` on stdin. */
function nodeClient(
  command: string[],
  port: number,
  ca: string,
  serverName: string,
  input: string,
): Promise<Output> {
  const args = [build.example("node_client.mjs"), "127.0.0.1", String(port), ca, serverName];
  return run(command[0], [...command.slice(1), ...args], { input });
}

/** `openssl s_server -rev`: answers each line reversed, and stops after one client. */
function sServer(): Promise<PeerServer> {
  return opensslServer(paths, { extra: ["-naccept", "1"] });
}

/** The one line a failed client prints, and its exit status. */
function assertFailedClosed(r: Output, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.match(lines[0], pattern);
}

for (const node of runtimes) {
  const ignore = !node.version;
  if (ignore) console.warn(`ignoring ${node.name} tests: ${node.command.join(" ")} cannot run`);

  Deno.test({
    name: `${node.name}: node_client ↔ openssl s_server, verified, data both ways`,
    ignore: ignore || !haveOpenssl,
    fn: async () => {
      const { peer, port } = await sServer();
      try {
        const r = await nodeClient(node.command, port, paths.ca, "localhost", "hello openssl\n");
        // s_server -rev reverses the line, and ends the connection when the client does.
        assert.equal(r.stdout, "lssnepo olleh\n", r.stderr);
        assert.match(
          r.stderr,
          /^node_client: connected, TLS_AES_\d+_GCM_SHA\d+ x25519 \(webcrypto provider\)\n$/,
        );
        assert.equal(r.code, 0);
      } finally {
        await peer.kill();
      }
    },
  });

  Deno.test({
    name: `${node.name}: node_client ↔ our serve, then another CA and a wrong name fail closed`,
    ignore,
    fn: async () => {
      const server = await startServe(["--cert", paths.server, "--key", paths.serverKey]);
      try {
        const data = "x".repeat(100_000) + "\nend\n";
        const ok = await nodeClient(node.command, server.port, paths.ca, "localhost", data);
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(ok.stdout, data);
        await server.peer.waitFor(/ok, echoed 100005 bytes/);

        const otherCa = await nodeClient(
          node.command,
          server.port,
          other.paths!.ca,
          "localhost",
          "secret\n",
        );
        assertFailedClosed(
          otherCa,
          /^node_client: .*"CN=localhost.* is neither a trust anchor nor .*\(sent alert unknown_ca\)$/,
        );
        const wrongName = await nodeClient(
          node.command,
          server.port,
          paths.ca,
          "wrong.example",
          "secret\n",
        );
        assertFailedClosed(
          wrongName,
          /^node_client: .* is not valid for "wrong\.example".*\(sent alert bad_certificate\)$/,
        );
        // The server saw both refusals as our alerts, and no data crossed.
        await server.peer.waitFor(/failed: the peer sent alert unknown_ca/);
        await server.peer.waitFor(/failed: the peer sent alert bad_certificate/);
      } finally {
        await server.peer.kill();
      }
    },
  });
}

const node20 = runtimes[0];

for (const node of runtimes) {
  Deno.test({
    name:
      `${node.name}: the Node adapter's server side (node_server) ← openssl s_client and node_client`,
    ignore: !node.version || !haveOpenssl,
    fn: async () => {
      const server = new Peer(node.command[0], [
        ...node.command.slice(1),
        build.example("node_server.mjs"),
        "0",
        paths.server,
        paths.serverKey,
      ]);
      try {
        const port = Number((await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
        const client = opensslClient(port, paths, { extra: ["-brief"] });
        try {
          await client.waitFor(/CONNECTION ESTABLISHED\nProtocol version: TLSv1\.3\n/);
          await client.waitFor(/Verification: OK/);
          await client.write("ping from s_client\n");
          await client.waitFor(/^ping from s_client$/m);
          await client.closeStdin(); // s_client sends close_notify and exits
          assert.equal((await client.exited()).code, 0, client.output);
        } finally {
          await client.kill();
        }
        await server.waitFor(/ok, echoed 19 bytes/);

        const r = await nodeClient(node.command, port, paths.ca, "localhost", "node to node\n");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "node to node\n");
        await server.waitFor(/ok, echoed 13 bytes/);
      } finally {
        await server.kill();
      }
    },
  });
}

/**
 * Under Node, from the bundle: a listener with `idleTimeoutMs` (echoing, one
 * line per connection) and one with `writeTimeoutMs` (sending 64 MiB to each
 * client), or a client with `idleTimeoutMs` that reads from a server that
 * says nothing.
 */
const TIMEOUTS_SCRIPT = `
import { readFileSync } from "node:fs";
import {
  connect, listen, loadCertifiedKey, parseTrustAnchors, PathVerifier, StalledPeerError,
} from "../dist/handshake-node.mjs";
const said = (e) => e instanceof StalledPeerError ? \`StalledPeerError \${e.timeout}: \${e.message}\` : \`\${e.name}: \${e.message}\`;
const [mode, a, b] = process.argv.slice(2);
if (mode === "server") {
  const certificate = await loadCertifiedKey(readFileSync(a, "utf8"), readFileSync(b, "utf8"));
  const listener = await listen({ port: 0, certificate, idleTimeoutMs: 600 });
  const flood = await listen({ port: 0, certificate, idleTimeoutMs: 0, writeTimeoutMs: 600 });
  console.log(\`listening on \${listener.addr.port} and \${flood.addr.port}\`);
  (async () => {
    for await (const conn of flood) {
      try {
        await conn.handshake();
        await conn.write(new Uint8Array(64 << 20));
        console.log("flood: written");
      } catch (e) {
        console.log(\`flood: \${said(e)}\`);
      }
    }
  })();
  for await (const conn of listener) {
    (async () => {
      try {
        await conn.handshake();
        let bytes = 0;
        for await (const chunk of conn.readable) {
          bytes += chunk.length;
          await conn.write(chunk);
        }
        await conn.close();
        console.log(\`served, echoed \${bytes} bytes\`);
      } catch (e) {
        console.log(\`closed: \${said(e)}\`);
      }
    })();
  }
} else {
  const verifier = new PathVerifier(parseTrustAnchors(readFileSync(b, "utf8")));
  const conn = await connect({ hostname: "127.0.0.1", port: Number(a), serverName: "localhost", verifier, idleTimeoutMs: 600 });
  await conn.handshake();
  try {
    await conn.read(new Uint8Array(100));
    console.log("read something");
  } catch (e) {
    console.log(\`client: \${said(e)}\`);
  }
}
`;

/** `p`, or a failure naming `what` if it has not settled within `ms`. */
async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) =>
    timer = setTimeout(() => reject(new Error(`${what} did not come within ${ms} ms`)), ms)
  );
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

for (const node of runtimes) {
  Deno.test({
    name:
      `${node.name}: the Node adapter's idleTimeoutMs and writeTimeoutMs close stalled clients while another is served; a client's idleTimeoutMs a silent server`,
    ignore: !node.version,
    fn: async () => {
      const script = build.example("timeouts.mjs");
      await Deno.writeTextFile(script, TIMEOUTS_SCRIPT);
      const { connect, listen, loadCertifiedKey, loadTrustAnchors, PathVerifier } = await import(
        "../lib/deno/mod.ts"
      );
      const verifier = new PathVerifier(await loadTrustAnchors(paths.ca));
      const server = new Peer(node.command[0], [
        ...node.command.slice(1),
        script,
        "server",
        paths.server,
        paths.serverKey,
      ]);
      try {
        const ports = await server.waitFor(/listening on (\d+) and (\d+)/);
        const port = Number(ports[1]);
        const options = { hostname: "127.0.0.1", port, serverName: "localhost", verifier };
        const silent = await connect(options);
        await silent.handshake();
        const active = await connect(options);
        await active.handshake();
        // The active client talks for 2 s, three times the idle timeout; the silent one says nothing.
        const buf = new Uint8Array(64);
        for (let i = 0; i < 10; i++) {
          const line = new TextEncoder().encode(`line ${i}\n`);
          await active.write(line);
          const n = await active.read(buf);
          assert.equal(new TextDecoder().decode(buf.subarray(0, n!)), `line ${i}\n`);
          await new Promise((r) => setTimeout(r, 200));
        }
        // The silent one was closed with close_notify: a clean end of data.
        assert.equal(await within(10_000, silent.read(buf), "the silent client's close"), null);
        await silent.close();
        await server.waitFor(
          /closed: StalledPeerError idle: nothing received for 0\.6 s \(idle timeout\)/,
        );
        await active.close();
        await server.waitFor(/served, echoed 70 bytes/);
        assert.equal(server.output.match(/closed:/g)?.length, 1, server.output);

        // A client that never reads: the server's write stalls, and times out.
        const stuck = await connect({ ...options, port: Number(ports[2]) });
        await stuck.handshake();
        await server.waitFor(
          /flood: StalledPeerError write: the peer has taken none of our data for 0\.6 s \(write timeout\)/,
        );
        await stuck.close();

        // The client side: a Deno listener that completes the handshake and then says nothing.
        const certificate = await loadCertifiedKey(
          await Deno.readTextFile(paths.server),
          await Deno.readTextFile(paths.serverKey),
        );
        const quiet = listen({ port: 0, certificate, idleTimeoutMs: 0 });
        const accepted = (async () => {
          const conn = await quiet.accept();
          await conn.handshake().catch(() => {});
          return conn;
        })();
        const client = new Peer(node.command[0], [
          ...node.command.slice(1),
          script,
          "client",
          String(quiet.addr.port),
          paths.ca,
        ]);
        try {
          await client.waitFor(
            /client: StalledPeerError idle: nothing received for 0\.6 s \(idle timeout\)/,
          );
          assert.equal((await client.exited()).code, 0, client.output);
        } finally {
          await client.kill();
          (await accepted).close();
          quiet.close();
        }
      } finally {
        await server.kill();
      }
    },
  });
}

Deno.test("bundles: neither reaches Deno; only the Node one imports a node: module", async () => {
  assert.deepEqual(denoReferences("/** a Deno.Conn */\nconst x = Deno.dlopen(p, {});"), [
    "Deno.dlopen",
  ]);
  const browser = await Deno.readTextFile(build.browser);
  const node = await Deno.readTextFile(build.node);
  assert.deepEqual(denoReferences(browser), []);
  assert.deepEqual(denoReferences(node), []);
  assert.deepEqual(browser.match(/from "node:[a-z]+"/g), null);
  assert.deepEqual(node.match(/from "node:[a-z]+"/g), ['from "node:net"']);
});

Deno.test({
  name: "Node 20: the bundle's hex/base64 fallback agrees with Buffer, and refuses what is not",
  ignore: !node20.version,
  fn: async () => {
    const script = `
      const native = typeof Uint8Array.fromHex === "function";
      await import(${JSON.stringify(build.node)});
      const bytes = new Uint8Array(1000).map((_, i) => (i * 131 + 7) % 256);
      const b = Buffer.from(bytes);
      const refused = (f) => { try { f(); return false; } catch (e) { return e instanceof SyntaxError; } };
      console.log(JSON.stringify({
        native,
        toHex: bytes.toHex() === b.toString("hex"),
        fromHex: Buffer.from(Uint8Array.fromHex(b.toString("hex").toUpperCase())).equals(b),
        toBase64: bytes.toBase64() === b.toString("base64"),
        fromBase64: Buffer.from(Uint8Array.fromBase64(b.toString("base64"))).equals(b),
        badHex: refused(() => Uint8Array.fromHex("abc")) && refused(() => Uint8Array.fromHex("zz")),
        badBase64: refused(() => Uint8Array.fromBase64("a$b=")),
      }));`;
    const out = await new Deno.Command(node20.command[0], {
      args: ["--input-type=module", "-e", script],
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.deepEqual(JSON.parse(text), {
      native: false, // Node 20 predates them: the fallback is what ran
      toHex: true,
      fromHex: true,
      toBase64: true,
      fromBase64: true,
      badHex: true,
      badBase64: true,
    });
  },
});
