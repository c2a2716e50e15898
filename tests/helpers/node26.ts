/**
 * Node 26 from npm (`npx -y node@26`, OpenSSL 3.5 inside: X25519MLKEM768,
 * SecP256r1MLKEM768, ChaCha20-Poly1305) as a TLS peer: the binary npx
 * fetched, run directly so that killing the peer kills Node itself; and a
 * small `node:tls` echo client and echo server, for it or any other Node
 * binary (`"node"`: Node 20 as installed), whose groups and suites come from
 * the environment. Both name Node's major version in what they send.
 *
 * @module
 */

import { run } from "./commands.ts";
import { Peer } from "./peer.ts";

let binary: Promise<string | undefined> | undefined;

/**
 * The path of Node 26's binary (fetched by npx on first use; `.ci/run`
 * fetches it beforehand), or undefined, with a warning, where npx cannot.
 */
export function node26(): Promise<string | undefined> {
  binary ??= (async () => {
    const out = await run("npx", ["-y", "node@26", "-p", "process.execPath"], {
      timeoutMs: 180_000,
    }).catch((e) => ({ code: -1, stdout: "", stderr: String(e) }));
    const path = out.stdout.trim();
    if (out.code !== 0 || !path) {
      console.warn(`ignoring the Node 26 tests: npx -y node@26 failed: ${out.stderr.trim()}`);
      return undefined;
    }
    return path;
  })();
  return binary;
}

/** What a Node peer is asked to use: `ecdhCurve` and TLS 1.3 `ciphers` (OpenSSL's names). */
export interface NodeTlsOptions {
  curve?: string;
  suites?: string;
  /** Server: stop listening when the first client ends (then the process exits). */
  once?: boolean;
}

function env(opts: NodeTlsOptions, extra: Record<string, string>): Record<string, string> {
  return {
    ...extra,
    ...(opts.curve ? { CURVE: opts.curve } : {}),
    ...(opts.suites ? { SUITES: opts.suites } : {}),
    ...(opts.once ? { ONCE: "1" } : {}),
  };
}

const CLIENT = `
const tls = require("node:tls");
const o = { host: "127.0.0.1", port: Number(process.env.PORT), servername: "localhost",
  ca: process.env.CA, minVersion: "TLSv1.3" };
if (process.env.CURVE) o.ecdhCurve = process.env.CURVE;
if (process.env.SUITES) o.ciphers = process.env.SUITES;
const s = tls.connect(o, () => {
  console.log("connected", process.version, s.getProtocol(), s.getCipher().standardName,
    "authorized=" + s.authorized, "key=" + JSON.stringify(s.getEphemeralKeyInfo()));
  s.write("from node " + process.versions.node.split(".")[0] + "\\n");
});
s.on("data", (d) => { process.stdout.write("echo " + d); s.end(); });
s.on("end", () => console.log("end"));
s.on("error", (e) => { console.log("error", e.message); process.exit(1); });`;

const SERVER = `
const tls = require("node:tls");
const o = { cert: process.env.CERT, key: process.env.KEY, minVersion: "TLSv1.3" };
if (process.env.CURVE) o.ecdhCurve = process.env.CURVE;
if (process.env.SUITES) o.ciphers = process.env.SUITES;
const srv = tls.createServer(o, (s) => {
  console.log("accepted", s.getProtocol(), s.getCipher().standardName);
  s.on("data", (d) => s.write("node " + process.versions.node.split(".")[0] + " got " + d));
  s.on("end", () => { s.end(); if (process.env.ONCE) srv.close(); });
});
srv.on("tlsClientError", (e) => console.log("tls error", e.message));
srv.listen(0, "127.0.0.1", () => console.log("port " + srv.address().port));`;

/**
 * Node (the binary `node`) as a client of 127.0.0.1:`port` for localhost:
 * verifies against `ca`, prints "connected VERSION PROTOCOL SUITE
 * authorized=…", sends "from node MAJOR", prints "echo " and the answer, ends.
 */
export function nodeTlsClient(node: string, port: number, ca: string, opts: NodeTlsOptions = {}) {
  return new Peer(node, ["-e", CLIENT], { env: env(opts, { PORT: String(port), CA: ca }) });
}

/**
 * Node (the binary `node`) as a server on a free port (read from its output)
 * with the test server chain and key, answering each chunk with "node MAJOR
 * got " before it: `{ peer, port }`.
 */
export async function nodeTlsServer(
  node: string,
  set: { serverChainPem: string; server: { privateKeyPem: string } },
  opts: NodeTlsOptions = {},
): Promise<{ peer: Peer; port: number }> {
  const peer = new Peer(node, ["-e", SERVER], {
    env: env(opts, { CERT: set.serverChainPem, KEY: set.server.privateKeyPem }),
  });
  try {
    const m = await peer.waitFor(/port (\d+)/);
    return { peer, port: Number(m[1]) };
  } catch (e) {
    await peer.kill();
    throw e;
  }
}
