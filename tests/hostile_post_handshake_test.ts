/**
 * What may follow the handshake (RFC 8446 §4.6), fed crafted and sealed
 * with the sender's real keys so that it reaches the engine's checks:
 * renegotiation attempts, malformed KeyUpdates and tickets, messages that
 * span a key change, ChangeCipherSpec and plaintext records after the
 * handshake, and data after close_notify.
 */

import assert from "node:assert/strict";
import { AlertDescription, PeerAlert } from "../lib/errors.ts";
import { ContentType, HandshakeType } from "../lib/codepoints.ts";
import { frameHandshake } from "../lib/handshake/messages.ts";
import { concat } from "../lib/wire/writer.ts";
import { makeCertSet } from "./helpers/certs.ts";
import {
  assertAlert,
  established,
  hex,
  Probe,
  record,
  sealerFor,
  validClientHello,
} from "./helpers/hostile.ts";
import { encodeClientHello } from "../lib/handshake/messages.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const set = await makeCertSet();
for (const crypto of PROVIDERS) {
  const config = await serverConfigFor(set, { crypto });
  const A = AlertDescription;
  const T = ContentType;
  const H = HandshakeType;
  const utf8 = (s: string) => new TextEncoder().encode(s);

  /** An established pair, and a sealer for records from `from` to the other side. */
  const after = async (from: "client" | "server") => {
    const pair = await established(config);
    const to = from === "client" ? pair.server : pair.client;
    return { ...pair, to, seal: await sealerFor(to, from) };
  };

  const dataOf = (p: Probe) =>
    p.conn.takeEvents().flatMap((e) => e.type === "data" ? [new TextDecoder().decode(e.data)] : []);

  Deno.test(`hostile after the handshake: a sealed record from the test's sealer is accepted [${crypto.name}]`, async () => {
    const { to, seal } = await after("client");
    await to.feed(await seal(T.application_data, utf8("hello")));
    assert.equal(to.error, undefined);
    assert.deepEqual(dataOf(to), ["hello"]);
  });

  Deno.test(`hostile after the handshake: a ClientHello (renegotiation) is unexpected_message [${crypto.name}]`, async () => {
    const { to, seal } = await after("client");
    const ch = frameHandshake(H.client_hello, encodeClientHello(await validClientHello()));
    await to.feed(await seal(T.handshake, ch));
    await assertAlert(to, A.unexpected_message, "handshake_message_after_handshake");
  });

  Deno.test(`hostile after the handshake: a NewSessionTicket sent to a server is unexpected_message [${crypto.name}]`, async () => {
    const { to, seal } = await after("client");
    await to.feed(
      await seal(T.handshake, frameHandshake(H.new_session_ticket, new Uint8Array(13))),
    );
    await assertAlert(to, A.unexpected_message, "handshake_message_after_handshake");
  });

  Deno.test(`hostile after the handshake: a CertificateRequest (no post_handshake_auth offered) is unexpected_message [${crypto.name}]`, async () => {
    const { to, seal } = await after("server");
    await to.feed(
      await seal(T.handshake, frameHandshake(H.certificate_request, hex("00 0006 000d 0002 0403"))),
    );
    await assertAlert(to, A.unexpected_message, "handshake_message_after_handshake");
  });

  Deno.test(`hostile after the handshake: a second ServerHello is unexpected_message [${crypto.name}]`, async () => {
    const { to, seal } = await after("server");
    await to.feed(await seal(T.handshake, frameHandshake(H.server_hello, new Uint8Array(40))));
    await assertAlert(to, A.unexpected_message, "handshake_message_after_handshake");
  });

  for (const [from, value] of [["client", 2], ["server", 255]] as const) {
    Deno.test(`hostile after the handshake: KeyUpdate with request_update ${value} from the ${from} is illegal_parameter [${crypto.name}]`, async () => {
      const { to, seal } = await after(from);
      await to.feed(await seal(T.handshake, frameHandshake(H.key_update, Uint8Array.of(value))));
      await assertAlert(
        to,
        A.illegal_parameter,
        "key_update_invalid_request",
      );
    });
  }

  Deno.test(`hostile after the handshake: a KeyUpdate with a trailing byte is decode_error [${crypto.name}]`, async () => {
    const { to, seal } = await after("client");
    await to.feed(await seal(T.handshake, frameHandshake(H.key_update, Uint8Array.of(0, 0))));
    await assertAlert(to, A.decode_error, "trailing_bytes");
  });

  Deno.test(`hostile after the handshake: an empty KeyUpdate is decode_error [${crypto.name}]`, async () => {
    const { to, seal } = await after("client");
    await to.feed(await seal(T.handshake, frameHandshake(H.key_update, new Uint8Array(0))));
    await assertAlert(to, A.decode_error, "message_truncated");
  });

  Deno.test(`hostile after the handshake: a message after a KeyUpdate in its record spans a key change [${crypto.name}]`, async () => {
    const { to, seal } = await after("client");
    const update = frameHandshake(H.key_update, Uint8Array.of(0));
    await to.feed(await seal(T.handshake, concat(update, update.subarray(0, 2))));
    await assertAlert(to, A.unexpected_message, "handshake_message_spans_key_change");
  });

  Deno.test(`hostile after the handshake: a valid KeyUpdate moves the keys on [${crypto.name}]`, async () => {
    const { to, seal } = await after("client");
    await to.feed(await seal(T.handshake, frameHandshake(H.key_update, Uint8Array.of(0))));
    assert.equal(to.error, undefined);
    // The old keys no longer open records.
    await to.feed(await seal(T.application_data, utf8("old keys")));
    await assertAlert(to, A.bad_record_mac);
  });

  Deno.test(`hostile after the handshake: a NewSessionTicket lasting more than 7 days is illegal_parameter [${crypto.name}]`, async () => {
    const { to, seal } = await after("server");
    const ticket = hex("00093a81 00000000 00 0001 aa 0000"); // lifetime 604801
    await to.feed(await seal(T.handshake, frameHandshake(H.new_session_ticket, ticket)));
    await assertAlert(to, A.illegal_parameter, "ticket_lifetime_too_long");
  });

  Deno.test(`hostile after the handshake: a NewSessionTicket with a trailing byte is decode_error [${crypto.name}]`, async () => {
    const { to, seal } = await after("server");
    const ticket = hex("00000e10 00000000 00 0001 aa 0000 00");
    await to.feed(await seal(T.handshake, frameHandshake(H.new_session_ticket, ticket)));
    await assertAlert(to, A.decode_error, "trailing_bytes");
  });

  Deno.test(`hostile after the handshake: a valid NewSessionTicket is set aside [${crypto.name}]`, async () => {
    const { to, seal } = await after("server");
    const ticket = hex("00000e10 00000000 00 0001 aa 0000");
    await to.feed(await seal(T.handshake, frameHandshake(H.new_session_ticket, ticket)));
    assert.equal(to.error, undefined);
  });

  Deno.test(`hostile after the handshake: ChangeCipherSpec is unexpected_message [${crypto.name}]`, async () => {
    const { to } = await after("client");
    await to.feed(record(T.change_cipher_spec, Uint8Array.of(1)));
    await assertAlert(to, A.unexpected_message, "change_cipher_spec_after_handshake");
  });

  Deno.test(`hostile after the handshake: a plaintext alert is unexpected_message [${crypto.name}]`, async () => {
    const { to } = await after("server");
    await to.feed(record(T.alert, Uint8Array.of(2, A.internal_error)));
    await assertAlert(to, A.unexpected_message, "plaintext_after_encryption");
  });

  Deno.test(`hostile after the handshake: an encrypted alert of unknown level is illegal_parameter [${crypto.name}]`, async () => {
    const { to, seal } = await after("server");
    await to.feed(await seal(T.alert, Uint8Array.of(0, 0)));
    await assertAlert(to, A.illegal_parameter, "alert_unknown_level");
  });

  Deno.test(`hostile after the handshake: RFC 8446 §6.1: data after close_notify is ignored [${crypto.name}]`, async () => {
    for (const from of ["client", "server"] as const) {
      const { to, seal } = await after(from);
      await to.feed(
        concat(
          await seal(T.application_data, utf8("before")),
          await seal(T.alert, Uint8Array.of(1, A.close_notify)),
          await seal(T.application_data, utf8("after, same read")),
        ),
        await seal(T.application_data, utf8("after, next read")),
        record(T.handshake, Uint8Array.of(1, 2, 3)),
      );
      assert.equal(to.error, undefined);
      assert.deepEqual(
        to.conn.takeEvents().map((e) =>
          e.type === "data" ? new TextDecoder().decode(e.data) : e.type
        ),
        ["before", "close_notify"],
      );
      assert.equal(to.conn.peerClosed, true);
      assert.equal(to.conn.endOfInput(), undefined, "a clean close, not a truncation");
    }
  });

  Deno.test(`hostile after the handshake: close_notify during the handshake is an error, not a clean end [${crypto.name}]`, async () => {
    const p = Probe.server(config);
    await p.feed(record(T.alert, Uint8Array.of(1, A.close_notify)));
    assert.ok(p.error instanceof PeerAlert);
    assert.equal(p.error.alertName, "close_notify");
  });
}
