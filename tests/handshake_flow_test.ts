/**
 * The handshake's send/expect helper over a recording `HandshakeIO`: what
 * a side sends is queued and enters the transcript as its own, what it
 * receives enters only when accepted, as the peer's; keys are installed
 * with our side's secret for writing and the peer's for reading.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CipherSuite, HandshakeType } from "../lib/codepoints.ts";
import type { KeySchedule } from "../lib/crypto/key_schedule.ts";
import { suiteById } from "../lib/crypto/suites.ts";
import { webcrypto } from "../lib/crypto/webcrypto/mod.ts";
import { HandshakeFlow } from "../lib/handshake/flow.ts";
import type { HandshakeIO } from "../lib/handshake/io.ts";
import { frameHandshake, type HandshakeMessage } from "../lib/handshake/messages.ts";
import type { Epoch } from "../lib/record/record_layer.ts";
import type { TraceEvent } from "../lib/trace.ts";

const SUITE = suiteById(webcrypto, CipherSuite.TLS_AES_128_GCM_SHA256)!;

/** A HandshakeIO that records what the handshake does and answers `expect` from `inbox`. */
function recordingIO(inbox: HandshakeMessage[]) {
  const sent: Uint8Array[] = [];
  const keys: string[] = [];
  const events: TraceEvent[] = [];
  const io = {
    crypto: webcrypto,
    writeEpoch: "plaintext",
    expect: (...types: number[]) => {
      const msg = inbox.shift()!;
      assert.ok(types.includes(msg.type));
      return Promise.resolve(msg);
    },
    send: (type: number, body: Uint8Array) => {
      const raw = frameHandshake(type, body);
      sent.push(raw);
      return raw;
    },
    setWriteKeys: (_: KeySchedule, secret: Uint8Array, epoch: Epoch) => {
      keys.push(`write ${epoch} ${secret.toHex()}`);
      return Promise.resolve();
    },
    setReadKeys: (_: KeySchedule, secret: Uint8Array, epoch: Epoch) => {
      keys.push(`read ${epoch} ${secret.toHex()}`);
      return Promise.resolve();
    },
    trace: (e: TraceEvent) => events.push(e),
  } as unknown as HandshakeIO;
  return { io, sent, keys, events };
}

const message = (type: number, body: number[]): HandshakeMessage => {
  const b = new Uint8Array(body);
  return { type, body: b, raw: frameHandshake(type, b) };
};

Deno.test("flow: sent messages enter the transcript as ours, received ones only once accepted", async () => {
  const certificate = message(HandshakeType.certificate, [0, 0, 0, 0]);
  const { io, sent, events } = recordingIO([certificate]);
  const flow = new HandshakeFlow(io, "server", { trace: () => {} });
  flow.transcript.useHash(SUITE.hash);
  const ee = flow.send(HandshakeType.encrypted_extensions, new Uint8Array([0, 0]));
  assert.deepEqual(sent, [ee]);
  const received = await flow.expect(HandshakeType.certificate);
  assert.equal(flow.hash().toHex(), SUITE.hash.digest(ee).toHex(), "expect adds nothing");
  flow.accept(received);
  const both = new Uint8Array([...ee, ...certificate.raw]);
  assert.equal(flow.hash().toHex(), SUITE.hash.digest(both).toHex());
  const after = events.flatMap((e) => e.kind === "transcript" ? [e.after] : []);
  assert.deepEqual(after, ["EncryptedExtensions", "client Certificate"]);
});

Deno.test("flow: keys by name, our side's secret to write, the peer's to read", async () => {
  const { io, keys } = recordingIO([]);
  const flow = new HandshakeFlow(io, "client", {});
  const schedule = flow.keySchedule(SUITE);
  const secrets = schedule.handshakeSecrets(
    new Uint8Array(32),
    SUITE.hash.digest(new Uint8Array()),
  );
  await flow.writeKeys(schedule, "handshake");
  await flow.readKeys(schedule, "handshake");
  assert.deepEqual(keys, [
    `write handshake ${secrets.client.toHex()}`,
    `read handshake ${secrets.server.toHex()}`,
  ]);
  await assert.rejects(async () => await flow.readKeys(schedule, "application"), /not derived/);
});
