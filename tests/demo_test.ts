/**
 * `handshake demo` end to end: certificates, a server, two connections, the
 * second of which still needs a HelloRetryRequest (its one key share is for
 * a group the demo's server does not take).
 */

import assert from "node:assert/strict";
import { runHandshake } from "./helpers/cli.ts";

Deno.test("demo: two connections, the second after a HelloRetryRequest", async () => {
  const dir = await Deno.makeTempDir({ prefix: "handshake-demo-" });
  try {
    const r = await runHandshake(["demo", "--out", dir]);
    assert.equal(r.code, 0, r.stderr);
    const done = r.stdout.split("\n").filter((l) => /\[client\] handshake done/.test(l));
    assert.equal(done.length, 2, r.stdout);
    assert.doesNotMatch(done[0], /HelloRetryRequest/);
    assert.match(done[1], /TLS_AES_256_GCM_SHA384, x25519 \(after HelloRetryRequest\)/);
    assert.match(
      r.stdout,
      /\[server\] .* x25519 TLS_AES_256_GCM_SHA384 alpn=demo\/1 \(after HelloRetryRequest\) {2}ok/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
