/**
 * What a strict TLS 1.3 conformance checker asks of a server, in memory
 * against the engine: declined early data is skipped, not fatal (RFC 8446
 * §4.2.10); SSL 3.0 in legacy_version is protocol_version (Appendix D.5);
 * an empty alert is unexpected_message (§5.4); and a usable key share is
 * used rather than asked for again (§4.2.8).
 */

import assert from "node:assert/strict";
import { AlertDescription } from "../lib/errors.ts";
import { ContentType, ExtensionType, HandshakeType, NamedGroup } from "../lib/codepoints.ts";
import { MAX_SKIPPED_EARLY_DATA } from "../lib/connection/inbound.ts";
import { KeySchedule } from "../lib/crypto/key_schedule.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";
import type { ServerConfig } from "../lib/config.ts";
import { suiteById } from "../lib/crypto/suites.ts";
import {
  decodeCookie,
  encodeClientKeyShares,
  encodeCookie,
  findExtension,
} from "../lib/handshake/extensions.ts";
import {
  type ClientHello,
  decodeEncryptedExtensions,
  decodeServerHello,
  frameHandshake,
  isHelloRetryRequest,
} from "../lib/handshake/messages.ts";
import { makeCertSet } from "./helpers/certs.ts";
import {
  assertAlert,
  clientHelloRecord,
  established,
  loggedSecret,
  messagesSentBy,
  Probe,
  record,
  sealerFor,
  validClientHello,
  withExtension,
} from "./helpers/hostile.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { groupOf, PROVIDERS } from "./helpers/providers.ts";
import { messages, records } from "./vectors/wire.ts";
import { concat } from "../lib/wire/writer.ts";

const set = await makeCertSet();
const A = AlertDescription;
const T = ContentType;
const X = ExtensionType;
const EMPTY = new Uint8Array(0);

/** A ClientHello (AES-128-GCM only) that offers early data, as a resuming client's would. */
async function earlyHello(): Promise<ClientHello> {
  const ch = await validClientHello();
  return withExtension({ ...ch, cipherSuites: [0x1301] }, X.early_data, EMPTY);
}

/** A 0-RTT record as the server sees it: sealed under keys it does not have. */
function earlyRecord(size: number): Uint8Array {
  return record(T.application_data, crypto.getRandomValues(new Uint8Array(size)));
}

/**
 * Ends the handshake as the client would (after a ClientHello without
 * HelloRetryRequest): its Finished under the client handshake keys, over
 * the transcript up to the server's Finished (RFC 8446 §4.4.4), from the
 * server's key log and the messages on the wire.
 */
