/**
 * The trace only observes: a connection sends the same bytes, installs the
 * same keys and logs the same secrets whether it is traced or not, and what
 * the trace reports as sent is exactly what went on the wire. The fixed
 * connection (tests/helpers/fixed_pair.ts: no random value left to chance)
 * is run both ways on every provider, whole and failing mid-flight; and the
 * outbox, which keeps the trace in protocol order, is checked on its own.
 */

import assert from "node:assert/strict";
import { AlertDescription } from "../lib/errors.ts";
import { RecordCipher } from "../lib/crypto/aead.ts";
import { Outbox } from "../lib/record/outbox.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { concat } from "../lib/wire/writer.ts";
import { fixedConfigs } from "./helpers/fixed_pair.ts";
import { exchange, Probe } from "./helpers/hostile.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

for (const crypto of PROVIDERS) {
  /** The fixed connection as two probes: handshake, a line each way, close_notify each way. */
  const run = async (trace: boolean) => {
    const { client, server } = await fixedConfigs(crypto);
    const c = await Probe.client(client, { trace });
    const s = Probe.server(server, { trace });
    await exchange(c, s);
    await c.write(utf8("hello from the client\n"));
    await exchange(c, s);
    await s.write(utf8("hello from the server\n"));
    await exchange(c, s);
    await c.close();
    await exchange(c, s);
    await s.close();
    await exchange(c, s);
    assert.equal(c.error ?? s.error, undefined);
    return { c, s };
  };

  Deno.test(`trace observer [${crypto.name}]: traced or not, the same bytes each way and the same key logs`, async () => {
    const untraced = await run(false);
    const traced = await run(true);
    assert.deepEqual(traced.c.sent, untraced.c.sent, "the client's bytes");
    assert.deepEqual(traced.s.sent, untraced.s.sent, "the server's bytes");
    assert.deepEqual(traced.c.keyLog, untraced.c.keyLog);
    assert.deepEqual(traced.s.keyLog, untraced.s.keyLog);
    assert.equal(untraced.c.keyLog.length, 5, "handshake, application and exporter secrets");
  });

  Deno.test(`trace observer [${crypto.name}]: a server failing mid-flight sends the same bytes traced or not`, async () => {
    // Its key cannot sign: the ServerHello and the key change are queued, the CertificateVerify fails.
    const failing = async (trace: boolean) => {
      const { client, server } = await fixedConfigs(crypto);
      const key = Object.create(server.certificate!.key, {
        sign: { value: () => Promise.reject(new Error("the key is gone")) },
      });
      const s = Probe.server({ ...server, certificate: { ...server.certificate!, key } }, {
        trace,
      });
      await s.feed((await Probe.client(client)).sent);
      assert.match(`${s.error}`, /the key is gone/);
      return s.sent;
    };
    const untraced = await failing(false);
    assert.deepEqual(await failing(true), untraced);
    // Nothing of the flight was sealed: the alert goes in the clear, as the client has no keys.
    assert.deepEqual([...untraced], [21, 3, 3, 0, 2, 2, AlertDescription.internal_error]);
  });

  Deno.test(`trace observer [${crypto.name}]: the records traced as sent are the bytes on the wire`, async () => {
    const { c, s } = await run(true);
    const sent = (events: TraceEvent[], from: string) =>
      concat(...events.flatMap((e) => e.kind === "record" && e.from === from ? [e.bytes] : []));
    for (const p of [c, s]) {
      assert.deepEqual(sent(p.trace, p.role), p.sent, `${p.role}: what it sent`);
      const peer = p.role === "client" ? "server" : "client";
      assert.deepEqual(sent(p.trace, peer), p.sentBy(peer), `${p.role}: what it received`);
    }
  });
}

Deno.test("trace observer: the outbox tells events reported after a queued key change once it takes effect", async () => {
  const suite = PROVIDERS[0].suites[0];
  const key = new Uint8Array(suite.aead.keyLength), iv = new Uint8Array(suite.aead.nonceLength);
  const keys = { key, iv, cipher: await RecordCipher.fromKeys(suite, key, iv) };
  const told: string[] = [];
  const out = new Outbox("server", 1 << 14, (e) =>
    told.push(
      e.kind === "record" ? `record ${e.epoch}` : e.kind === "psk" ? e.detail : e.kind,
    ));
  const note = (detail: string) => out.observe({ kind: "psk", detail, ok: true });
  out.queueHandshake(Uint8Array.of(1));
  note("before the key change");
  out.queueKeys(keys, new Uint8Array(32), "handshake");
  note("after it");
  out.queueHandshake(Uint8Array.of(2));
  note("after the next message");
  assert.deepEqual(told, ["before the key change"], "the rest waits for the key change");
  await out.flush();
  assert.deepEqual(told, [
    "before the key change",
    "record plaintext",
    "keys",
    "after it",
    "after the next message",
    "record handshake",
  ]);
  note("with nothing queued");
  assert.equal(told.at(-1), "with nothing queued");
  out.queueKeys(keys, new Uint8Array(32), "application");
  note("told when the queue is dropped");
  out.discardQueued();
  assert.equal(told.at(-1), "told when the queue is dropped");
});
