/**
 * `serve --early-data` and `connect --session --early-data` end to end: the
 * serve line says 0-RTT accepted, `--mode http` answers a POST that came
 * as 0-RTT data with 425 Too Early (RFC 8470) and serves a GET from it, and
 * the key log gains CLIENT_EARLY_TRAFFIC_SECRET.
 *
 * @module
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { runConnect, startServe } from "./helpers/cli.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256", dir: true });
const paths = set.paths!;
const dir = paths.dir;
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const SERVE = ["--cert", paths.server, "--key", paths.serverKey, "--early-data", "4096"];
const CONNECT = ["--ca", paths.ca, "--servername", "localhost"];

Deno.test("serve --mode http: a POST in 0-RTT data gets 425 Too Early, a GET in it is served", async () => {
  const server = await startServe([...SERVE, "--mode", "http"]);
  try {
    const file = `${dir}/http-sessions.json`;
    const base = [`localhost:${server.port}`, ...CONNECT, "--alpn", "http/1.1", "--session", file];
    const first = await runConnect([...base, "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const post = `${dir}/post.txt`;
    await Deno.writeTextFile(
      post,
      "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
    );
    const refused = await runConnect([...base, "--early-data", post]);
    assert.match(refused.stderr, /0-RTT data accepted: \d+ bytes/);
    assert.match(refused.stdout, /^HTTP\/1\.1 425 Too Early\r\n/);
    await server.peer.waitFor(/0-RTT accepted .*answered a POST in 0-RTT data with 425 Too Early/);
    const get = `${dir}/get.txt`;
    await Deno.writeTextFile(
      get,
      "GET /json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    const served = await runConnect([...base, "--early-data", get]);
    assert.match(served.stderr, /0-RTT data accepted/);
    assert.match(served.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  } finally {
    await server.peer.kill();
  }
});

Deno.test("connect --early-data: sent after the handshake without a usable ticket, as 0-RTT with one; the key log has CLIENT_EARLY_TRAFFIC_SECRET", async () => {
  const server = await startServe(SERVE);
  try {
    const file = `${dir}/echo-sessions.json`;
    const early = `${dir}/early.txt`;
    await Deno.writeTextFile(early, "early\n");
    const keyLog = `${dir}/keys.log`;
    const base = [`localhost:${server.port}`, ...CONNECT, "--session", file];
    const first = await runConnect([...base, "--early-data", early], "late\n");
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /0-RTT data not sent \(the ticket allows none\): 6 bytes sent after/,
    );
    assert.equal(first.stdout, "early\nlate\n");
    const second = await runConnect([...base, "--early-data", early], "late\n", {
      SSLKEYLOGFILE: keyLog,
    });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resumed \(psk_dhe_ke, no certificate\)/);
    assert.match(second.stderr, /0-RTT data accepted: 6 bytes/);
    assert.equal(second.stdout, "early\nlate\n");
    await server.peer.waitFor(/0-RTT accepted .*echoed 11 bytes \(6 in 0-RTT data\)/);
    assert.match(
      await Deno.readTextFile(keyLog),
      /^CLIENT_EARLY_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64}$/m,
    );
  } finally {
    await server.peer.kill();
  }
});
