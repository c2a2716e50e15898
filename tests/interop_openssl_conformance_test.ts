/**
 * `openssl s_client` against `handshake serve` where a strict checker
 * looks: 0-RTT data from a client resuming a session of another server
 * under the same name is skipped (RFC 8446 §4.2.10), with and without a
 * HelloRetryRequest; runs of KeyUpdates (its `k` and `K` commands) are
 * answered, and past 32 in a row without data refused; a P-256 share is
 * used without a HelloRetryRequest.
 */

import assert from "node:assert/strict";
import { startServe } from "./helpers/cli.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { need } from "./helpers/commands.ts";
import { opensslClient, opensslServer, type Peer } from "./helpers/peer.ts";

const ok = await need("the OpenSSL conformance tests", "openssl");
const set = await makeCertSet({ dir: true });
const paths = set.paths!;
globalThis.addEventListener("unload", () => Deno.removeSync(paths.dir, { recursive: true }));
const serveArgs = ["--cert", paths.server, "--key", paths.serverKey];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/**
 * `openssl s_client` to `port` for localhost with `extra`, verifying the server against our CA
 * (a chain that does not verify ends the handshake: `-verify_return_error`).
 */
function sClient(port: number, ...extra: string[]): Peer {
  return opensslClient(port, paths, { extra });
}

/**
 * A session (PEM) from `openssl s_server -early_data` with the same
 * certificate: its tickets allow 16384 bytes of early data.
 */
async function sessionWithEarlyData(): Promise<string> {
  const { peer: server, port } = await opensslServer(paths, { rev: false, extra: ["-early_data"] });
  const session = `${paths.dir}/session.pem`;
  try {
    const client = sClient(port, "-sess_out", session);
    try {
      // s_client writes the file when a ticket arrives (after the handshake); its stdout is a
      // pipe, so what it prints about the ticket comes out only when it exits.
      for (let i = 0; i < 200 && !(await exists(session)); i++) await sleep(50);
      await client.closeStdin();
      await client.exited();
      assert.match(client.output, /Max Early Data: 16384/);
    } finally {
      await client.kill();
    }
  } finally {
    await server.kill();
  }
  assert.match(await Deno.readTextFile(session), /BEGIN SSL SESSION PARAMETERS/);
  return session;
}

const session = ok ? await sessionWithEarlyData() : "";
const earlyFile = `${paths.dir}/early.txt`;
if (ok) await Deno.writeTextFile(earlyFile, "0-RTT bytes the server does not accept\n");

for (
  const [name, groups, retry] of [["", [], false], [" after a HelloRetryRequest", [
    "--groups",
    "P-256",
  ], true]] as const
) {
  Deno.test({
    name:
      `openssl s_client -early_data → serve${name}: the early data is skipped, the handshake completes, echo works`,
    ignore: !ok,
    async fn() {
      const server = await startServe([...serveArgs, ...groups, "--trace"]);
      // s_client's one key share is x25519: a server that takes only P-256 asks again.
      const client = sClient(server.port, "-sess_in", session, "-early_data", earlyFile, "-msg");
      try {
        await client.waitFor(/Early data was rejected/);
        await client.write("after the early data\n");
        // serve sends session tickets, dumped on another stream: the echo can land mid-line.
        await client.waitFor(/after the early data$/m);
        // The early data went out before the server's first flight: 0x17 right after the CCS.
        const out = client.output;
        const sentEarly = out.indexOf(">>> TLS 1.2, InnerContent [length 0001]\n    17");
        const serverHello = out.indexOf("<<< TLS 1.3, Handshake");
        assert.ok(sentEarly > 0 && sentEarly < serverHello, "s_client sent its 0-RTT record first");
        assert.equal(/Reused, TLSv1\.3/.test(out), false, "a full handshake: no resumption");
        await client.closeStdin();
        await client.exited();
        const line = await server.peer.waitFor(/ok, echoed 21 bytes/);
        assert.match(server.peer.output, /client → server {2}0-RTT data, 61 bytes: skipped/);
        assert.equal(/after HelloRetryRequest/.test(server.peer.output), retry, line.input);
      } finally {
        await client.kill();
        await server.peer.kill();
      }
    },
  });
}

