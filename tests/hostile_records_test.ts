/**
 * The record layer and the handshake's framing under crafted input, on a
 * real engine: oversized and empty records, unknown types, records out of
 * place, ChangeCipherSpec abuse, malformed alerts, messages that span a key
 * change, and streams truncated at every offset. Each ends in the alert
 * RFC 8446 names, sent before the connection closes.
 */

import assert from "node:assert/strict";
import { AlertDescription, PeerAlert, TruncationError } from "../lib/errors.ts";
import { ContentType, HandshakeType, NamedGroup } from "../lib/codepoints.ts";
import { frameHandshake } from "../lib/handshake/messages.ts";
import { concat } from "../lib/wire/writer.ts";
import { makeCertSet } from "./helpers/certs.ts";
import {
  assertAlert,
  clientHelloRecord,
  handshakeRecord,
  messagesSentBy,
  Probe,
  record,
  sealerFor,
  validClientHello,
} from "./helpers/hostile.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { groupOf, PROVIDERS } from "./helpers/providers.ts";
import { recordBytes, records } from "./vectors/wire.ts";

const set = await makeCertSet();
for (const crypto of PROVIDERS) {
  const config = await serverConfigFor(set, { crypto });
  const A = AlertDescription;
  const T = ContentType;

  /** A server probe fed `chunks`. */
  const server = async (...chunks: Uint8Array[]): Promise<Probe> => {
    const p = Probe.server(config);
    await p.feed(...chunks);
    return p;
  };

  const hello = async () => clientHelloRecord(await validClientHello());

  /**
   * A client and server stopped where the client has the server's whole first
   * flight and has answered it, but its answer (CCS, Finished) is held back:
   * `seal` protects records under the client's handshake keys, as the server
   * expects the next one.
   */
  const beforeClientFinished = async () => {
    const client = await Probe.client({ crypto });
    const srv = Probe.server(config);
    await srv.feed(client.takeSent());
    await client.feed(srv.takeSent());
    const held = client.takeSent();
    return { client, server: srv, held, seal: await sealerFor(srv, "client") };
  };

  // --- sizes ---

  Deno.test(`hostile records: a header announcing 2^14+257 bytes is record_overflow before the body [${crypto.name}]`, async () => {
    const p = await server(Uint8Array.of(T.handshake, 3, 3, 0x41, 0x01));
    await assertAlert(p, A.record_overflow, "record_overflow");
  });

  Deno.test(`hostile records: a plaintext record of 2^14+1 bytes is record_overflow [${crypto.name}]`, async () => {
    const p = await server(record(T.handshake, new Uint8Array((1 << 14) + 1)));
    await assertAlert(p, A.record_overflow, "plaintext_record_overflow");
  });

  Deno.test(`hostile records: an encrypted record whose plaintext exceeds 2^14+1 is record_overflow [${crypto.name}]`, async () => {
    const { server: p, seal } = await beforeClientFinished();
    await p.feed(await seal(T.handshake, new Uint8Array(1 << 14).fill(1), 1));
    await assertAlert(p, A.record_overflow, "inner_plaintext_overflow");
  });

  Deno.test(`hostile records: a handshake message over the limit is refused from its header [${crypto.name}]`, async () => {
    const p = Probe.server({ ...config, maxHandshakeMessage: 1000 });
    await p.feed(record(T.handshake, Uint8Array.of(HandshakeType.client_hello, 0, 3, 0xe9)));
    await assertAlert(p, A.decode_error, "handshake_message_too_large", /more than the 1000/);
  });

  Deno.test(`hostile records: the default limit refuses a 2^24-1 byte message at once [${crypto.name}]`, async () => {
    const p = await server(
      record(T.handshake, Uint8Array.of(HandshakeType.client_hello, 255, 255, 255)),
    );
    await assertAlert(p, A.decode_error, "handshake_message_too_large");
    assert.ok(p.conn.buffered < 100);
  });

  // --- empty and unknown records ---

  Deno.test(`hostile records: a zero-length handshake record is unexpected_message [${crypto.name}]`, async () => {
    await assertAlert(
      await server(record(T.handshake, new Uint8Array(0))),
      A.unexpected_message,
      "empty_handshake_record",
    );
  });

  Deno.test(`hostile records: a zero-length encrypted handshake record is unexpected_message [${crypto.name}]`, async () => {
    const { server: p, seal } = await beforeClientFinished();
    await p.feed(await seal(T.handshake, new Uint8Array(0)));
    await assertAlert(p, A.unexpected_message, "empty_handshake_record");
  });

  Deno.test(`hostile records: an encrypted record holding only padding is unexpected_message [${crypto.name}]`, async () => {
    const { server: p, seal } = await beforeClientFinished();
    await p.feed(await seal(0, new Uint8Array(0), 10)); // content type 0, then zeros: all padding
    await assertAlert(p, A.unexpected_message, "record_only_padding");
  });

  Deno.test(`hostile records: an unknown content type is unexpected_message (HTTP is named) [${crypto.name}]`, async () => {
    const p = await server(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await assertAlert(
      p,
      A.unexpected_message,
      "record_unknown_content_type",
      /unknown content type 71 \(this looks like plain HTTP/,
    );
    const reply = await server(new TextEncoder().encode("<html>not TLS</html>"));
    await assertAlert(
      reply,
      A.unexpected_message,
      "record_unknown_content_type",
      /unknown content type 60 \(this looks like plain text/,
    );
    await assertAlert(
      await server(record(99, Uint8Array.of(1))),
      A.unexpected_message,
      "record_unknown_content_type",
    );
    await assertAlert(
      await server(record(0, Uint8Array.of(1))),
      A.unexpected_message,
      "record_unknown_content_type",
    );
  });

  Deno.test(`hostile records: a record version that is not 3.x is decode_error [${crypto.name}]`, async () => {
    const p = await server(record(T.handshake, Uint8Array.of(1, 0, 0, 0), 0x0200));
    await assertAlert(p, A.decode_error, "record_bad_version");
  });

  // --- records out of place ---

  Deno.test(`hostile records: application data before the handshake is unexpected_message [${crypto.name}]`, async () => {
    const p = await server(record(T.application_data, new TextEncoder().encode("early")));
    await assertAlert(
      p,
      A.unexpected_message,
      "application_data_before_finished",
    );
  });

  Deno.test(`hostile records: application data under the handshake keys is unexpected_message [${crypto.name}]`, async () => {
    const { server: p, seal } = await beforeClientFinished();
    await p.feed(await seal(T.application_data, new TextEncoder().encode("too soon")));
    await assertAlert(
      p,
      A.unexpected_message,
      "application_data_before_finished",
    );
  });

  Deno.test(`hostile records: a plaintext handshake record after encryption started is unexpected_message [${crypto.name}]`, async () => {
    const { server: p } = await beforeClientFinished();
    await p.feed(handshakeRecord(HandshakeType.finished, new Uint8Array(32)));
    await assertAlert(
      p,
      A.unexpected_message,
      "plaintext_after_encryption",
    );
  });

  Deno.test(`hostile records: a KeyUpdate during the handshake is unexpected_message [${crypto.name}]`, async () => {
    const { server: p, seal } = await beforeClientFinished();
    await p.feed(
      await seal(T.handshake, frameHandshake(HandshakeType.key_update, Uint8Array.of(0))),
    );
    await assertAlert(p, A.unexpected_message, "unexpected_handshake_message");
  });

  Deno.test(`hostile records: a tampered encrypted record is bad_record_mac [${crypto.name}]`, async () => {
    const { server: p, held } = await beforeClientFinished();
    const recs = records(held);
    const finished = recordBytes(recs.at(-1)!);
    finished[finished.length - 1] ^= 1;
    await p.feed(recordBytes(recs[0]), finished);
    await assertAlert(
      p,
      A.bad_record_mac,
      "bad_record_mac",
      /under the handshake keys/,
    );
  });

  Deno.test(`hostile records: an encrypted record too short for its tag is bad_record_mac [${crypto.name}]`, async () => {
    const { server: p } = await beforeClientFinished();
    await p.feed(record(T.application_data, new Uint8Array(16)));
    await assertAlert(p, A.bad_record_mac, "record_too_short_for_tag");
  });

  Deno.test(`hostile records: the real client Finished, held back and then sent, completes the handshake [${crypto.name}]`, async () => {
    const { server: p, held } = await beforeClientFinished();
    await p.feed(held);
    assert.equal(p.error, undefined);
    assert.ok(p.conn.handshakeInfo);
  });

  // --- a handshake message split across a key change (RFC 8446 §5.1) ---

  Deno.test(`hostile records: bytes after the ClientHello in its record (a key change follows) are unexpected_message [${crypto.name}]`, async () => {
    const ch = await hello();
    const content = concat(ch.subarray(5), Uint8Array.of(HandshakeType.finished, 0));
    const p = await server(record(T.handshake, content));
    await assertAlert(p, A.unexpected_message, "handshake_message_spans_key_change");
  });

  Deno.test(`hostile records: a whole message after the client Finished in its record is unexpected_message [${crypto.name}]`, async () => {
    const { server: p, client } = await beforeClientFinished();
    const finished = (await messagesSentBy(client, "client")).at(-1);
    assert.equal(finished?.type, HandshakeType.finished);
    const seal = await sealerFor(p, "client");
    const keyUpdate = frameHandshake(HandshakeType.key_update, Uint8Array.of(0));
    await p.feed(await seal(T.handshake, concat(finished.raw, keyUpdate)));
    await assertAlert(p, A.unexpected_message, "handshake_message_spans_key_change");
  });

  // --- ChangeCipherSpec (RFC 8446 §5) ---

  Deno.test(`hostile records: ChangeCipherSpec before the ClientHello is unexpected_message [${crypto.name}]`, async () => {
    const p = await server(record(T.change_cipher_spec, Uint8Array.of(1)), await hello());
    await assertAlert(p, A.unexpected_message, "change_cipher_spec_before_client_hello");
  });

  for (const body of [[2], [1, 1], []]) {
    Deno.test(`hostile records: ChangeCipherSpec with body [${body}] is unexpected_message [${crypto.name}]`, async () => {
      const p = await server(await hello(), record(T.change_cipher_spec, Uint8Array.from(body)));
      await assertAlert(p, A.unexpected_message, "invalid_change_cipher_spec");
    });
  }

  Deno.test(`hostile records: a valid ChangeCipherSpec after the ClientHello is dropped [${crypto.name}]`, async () => {
    const { server: p, held } = await beforeClientFinished();
    await p.feed(record(T.change_cipher_spec, Uint8Array.of(1)), held);
    assert.equal(p.error, undefined);
    assert.ok(p.conn.handshakeInfo);
  });

  Deno.test(`hostile records: an encrypted ChangeCipherSpec is unexpected_message [${crypto.name}]`, async () => {
    const { server: p, seal } = await beforeClientFinished();
    await p.feed(await seal(T.change_cipher_spec, Uint8Array.of(1)));
    await assertAlert(p, A.unexpected_message, "unexpected_encrypted_content_type");
  });

  Deno.test(`hostile records: ChangeCipherSpec inside a fragmented handshake message is unexpected_message [${crypto.name}]`, async () => {
    const ch = (await hello()).subarray(5);
    const p = await server(
      record(T.handshake, ch.subarray(0, 10)),
      record(T.change_cipher_spec, Uint8Array.of(1)),
    );
    await assertAlert(
      p,
      A.unexpected_message,
      "record_interleaved_with_handshake_message",
    );
  });

  // --- alerts (RFC 8446 §6) ---

  Deno.test(`hostile records: an alert of unknown level is illegal_parameter [${crypto.name}]`, async () => {
    const p = await server(await hello(), record(T.alert, Uint8Array.of(3, 0)));
    await assertAlert(p, A.illegal_parameter, "alert_unknown_level");
  });

  for (const body of [[2], [2, 40, 0]]) {
    Deno.test(`hostile records: an alert record of ${body.length} bytes is decode_error [${crypto.name}]`, async () => {
      const p = await server(await hello(), record(T.alert, Uint8Array.from(body)));
      await assertAlert(
        p,
        A.decode_error,
        "alert_record_wrong_length",
      );
    });
  }

  Deno.test(`hostile records: an empty alert record is unexpected_message (RFC 8446 §5.1, §5.4) [${crypto.name}]`, async () => {
    const p = await server(await hello(), record(T.alert, new Uint8Array(0)));
    await assertAlert(p, A.unexpected_message, "empty_alert_record");
  });

  Deno.test(`hostile records: a fatal alert from the peer is a PeerAlert, with nothing sent back [${crypto.name}]`, async () => {
    const p = await server(await hello(), record(T.alert, Uint8Array.of(2, A.handshake_failure)));
    assert.ok(p.error instanceof PeerAlert);
    assert.equal(p.error.alertName, "handshake_failure");
    const sent = records(p.sent);
    assert.ok(sent.every((r) => r.type !== T.alert), "no alert answers an alert");
  });

  Deno.test(`hostile records: a warning-level alert other than close_notify is still an error [${crypto.name}]`, async () => {
    const p = await server(await hello(), record(T.alert, Uint8Array.of(1, A.bad_certificate)));
    assert.ok(p.error instanceof PeerAlert);
  });

  Deno.test(`hostile records: user_canceled then the end of input is truncation that names the cancel [${crypto.name}]`, async () => {
    const p = await server(await hello(), record(T.alert, Uint8Array.of(1, A.user_canceled)));
    assert.equal(p.error, undefined);
    const err = p.conn.endOfInput();
    assert.ok(err instanceof TruncationError);
    assert.equal(err.message, "the peer canceled the connection (user_canceled) and closed it");
  });

  // --- truncation at every offset ---

  Deno.test(`hostile records: the ClientHello cut at every offset is truncation, never a crash [${crypto.name}]`, async () => {
    const ch = await hello();
    for (let n = 0; n < ch.length; n++) {
      const p = await server(ch.subarray(0, n));
      assert.equal(p.error, undefined, `offset ${n}: ${p.error}`);
      const err = p.conn.endOfInput();
      assert.ok(err instanceof TruncationError, `offset ${n}`);
      assert.match(err.message, /during the handshake/);
    }
  });

  Deno.test(`hostile records: the server's flight cut at every offset is truncation for the client [${crypto.name}]`, async () => {
    // Clients with the same randoms and key share send the same ClientHello, so one recorded
    // server flight is valid for each of them.
    const share = await groupOf(crypto, NamedGroup.x25519).start();
    const same = {
      random: (n: number) => new Uint8Array(n).fill(7),
      keyShares: () => Promise.resolve(share),
      groups: [NamedGroup.x25519],
    };
    const first = await Probe.client({ crypto, ...same });
    const srv = Probe.server(config);
    await srv.feed(first.takeSent());
    const flight = srv.takeSent();
    for (let n = 0; n < flight.length; n++) {
      const client = await Probe.client({ crypto, ...same });
      await client.feed(flight.subarray(0, n));
      assert.equal(client.error, undefined, `offset ${n}: ${client.error}`);
      assert.ok(client.conn.endOfInput() instanceof TruncationError, `offset ${n}`);
    }
    const whole = await Probe.client({ crypto, ...same });
    await whole.feed(flight);
    assert.ok(whole.conn.handshakeInfo, `the whole flight completes: ${whole.error}`);
  });

  Deno.test(`hostile records: the client's Finished flight cut at every offset is truncation for the server [${crypto.name}]`, async () => {
    const { held } = await beforeClientFinished();
    for (let n = 0; n < held.length; n++) {
      const { server: p } = await beforeClientFinished();
      await p.feed(held.subarray(0, n));
      assert.equal(p.error, undefined, `offset ${n}: ${p.error}`);
      assert.ok(p.conn.endOfInput() instanceof TruncationError, `offset ${n}`);
    }
  });
}