async function finishAsClient(p: Probe, crypto: CryptoProvider): Promise<void> {
  const suite = suiteById(crypto, 0x1301)!;
  const secret = loggedSecret(p.keyLog, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
  assert.ok(secret);
  const hello = records(p.sentBy("client")).find((r) => r.type === T.handshake)!;
  const flight = await messagesSentBy(p, "server");
  assert.equal(flight.at(-1)?.type, HandshakeType.finished);
  const transcript = suite.hash.digest(concat(hello.fragment, ...flight.map((m) => m.raw)));
  const verifyData = new KeySchedule(suite).finishedVerifyData(secret, transcript);
  const seal = await sealerFor(p, "client");
  await p.feed(await seal(T.handshake, frameHandshake(HandshakeType.finished, verifyData)));
}

/** Sends one line of application data as the client; the server must receive it. */
async function dataGetsThrough(p: Probe): Promise<void> {
  const seal = await sealerFor(p, "client");
  await p.feed(await seal(T.application_data, new TextEncoder().encode("after 0-RTT\n")));
  assert.equal(p.error, undefined, `${p.error}`);
  const data = p.conn.takeEvents().flatMap((e) => e.type === "data" ? [e.data] : []);
  assert.equal(new TextDecoder().decode(data[0]), "after 0-RTT\n");
}

/**
 * A server that takes only P-256 answers an x25519 share that offers early
 * data with a HelloRetryRequest; returns it and the second ClientHello the
 * client would send (no early_data, its cookie, a P-256 share).
 */
async function afterHelloRetry(
  config: ServerConfig,
): Promise<{ p: Probe; second: Uint8Array }> {
  const p = Probe.server({ ...config, groups: [NamedGroup.secp256r1] });
  const first = await earlyHello();
  await p.feed(clientHelloRecord(first));
  const hrr = decodeServerHello(messages(records(p.takeSent())[0].fragment)[0].body);
  assert.ok(isHelloRetryRequest(hrr));
  const cookie = decodeCookie(findExtension(hrr.extensions, X.cookie)!);
  const share = await groupOf(config.crypto!, NamedGroup.secp256r1).start();
  let second = withExtension(
    first,
    X.key_share,
    encodeClientKeyShares([{ group: NamedGroup.secp256r1, keyExchange: share.share }]),
  );
  second = withExtension(second, X.early_data);
  second = withExtension(second, X.cookie, encodeCookie(cookie));
  return { p, second: clientHelloRecord(second) };
}

/** The group of the server's ServerHello, and whether it was a HelloRetryRequest. */
function serverHelloOf(p: Probe): { hrr: boolean; group: string } {
  const sh = decodeServerHello(messages(records(p.sent)[0].fragment)[0].body);
  const share = findExtension(sh.extensions, X.key_share)!;
  return { hrr: isHelloRetryRequest(sh), group: NamedGroup.name((share[0] << 8) | share[1]) };
}

for (const crypto of PROVIDERS) {
  const config = await serverConfigFor(set, { crypto });

  // --- RFC 8446 §4.2.10: early data the server declines ---

  Deno.test(`early data: without HelloRetryRequest, records that do not open under the handshake keys are skipped [${crypto.name}]`, async () => {
    for (const trace of [false, true]) {
      const p = Probe.server(config, { trace });
      const ccs = record(T.change_cipher_spec, Uint8Array.of(1));
      await p.feed(clientHelloRecord(await earlyHello()), ccs, earlyRecord(1000), earlyRecord(17));
      assert.equal(p.error, undefined, `${p.error}`);
      // The server's flight does not accept early data: no early_data in EncryptedExtensions.
      const ee = (await messagesSentBy(p, "server"))[1];
      assert.equal(ee.type, HandshakeType.encrypted_extensions);
      assert.equal(findExtension(decodeEncryptedExtensions(ee.body), X.early_data), undefined);
      await p.feed(earlyRecord(5000));
      if (trace) {
        const skipped = p.trace.flatMap((e) => e.kind === "early_data_skipped" ? [e.bytes] : []);
        assert.deepEqual(
          skipped,
          [1005, 22, 5005],
          "each skipped record is traced, header included",
        );
      }
      await finishAsClient(p, crypto);
      assert.equal(p.error, undefined, `${p.error}`);
      assert.equal(p.conn.handshakeInfo?.helloRetry, false);
      await dataGetsThrough(p);
    }
  });

  Deno.test(`early data: skipped up to the limit; one byte more is bad_record_mac [${crypto.name}]`, async () => {
    const max = MAX_SKIPPED_EARLY_DATA;
    assert.equal(max, 16384 + 256);
    const ok = Probe.server(config);
    await ok.feed(clientHelloRecord(await earlyHello()), earlyRecord(max - 22), earlyRecord(22));
    assert.equal(ok.error, undefined, `${ok.error}`); // exactly the limit
    await finishAsClient(ok, crypto);
    await dataGetsThrough(ok);

    const over = Probe.server(config);
    await over.feed(
      clientHelloRecord(await earlyHello()),
      earlyRecord(max - 100),
      earlyRecord(101),
    );
    await assertAlert(
      over,
      A.bad_record_mac,
      /past the 16640 bytes of declined early data skipped/,
    );
  });

  Deno.test(`early data: a client that did not offer it gets bad_record_mac for an undecryptable record [${crypto.name}]`, async () => {
    const p = Probe.server(config);
    await p.feed(clientHelloRecord(await validClientHello()), earlyRecord(100));
    await assertAlert(
      p,
      A.bad_record_mac,
      "bad_record_mac",
      /under the handshake keys/,
    );
  });

  Deno.test(`early data: once a record has opened, the next that does not is bad_record_mac [${crypto.name}]`, async () => {
    const p = Probe.server(config);
    await p.feed(clientHelloRecord(await earlyHello()), earlyRecord(100));
    const seal = await sealerFor(p, "client");
    // The client's second flight begins: a record that opens (the first bytes of its Finished).
    await p.feed(await seal(T.handshake, Uint8Array.of(HandshakeType.finished, 0)));
    assert.equal(p.error, undefined, `${p.error}`);
    await p.feed(earlyRecord(100));
    await assertAlert(p, A.bad_record_mac, "bad_record_mac");
  });

  Deno.test(`early data: a plaintext record among it is still unexpected_message [${crypto.name}]`, async () => {
    const p = Probe.server(config);
    await p.feed(
      clientHelloRecord(await earlyHello()),
      earlyRecord(100),
      record(T.handshake, frameHandshake(HandshakeType.finished, new Uint8Array(32))),
    );
    await assertAlert(
      p,
      A.unexpected_message,
      "plaintext_after_encryption",
    );
  });

  Deno.test(`early data: after a HelloRetryRequest, application_data records are skipped until the second ClientHello [${crypto.name}]`, async () => {
    const { p, second } = await afterHelloRetry(config);
    const ccs = record(T.change_cipher_spec, Uint8Array.of(1));
    await p.feed(ccs, earlyRecord(3000), earlyRecord(40), second);
    assert.equal(p.error, undefined, `${p.error}`);
    const flight = records(p.takeSent());
    assert.equal(messages(flight[0].fragment)[0].type, HandshakeType.server_hello);
    // After the second ClientHello nothing is skipped any more.
    await p.feed(earlyRecord(100));
    await assertAlert(p, A.bad_record_mac, "bad_record_mac");
  });

  Deno.test(`early data: after a HelloRetryRequest, past the limit is unexpected_message [${crypto.name}]`, async () => {
    const { p } = await afterHelloRetry(config);
    await p.feed(earlyRecord(MAX_SKIPPED_EARLY_DATA - 10), earlyRecord(10));
    assert.equal(p.error, undefined, `${p.error}`);
    await p.feed(earlyRecord(1));
    await assertAlert(
      p,
      A.unexpected_message,
      "application_data_before_finished",
      /, past the/,
    );
  });

  Deno.test(`early data: after a HelloRetryRequest, a client that did not offer it is refused at once [${crypto.name}]`, async () => {
    const p = Probe.server({ ...config, groups: [NamedGroup.secp256r1] });
    await p.feed(clientHelloRecord(await validClientHello()), earlyRecord(40));
    await assertAlert(
      p,
      A.unexpected_message,
      "application_data_before_finished",
      /complete$/,
    );
  });

  // --- RFC 8446 Appendix D.5: legacy_version ---

  for (const version of [0x0300, 0x0200, 0x0000]) {
    const hex = version.toString(16).padStart(4, "0");
    Deno.test(`legacy_version 0x${hex} is protocol_version, though supported_versions offers TLS 1.3 [${crypto.name}]`, async () => {
      const p = Probe.server(config);
      await p.feed(clientHelloRecord({ ...await validClientHello(), legacyVersion: version }));
      await assertAlert(
        p,
        A.protocol_version,
        "legacy_version_too_old",
      );
    });
  }

  Deno.test(`legacy_version 0x0301 (TLS 1.0) with supported_versions TLS 1.3 is accepted [${crypto.name}]`, async () => {
    const p = Probe.server(config);
    await p.feed(clientHelloRecord({ ...await validClientHello(), legacyVersion: 0x0301 }));
    assert.equal(p.error, undefined, `${p.error}`);
    assert.equal(records(p.sent)[0].fragment[0], HandshakeType.server_hello);
  });

  // --- RFC 8446 §5.4: an alert with no content ---

  Deno.test(`an encrypted alert with an empty body is unexpected_message, padded or not [${crypto.name}]`, async () => {
    for (const padding of [0, 7]) {
      const { server } = await established(config);
      const seal = await sealerFor(server, "client");
      await server.feed(await seal(T.alert, EMPTY, padding));
      await assertAlert(server, A.unexpected_message, "empty_alert_record");
    }
  });

  Deno.test(`an encrypted alert of one byte is still decode_error [${crypto.name}]`, async () => {
    const { server } = await established(config);
    const seal = await sealerFor(server, "client");
    await server.feed(await seal(T.alert, Uint8Array.of(2)));
    await assertAlert(server, A.decode_error, "alert_record_wrong_length");
  });

  Deno.test(`an encrypted empty alert during the handshake is unexpected_message [${crypto.name}]`, async () => {
    const p = Probe.server(config);
    await p.feed(clientHelloRecord(await validClientHello()));
    const seal = await sealerFor(p, "client");
    await p.feed(await seal(T.alert, EMPTY));
    await assertAlert(p, A.unexpected_message, "empty_alert_record");
  });

  // --- RFC 8446 §4.2.8: no needless HelloRetryRequest ---

  Deno.test(`key share: a P-256 share while listing x25519 is used, with no HelloRetryRequest [${crypto.name}]`, async () => {
    const ch = await validClientHello();
    const p256 = await groupOf(crypto, NamedGroup.secp256r1).start();
    const hello = withExtension(
      ch,
      X.key_share,
      encodeClientKeyShares([{ group: NamedGroup.secp256r1, keyExchange: p256.share }]),
    );
    const p = Probe.server({ ...config, groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
    await p.feed(clientHelloRecord(hello));
    assert.equal(p.error, undefined, `${p.error}`);
    assert.deepEqual(serverHelloOf(p), { hrr: false, group: "secp256r1" });
  });

  Deno.test(`key share: among several shares, the server's preference wins [${crypto.name}]`, async () => {
    const ch = await validClientHello();
    const [a, b] = await Promise.all([
      groupOf(crypto, NamedGroup.secp256r1).start(),
      groupOf(crypto, NamedGroup.x25519).start(),
    ]);
    const hello = withExtension(
      ch,
      X.key_share,
      encodeClientKeyShares([
        { group: NamedGroup.secp256r1, keyExchange: a.share },
        { group: NamedGroup.x25519, keyExchange: b.share },
      ]),
    );
    for (
      const [groups, want] of [
        [[NamedGroup.x25519, NamedGroup.secp256r1], "x25519"],
        [[NamedGroup.secp256r1, NamedGroup.x25519], "secp256r1"],
        [[NamedGroup.secp384r1, NamedGroup.x25519], "x25519"],
      ] as const
    ) {
      const p = Probe.server({ ...config, groups });
      await p.feed(clientHelloRecord(hello));
      assert.deepEqual(serverHelloOf(p), { hrr: false, group: want }, `server groups ${groups}`);
    }
  });

  Deno.test(`key share: HelloRetryRequest only when no share is for a group the server takes [${crypto.name}]`, async () => {
    const p = Probe.server({ ...config, groups: [NamedGroup.secp256r1, NamedGroup.secp384r1] });
    await p.feed(clientHelloRecord(await validClientHello())); // x25519 share; lists x25519, P-256
    assert.equal(p.error, undefined, `${p.error}`);
    assert.deepEqual(serverHelloOf(p), { hrr: true, group: "secp256r1" });
  });
}
