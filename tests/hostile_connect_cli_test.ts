/**
 * `handshake connect` (a real subprocess) against a scripted malicious
 * server on loopback: what only the command shows. A lie ends with exit
 * status 1, one line on stderr naming what the server did and the alert
 * sent, and that alert received by the server; --max-handshake-message and
 * --handshake-timeout reach the engine. Each lie on its own, and the alert
 * it earns, is tested in process (tests/hostile_server_test.ts).
 */

import assert from "node:assert/strict";
import { AlertDescription } from "../lib/errors.ts";
import { ContentType } from "../lib/codepoints.ts";
import { webcrypto } from "../lib/crypto/webcrypto/mod.ts";
import { createRootCa, issueLeaf } from "../lib/x509/issue.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { runHandshake } from "./helpers/cli.ts";
import { listenScripted, type Script } from "./helpers/scripted_server.ts";

const A = AlertDescription;
const set = await makeCertSet({ names: ["localhost"], dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const identity = {
  chain: set.serverChain,
  key: await webcrypto.loadSigningKey(set.server.privateKey),
};
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Runs `handshake connect` against `script`; returns its exit status and output, and the server's alerts. */
async function connectTo(script: Script, ...args: string[]) {
  const server = listenScripted(identity, script);
  try {
    const out = await runHandshake([
      ...["connect", `127.0.0.1:${server.port}`, "--servername", "localhost"],
      ...["--ca", set.paths!.ca, ...args],
    ]);
    return { ...out, alerts: () => server.servers.flatMap((s) => s.alerts) };
  } finally {
    await server.close();
  }
}

/** Exit 1, exactly one line on stderr matching `message`, and `alert` received by the server. */
function failed(r: Awaited<ReturnType<typeof connectTo>>, alert: number, message: RegExp) {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^handshake connect: [^\n]+\n$/, "one line");
  assert.match(r.stderr, message);
  assert.match(r.stderr, new RegExp(`\\(sent alert ${A.name(alert)}\\)`));
  assert.deepEqual(r.alerts(), [alert], "the server received the alert");
}

Deno.test("connect vs malicious server: the honest script works (exit 0)", async () => {
  const r = await connectTo({
    after: [
      { type: ContentType.application_data, content: utf8("hello\n") },
      { type: ContentType.alert, content: Uint8Array.of(1, A.close_notify) },
    ],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hello\n");
});

Deno.test("connect vs malicious server: a certificate signed by the wrong key", async () => {
  const trusted = await createRootCa({ commonName: "hostile cli CA" });
  const impostor = await createRootCa({ commonName: "hostile cli CA" });
  const leaf = await issueLeaf(impostor, { names: ["localhost"], usage: "server" });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.pem`, trusted.certificatePem);
    const r = await connectTo(
      { chain: [leaf.certificate], signer: await webcrypto.loadSigningKey(leaf.privateKey) },
      "--ca",
      `${dir}/ca.pem`,
    );
    failed(r, A.unknown_ca, /server certificate refused: .*the signature does not verify/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connect vs malicious server: a huge certificate message, and the flag that admits it", async () => {
  const script = { chain: [new Uint8Array(300_000).fill(0x30)] };
  const r = await connectTo(script);
  failed(r, A.decode_error, /Certificate message of 300\d+ bytes, more than the 131072/);
  const bigger = await connectTo(script, "--max-handshake-message", "400000");
  failed(bigger, A.bad_certificate, /server certificate refused: /);
});

Deno.test("connect: --handshake-timeout gives up on a server that never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) held.push(c);
  })();
  try {
    const out = await runHandshake([
      ...["connect", `127.0.0.1:${listener.addr.port}`, "--ca", set.paths!.ca],
      ...["--handshake-timeout", "0.5"],
    ]);
    assert.equal(out.code, 1);
    assert.equal(
      out.stderr,
      "handshake connect: the handshake did not complete within 0.5 s (sent alert user_canceled)\n",
    );
  } finally {
    listener.close();
    await accepting;
    held.forEach((c) => c.close());
  }
});
