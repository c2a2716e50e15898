/**
 * A small run of the load test (tests/load/load.ts, `deno task load` for the
 * real one): the `serve` CLI as a subprocess, a few well-behaved clients
 * beside each kind of hostile one, then idle connections. Every
 * well-behaved client is served, every hostile one refused, and the server
 * survives.
 */

import assert from "node:assert/strict";
import { runLoad } from "./load/load.ts";

Deno.test("load (smoke): well-behaved clients all served beside hostile ones; idle connections held", async () => {
  const lines: string[] = [];
  const report = await runLoad({
    seconds: 2,
    rounds: 1,
    clients: 5,
    hostile: 4,
    idle: 50,
    idleRounds: 1,
    handshakeTimeout: 1,
    settle: 0,
    log: (line) => lines.push(line),
  });
  const context = lines.join("\n");
  assert.deepEqual(report.goodFailures, [], context);
  assert.equal(report.serverCrashed, false, context);
  assert.equal(report.hostileNotRefused, 0, context);
  assert.ok(report.handshakes > 20, context);
  assert.deepEqual(Object.keys(report.hostile).sort(), ["dropped", "flood", "garbage", "stall"]);
  assert.equal(report.idle.connections, 50);
  assert.ok(report.rounds[0].peak > 0 && report.idle.held[0] > 0, context);
});