const count = (text: string, re: RegExp) => text.match(re)?.length ?? 0;

/** Waits until `peer` has printed `re` (global) at least `n` times. */
async function waitForCount(peer: Peer, re: RegExp, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (count(peer.output, re) < n) {
    if (Date.now() > deadline) {
      throw new Error(`${count(peer.output, re)} of ${n} ${re} after 10 s:\n${peer.output}`);
    }
    await sleep(5);
  }
}

/**
 * Types KeyUpdate commands (`k`, or `K` to have ours answer) into s_client,
 * one at a time: each once the server's trace shows the one before received
 * (and, for `K`, answered). s_client acts on the first command of each read,
 * so two lines read at once would be one KeyUpdate.
 */
async function type(client: Peer, server: Peer, lines: string[]): Promise<void> {
  const received = /client → server +KeyUpdate/g, answered = /server → client +KeyUpdate/g;
  for (const line of lines) {
    const before = {
      received: count(server.output, received),
      answered: count(server.output, answered),
    };
    await client.write(line + "\n");
    await waitForCount(server, received, before.received + 1);
    if (line === "K") await waitForCount(server, answered, before.answered + 1);
    await sleep(15);
  }
}

Deno.test({
  name: "openssl s_client k/K → serve: runs of 30 KeyUpdates, data between, keep working",
  ignore: !ok,
  async fn() {
    const server = await startServe([...serveArgs, "--trace"]);
    const client = sClient(server.port);
    try {
      await client.waitFor(/Verify return code: 0/);
      for (const [command, round] of [["K", 1], ["k", 2], ["K", 3]] as const) {
        await type(client, server.peer, Array(30).fill(command));
        await client.write(`round ${round}\n`);
        await client.waitFor(new RegExp(`^round ${round}$`, "m"));
      }
      assert.equal(client.output.match(/KEYUPDATE/g)?.length, 90);
      const trace = server.peer.output;
      assert.equal(trace.match(/client → server +KeyUpdate/g)?.length, 90, "received");
      // Each K (update_requested) is answered: 60 of ours.
      assert.equal(trace.match(/server → client +KeyUpdate/g)?.length, 60, "answered");
      await client.closeStdin();
      await client.exited();
      await server.peer.waitFor(/ok, echoed 24 bytes/);
    } finally {
      await client.kill();
      await server.peer.kill();
    }
  },
});

Deno.test({
  name:
    "openssl s_client k → serve: the 33rd KeyUpdate in a row without data is unexpected_message",
  ignore: !ok,
  async fn() {
    const server = await startServe([...serveArgs, "--trace"]);
    const client = sClient(server.port);
    try {
      await client.waitFor(/Verify return code: 0/);
      await type(client, server.peer, Array(32).fill("k"));
      await client.write("k\n");
      await client.waitFor(/alert unexpected message/);
      await server.peer.waitFor(
        /failed: the peer sent more than 32 KeyUpdates in a row without application data \(sent alert unexpected_message\)/,
      );
    } finally {
      await client.kill();
      await server.peer.kill();
    }
  },
});

Deno.test({
  name:
    "openssl s_client -groups P-256:X25519 → serve: its P-256 share is used, no HelloRetryRequest",
  ignore: !ok,
  async fn() {
    const server = await startServe([...serveArgs, "--trace"]);
    const client = sClient(server.port, "-groups", "P-256:X25519", "-msg");
    try {
      await client.waitFor(/Verify return code: 0/);
      await client.write("p256\n");
      await client.waitFor(/p256$/m); // mid-line at times: the ticket dumps go to another stream
      await client.closeStdin();
      await client.exited();
      assert.equal(client.output.match(/>>> .*ClientHello/g)?.length, 1, "one ClientHello");
      assert.match(client.output, /Server Temp Key: ECDH, prime256v1/);
      const log = await server.peer.waitFor(/secp256r1 TLS_AES_128_GCM_SHA256 {2}ok/);
      assert.doesNotMatch(server.peer.output, /HelloRetryRequest/, log.input);
    } finally {
      await client.kill();
      await server.peer.kill();
    }
  },
});
