/**
 * `--groups` and the post-quantum hybrid, as processes: the names
 * (`X25519MLKEM768`, lowercase too), turning the hybrid off on either side,
 * and a HelloRetryRequest to it; what the client offered is read from the
 * server's `--trace`, what was chosen from `connect --json`.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { runConnect, startServe } from "./helpers/cli.ts";

const set = await makeCertSet({ dir: true });
globalThis.addEventListener("unload", () => Deno.removeSync(set.paths!.dir, { recursive: true }));
const paths = set.paths!;
const serveArgs = ["--cert", paths.server, "--key", paths.serverKey, "--trace"];

/** `connect --json ARGS` against `port`: the summary, after checking it succeeded. */
async function connectJson(port: number, ...args: string[]) {
  const out = await runConnect([`localhost:${port}`, "--ca", paths.ca, "--json", ...args]);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

Deno.test("cli --groups: the hybrid by default, by name in any case, and off on either side", async () => {
  const server = await startServe(serveArgs);
  try {
    const byDefault = await connectJson(server.port);
    assert.equal(byDefault.group, "X25519MLKEM768");
    assert.equal(byDefault.helloRetryRequest, false);
    assert.match(
      server.peer.output,
      /groups X25519MLKEM768, x25519, secp256r1, secp384r1, SecP256r1MLKEM768 · key shares X25519MLKEM768 [0-9a-f]{16}…[0-9a-f]{8} \(1216 bytes = ML-KEM-768 encapsulation key 1184 ‖ X25519 public key 32\), x25519 [0-9a-f]{64}\n/,
    );
    assert.equal(
      (await connectJson(server.port, "--groups", "x25519mlkem768")).group,
      "X25519MLKEM768",
    );
    assert.equal(
      (await connectJson(server.port, "--groups", "SecP256r1MLKEM768")).group,
      "SecP256r1MLKEM768",
    );
    // The client turns it off: no hybrid offered, so none chosen.
    const off = await connectJson(server.port, "--groups", "x25519,P-256");
    assert.equal(off.group, "x25519");
    assert.match(server.peer.output, /groups x25519, secp256r1 · key shares x25519 [0-9a-f]{64}\n/);
  } finally {
    await server.peer.kill();
  }
  const classical = await startServe([...serveArgs, "--groups", "x25519,P-256"]);
  try {
    // The server turns it off: the client's x25519 share is taken, without a HelloRetryRequest.
    const summary = await connectJson(classical.port);
    assert.equal(summary.group, "x25519");
    assert.equal(summary.helloRetryRequest, false);
  } finally {
    await classical.peer.kill();
  }
});

Deno.test("cli --groups: a server that takes only the hybrid asks an x25519-first client again", async () => {
  const server = await startServe([...serveArgs, "--groups", "X25519MLKEM768"]);
  try {
    const summary = await connectJson(server.port, "--groups", "x25519,X25519MLKEM768");
    assert.equal(summary.group, "X25519MLKEM768");
    assert.equal(summary.helloRetryRequest, true);
    assert.match(server.peer.output, /asks for a key share for X25519MLKEM768/);
    // A client that does not offer it at all is refused, with the reason.
    const refused = await runConnect([
      `localhost:${server.port}`,
      "--ca",
      paths.ca,
      "--groups",
      "x25519",
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /handshake_failure/);
  } finally {
    await server.peer.kill();
  }
});
