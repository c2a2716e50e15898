/**
 * The engine's limits against a peer that floods or hoards: runs of records
 * that carry nothing, handshakes that never end, and messages beyond the
 * largest accepted (KeyUpdates in a row: key_update_limits_test.ts). Each limit has a default and a
 * setting; just under it is fine, just over it ends the connection.
 */

import assert from "node:assert/strict";
import { AlertDescription } from "../lib/errors.ts";
import { ContentType, ExtensionType, HandshakeType } from "../lib/codepoints.ts";
import { DEFAULT_LIMITS } from "../lib/config.ts";
import { concat } from "../lib/wire/writer.ts";
import { makeCertSet } from "./helpers/certs.ts";
import {
  assertAlert,
  clientHelloRecord,
  established,
  Probe,
  record,
  sealerFor,
  validClientHello,
  withExtension,
} from "./helpers/hostile.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const set = await makeCertSet();
for (const crypto of PROVIDERS) {
  const config = await serverConfigFor(set, { crypto });
  const A = AlertDescription;
  const T = ContentType;
  const ccs = record(T.change_cipher_spec, Uint8Array.of(1));
  const repeat = (n: number, bytes: Uint8Array) => concat(...Array(n).fill(bytes));

  Deno.test(`limits: the defaults [${crypto.name}]`, () => {
    assert.deepEqual(DEFAULT_LIMITS, {
      maxHandshakeMessage: 131072,
      maxIgnoredRecords: 16,
      maxKeyUpdatesInARow: 32,
    });
  });

  Deno.test(`limits: 16 ChangeCipherSpec records in a row pass, the 17th is unexpected_message [${crypto.name}]`, async () => {
    const hello = clientHelloRecord(await validClientHello());
    const ok = Probe.server(config);
    await ok.feed(hello, repeat(16, ccs));
    assert.equal(ok.error, undefined);
    const p = Probe.server(config);
    await p.feed(hello, repeat(17, ccs));
    await assertAlert(
      p,
      A.unexpected_message,
      "too_many_empty_records",
      /more than 16 records in a row/,
    );
  });

  Deno.test(`limits: empty application data records: a run over the limit fails, data in between resets it [${crypto.name}]`, async () => {
    const { server, client } = await established(config);
    const seal = await sealerFor(server, "client");
    const empty = () => seal(T.application_data, new Uint8Array(0));
    for (let i = 0; i < 16; i++) await server.feed(await empty());
    await server.feed(await seal(T.application_data, Uint8Array.of(1)));
    for (let i = 0; i < 16; i++) await server.feed(await empty());
    assert.equal(server.error, undefined);
    await server.feed(await empty());
    await assertAlert(
      server,
      A.unexpected_message,
      "too_many_empty_records",
      /the last one an empty application data record/,
    );
    assert.equal(client.error, undefined);
  });

  Deno.test(`limits: user_canceled warnings in a run over the limit fail [${crypto.name}]`, async () => {
    const { client } = await established(config);
    const seal = await sealerFor(client, "server");
    for (let i = 0; i < 17; i++) {
      await client.feed(await seal(T.alert, Uint8Array.of(1, A.user_canceled)));
    }
    await assertAlert(
      client,
      A.unexpected_message,
      "too_many_empty_records",
      /the last one user_canceled/,
    );
  });

  Deno.test(`limits: maxIgnoredRecords is a setting [${crypto.name}]`, async () => {
    const hello = clientHelloRecord(await validClientHello());
    const p = Probe.server({ ...config, maxIgnoredRecords: 2 });
    await p.feed(hello, repeat(3, ccs));
    await assertAlert(
      p,
      A.unexpected_message,
      "too_many_empty_records",
      /more than 2 records in a row/,
    );
  });

  /** A ClientHello grown to about `size` bytes with a padding extension (RFC 7685). */
  const paddedHello = async (size: number): Promise<Uint8Array> => {
    const ch = withExtension(await validClientHello(), ExtensionType.padding, new Uint8Array(size));
    const whole = clientHelloRecord(ch).subarray(5);
    const out: Uint8Array[] = [];
    for (let at = 0; at < whole.length; at += 16384) {
      out.push(record(T.handshake, whole.subarray(at, at + 16384)));
    }
    return concat(...out);
  };

  Deno.test(`limits: a 60 KB ClientHello in four records is accepted by default [${crypto.name}]`, async () => {
    const p = Probe.server(config);
    await p.feed(await paddedHello(60_000));
    assert.equal(p.error, undefined);
    assert.ok(p.sent.length > 0);
  });

  Deno.test(`limits: a message announcing one byte over the default 128 KiB is decode_error [${crypto.name}]`, async () => {
    const p = Probe.server(config);
    await p.feed(record(T.handshake, Uint8Array.of(HandshakeType.certificate, 2, 0, 1)));
    await assertAlert(
      p,
      A.decode_error,
      "handshake_message_too_large",
      /Certificate message of 131073 bytes, more than the 131072/,
    );
  });

  Deno.test(`limits: maxHandshakeBytes bounds what arrives before the handshake completes [${crypto.name}]`, async () => {
    const p = Probe.server({ ...config, maxHandshakeBytes: 4000 });
    await p.feed(await paddedHello(5000));
    await assertAlert(
      p,
      A.unexpected_message,
      "handshake_too_long",
      /more than 4000 bytes/,
    );
  });

  Deno.test(`limits: maxHandshakeBytes counts every record, CCS included [${crypto.name}]`, async () => {
    const hello = clientHelloRecord(await validClientHello());
    const p = Probe.server({ ...config, maxHandshakeBytes: hello.length + 12 });
    await p.feed(hello, ccs, ccs);
    assert.equal(p.error, undefined);
    await p.feed(ccs);
    await assertAlert(p, A.unexpected_message, "handshake_too_long");
  });

  Deno.test(`limits: a message trickled in 1-byte records is held only up to the limit [${crypto.name}]`, async () => {
    const p = Probe.server({ ...config, maxHandshakeMessage: 2000, maxHandshakeBytes: 100_000 });
    const header = Uint8Array.of(HandshakeType.client_hello, 0, 7, 0xd0); // 2000 bytes announced
    await p.feed(record(T.handshake, header));
    for (let i = 0; i < 1999 && !p.error; i++) await p.feed(record(T.handshake, Uint8Array.of(0)));
    assert.equal(p.error, undefined);
    assert.ok(p.conn.buffered <= 2004, `buffered ${p.conn.buffered}`);
  });
}
