/**
 * KeyUpdate limits as in BoringSSL and rustls: what counts is KeyUpdates
 * received in a row with no application data between them (at most 32 by
 * default), not their rate; each update_requested among them is answered.
 */

import assert from "node:assert/strict";
import { AlertDescription } from "../lib/errors.ts";
import { ContentType, HandshakeType } from "../lib/codepoints.ts";
import type { ServerConfig } from "../lib/config.ts";
import { frameHandshake } from "../lib/handshake/messages.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { assertAlert, established, sealerFor } from "./helpers/hostile.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const set = await makeCertSet();
const A = AlertDescription;
const T = ContentType;

/** An established pair, and a way to send the server records as the client would. */
async function keyed(config: ServerConfig, extra: Partial<ServerConfig> = {}) {
  const pair = await established({ ...config, ...extra });
  const { server } = pair;
  // Each KeyUpdate moves the client's keys on; the sealer must follow.
  const send = async (type: number, content: Uint8Array) => {
    const seal = await sealerFor(server, "client");
    await server.feed(await seal(type, content));
  };
  /** KeyUpdates from `from` that took effect: its traffic secrets after the first, in the key log. */
  const keyUpdates = (from: "client" | "server") =>
    server.keyLog.filter((line) => line.startsWith(`${from.toUpperCase()}_TRAFFIC_SECRET_`))
      .length - 1;
  return { ...pair, send, keyUpdates };
}

const keyUpdate = frameHandshake(HandshakeType.key_update, Uint8Array.of(1)); // update_requested

for (const crypto of PROVIDERS) {
  const config = await serverConfigFor(set, { crypto });

  Deno.test(`limits: 32 KeyUpdates in a row, each answered, pass; the 33rd is unexpected_message [${crypto.name}]`, async () => {
    const { server, client, send, keyUpdates } = await keyed(config);
    for (let i = 0; i < 32; i++) await send(T.handshake, keyUpdate);
    assert.equal(server.error, undefined);
    assert.equal(keyUpdates("client"), 32);
    assert.equal(keyUpdates("server"), 32, "each update_requested is answered");
    // The client follows all 32 of the server's answers, and data still flows both ways.
    await client.feed(server.takeSent());
    assert.equal(client.error, undefined);
    await server.write(Uint8Array.of(7));
    await client.feed(server.takeSent());
    assert.deepEqual(client.conn.takeEvents(), [{ type: "data", data: Uint8Array.of(7) }]);
    await send(T.handshake, keyUpdate);
    await assertAlert(
      server,
      A.unexpected_message,
      "too_many_key_updates",
      /more than 32 KeyUpdates/,
    );
  });

  Deno.test(`limits: application data between KeyUpdates starts the count again, however fast [${crypto.name}]`, async () => {
    const { server, send, keyUpdates } = await keyed(config);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 32; i++) await send(T.handshake, keyUpdate);
      await send(T.application_data, Uint8Array.of(round));
    }
    assert.equal(server.error, undefined);
    assert.equal(keyUpdates("client"), 96);
    assert.deepEqual(
      server.conn.takeEvents().map((e) => e.type === "data" && e.data[0]),
      [0, 1, 2],
    );
    // An empty application data record carries no data: it does not reset the count.
    for (let i = 0; i < 32; i++) await send(T.handshake, keyUpdate);
    await send(T.application_data, new Uint8Array(0));
    await send(T.handshake, keyUpdate);
    await assertAlert(
      server,
      A.unexpected_message,
      "too_many_key_updates",
      /more than 32 KeyUpdates/,
    );
  });

  Deno.test(`limits: maxKeyUpdatesInARow is a setting [${crypto.name}]`, async () => {
    const { server, send } = await keyed(config, { maxKeyUpdatesInARow: 2 });
    await send(T.handshake, keyUpdate);
    await send(T.handshake, keyUpdate);
    assert.equal(server.error, undefined);
    await send(T.handshake, keyUpdate);
    await assertAlert(
      server,
      A.unexpected_message,
      "too_many_key_updates",
      /more than 2 KeyUpdates/,
    );
  });
}
