/**
 * RFC 8448 §4, "Resumed 0-RTT Handshake": our PSK key schedule (early secret
 * from the ticket's PSK, binder, early traffic secret, handshake and
 * application secrets, resumption secret), the pre_shared_key codec, and
 * every record of the trace opened and sealed again byte for byte, in both
 * directions, each under the keys our schedule derives.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as R from "./vectors/rfc8448_resumed.ts";
import * as V from "./vectors/rfc8448.ts";
import { body, messages, records } from "./vectors/wire.ts";
import { CipherSuite, ContentType, ExtensionType, HandshakeType } from "../lib/codepoints.ts";
import { RecordCipher, trafficKeys } from "../lib/crypto/aead.ts";
import { KeySchedule, type SecretName } from "../lib/crypto/key_schedule.ts";
import { suiteById } from "../lib/crypto/suites.ts";
import { findExtension } from "../lib/handshake/extensions.ts";
import {
  bindersLength,
  decodeMaxEarlyData,
  decodeOfferedPsks,
  decodePskModes,
  decodeSelectedIdentity,
  encodeOfferedPsks,
  PskKeyExchangeMode,
} from "../lib/handshake/psk_extensions.ts";
import {
  decodeClientHello,
  decodeEncryptedExtensions,
  decodeNewSessionTicket,
  decodeServerHello,
  encodeNewSessionTicket,
  frameHandshake,
} from "../lib/handshake/messages.ts";
import { Transcript } from "../lib/handshake/transcript.ts";
import { Direction, openRecord, sealRecords } from "../lib/record/record_layer.ts";
import { PROVIDERS, x25519FromPrivate } from "./helpers/providers.ts";

const CLIENT_HELLO = R.CLIENT_HELLO_RECORD.subarray(5);
const SERVER_HELLO = R.SERVER_HELLO_RECORD.subarray(5);

for (const provider of PROVIDERS) {
  const SHA256 = provider.hashes["SHA-256"];
  const SUITE = suiteById(provider, CipherSuite.TLS_AES_128_GCM_SHA256)!;
  const hashOf = (...msgs: Uint8Array[]) => {
    const t = new Transcript();
    t.useHash(SHA256);
    for (const m of msgs) t.add(m, "client");
    return t.hash();
  };

  /** A schedule that records what it derives, keyed from §3's resumption PSK. */
  const resumedSchedule = () => {
    const seen = new Map<SecretName, string>();
    const ks = new KeySchedule(SUITE, (name, value) => seen.set(name, value.toHex()));
    ks.usePsk(V.RESUMPTION_PSK);
    return { ks, seen };
  };

  /**
   * Opens the one record in `record` as sequence number `seq` under `secret`,
   * then seals what it holds again under the same keys and checks that this
   * gives the trace's record byte for byte. Returns the content and its type.
   */
  const roundTrip = async (secret: Uint8Array, seq: number, record: Uint8Array) => {
    const [rec] = records(record);
    const dir = new Direction();
    dir.set(await RecordCipher.fromSecret(SUITE, secret), secret, "application");
    dir.cipher!.seq = seq;
    const opened = await openRecord(dir, rec);
    const out = new Direction();
    out.set(await RecordCipher.fromSecret(SUITE, secret), secret, "application");
    out.cipher!.seq = seq;
    const sealed = await sealRecords(out, opened.type, opened.content);
    assert.equal(sealed.length, 1);
    assert.equal(sealed[0].toHex(), record.toHex());
    return opened;
  };

  Deno.test(`RFC 8448 §4: the ClientHello offers §3's ticket with psk_dhe_ke and early data [${provider.name}]`, () => {
    const ch = decodeClientHello(body(CLIENT_HELLO, HandshakeType.client_hello));
    const last = ch.extensions[ch.extensions.length - 1];
    assert.equal(last.type, ExtensionType.pre_shared_key);
    const offered = decodeOfferedPsks(last.data);
    assert.equal(encodeOfferedPsks(offered).toHex(), last.data.toHex());
    assert.equal(offered.identities.length, 1);
    const nst = decodeNewSessionTicket(
      body(V.NEW_SESSION_TICKET, HandshakeType.new_session_ticket),
    );
    assert.equal(encodeNewSessionTicket(nst).toHex(), V.NEW_SESSION_TICKET.subarray(4).toHex());
    assert.equal(offered.identities[0].identity.toHex(), nst.ticket.toHex());
    // RFC 8446 §4.2.11.1: obfuscated_ticket_age = age in ms + ticket_age_add (mod 2^32).
    const age = (offered.identities[0].obfuscatedTicketAge - nst.ageAdd) >>> 0;
    assert.ok(age < nst.lifetime * 1000, `ticket age ${age} ms`);
    assert.equal(offered.binders[0].toHex(), R.BINDER.toHex());
    assert.deepEqual(
      decodePskModes(findExtension(ch.extensions, ExtensionType.psk_key_exchange_modes)!),
      [PskKeyExchangeMode.psk_dhe_ke],
    );
    assert.equal(findExtension(ch.extensions, ExtensionType.early_data)!.length, 0);
    assert.equal(decodeMaxEarlyData(nst.extensions[0].data), 1024);
  });

  Deno.test(`RFC 8448 §4: early secret, binder key and binder from the ticket's PSK [${provider.name}]`, () => {
    const { ks, seen } = resumedSchedule();
    assert.equal(seen.get("early_secret"), R.EARLY_SECRET.toHex());
    const truncated = CLIENT_HELLO.subarray(0, CLIENT_HELLO.length - bindersLength([R.BINDER]));
    assert.equal(hashOf(truncated).toHex(), R.BINDER_HASH.toHex());
    assert.equal(ks.binder("resumption", R.BINDER_HASH).toHex(), R.BINDER.toHex());
    assert.equal(seen.get("binder_key"), R.BINDER_KEY.toHex());
    // The binder's finished key, on its own.
    const finishedKey = SHA256.hkdfExpand(
      R.BINDER_KEY,
      Uint8Array.fromHex("00200e746c7331332066696e697368656400"),
      32,
    );
    assert.equal(finishedKey.toHex(), R.BINDER_FINISHED_KEY.toHex());
    // An external PSK uses another label, hence another binder.
    assert.notEqual(ks.binder("external", R.BINDER_HASH).toHex(), R.BINDER.toHex());
  });

  Deno.test(`RFC 8448 §4: 0-RTT keys, and the early data and EndOfEarlyData records byte for byte [${provider.name}]`, async () => {
    const { ks, seen } = resumedSchedule();
    const early = ks.earlyTrafficSecret(hashOf(CLIENT_HELLO));
    assert.equal(early.toHex(), R.CLIENT_EARLY_TRAFFIC_SECRET.toHex());
    assert.equal(seen.get("early_exporter_master_secret"), R.EARLY_EXPORTER_MASTER_SECRET.toHex());
    const { key, iv } = trafficKeys(SUITE, early);
    assert.equal(key.toHex(), R.CLIENT_EARLY_KEY.toHex());
    assert.equal(iv.toHex(), R.CLIENT_EARLY_IV.toHex());
    const data = await roundTrip(early, 0, R.EARLY_DATA_RECORD);
    assert.equal(data.type, ContentType.application_data);
    assert.equal(new TextDecoder().decode(data.content), "ABCDEF");
    const eoed = await roundTrip(early, 1, R.END_OF_EARLY_DATA_RECORD);
    assert.equal(eoed.type, ContentType.handshake);
    assert.equal(
      eoed.content.toHex(),
      frameHandshake(HandshakeType.end_of_early_data, new Uint8Array()).toHex(),
    );
  });

  Deno.test(`RFC 8448 §4: the resumed handshake, every secret and record byte for byte, both directions [${provider.name}]`, async () => {
    const sh = decodeServerHello(body(SERVER_HELLO, HandshakeType.server_hello));
    assert.equal(
      decodeSelectedIdentity(findExtension(sh.extensions, ExtensionType.pre_shared_key)!),
      0,
    );
    const client = await x25519FromPrivate(provider, R.CLIENT_PRIVATE, R.CLIENT_PUBLIC);
    const server = await x25519FromPrivate(provider, R.SERVER_PRIVATE, R.SERVER_PUBLIC);
    const shared = await client.complete(R.SERVER_PUBLIC);
    assert.equal((await server.complete(R.CLIENT_PUBLIC)).toHex(), shared.toHex());

    const { ks, seen } = resumedSchedule();
    const early = ks.earlyTrafficSecret(hashOf(CLIENT_HELLO));
    const hs = ks.handshakeSecrets(shared, hashOf(CLIENT_HELLO, SERVER_HELLO));
    assert.equal(seen.get("handshake_secret"), R.HANDSHAKE_SECRET.toHex());
    assert.equal(hs.client.toHex(), R.CLIENT_HANDSHAKE_TRAFFIC_SECRET.toHex());
    assert.equal(hs.server.toHex(), R.SERVER_HANDSHAKE_TRAFFIC_SECRET.toHex());
    const sKeys = trafficKeys(SUITE, hs.server);
    assert.equal(sKeys.key.toHex(), R.SERVER_HANDSHAKE_KEY.toHex());
    assert.equal(sKeys.iv.toHex(), R.SERVER_HANDSHAKE_IV.toHex());

    // The server's flight: EncryptedExtensions (accepting early data) and Finished, no certificate.
    const flight = await roundTrip(hs.server, 0, R.SERVER_FLIGHT_RECORD);
    const [ee, fin, ...rest] = messages(flight.content);
    assert.equal(rest.length, 0);
    assert.equal(ee.type, HandshakeType.encrypted_extensions);
    const eeExts = decodeEncryptedExtensions(ee.body);
    assert.equal(findExtension(eeExts, ExtensionType.early_data)!.length, 0);
    assert.equal(fin.type, HandshakeType.finished);
    assert.equal(
      fin.body.toHex(),
      ks.finishedVerifyData(hs.server, hashOf(CLIENT_HELLO, SERVER_HELLO, ee.raw)).toHex(),
    );

    const app = ks.applicationSecrets(hashOf(CLIENT_HELLO, SERVER_HELLO, ee.raw, fin.raw));
    assert.equal(app.client.toHex(), R.CLIENT_APPLICATION_TRAFFIC_SECRET.toHex());
    assert.equal(app.server.toHex(), R.SERVER_APPLICATION_TRAFFIC_SECRET.toHex());
    assert.equal(seen.get("exporter_master_secret"), R.EXPORTER_MASTER_SECRET.toHex());
    const aKeys = trafficKeys(SUITE, app.server);
    assert.equal(aKeys.key.toHex(), R.SERVER_APPLICATION_KEY.toHex());
    assert.equal(aKeys.iv.toHex(), R.SERVER_APPLICATION_IV.toHex());

    // The client's EndOfEarlyData (early keys) and Finished (handshake keys).
    const eoed = (await roundTrip(early, 1, R.END_OF_EARLY_DATA_RECORD)).content;
    const cfin = await roundTrip(hs.client, 0, R.CLIENT_FINISHED_RECORD);
    const [cf] = messages(cfin.content);
    assert.equal(
      cf.body.toHex(),
      ks.finishedVerifyData(hs.client, hashOf(CLIENT_HELLO, SERVER_HELLO, ee.raw, fin.raw, eoed))
        .toHex(),
    );
    // RFC 8446 §7.1: the resumption secret hashes through the client Finished (EndOfEarlyData included).
    const rms = ks.resumptionMasterSecret(
      hashOf(CLIENT_HELLO, SERVER_HELLO, ee.raw, fin.raw, eoed, cf.raw),
    );
    assert.equal(seen.get("resumption_master_secret"), rms.toHex());
    assert.equal(
      ks.ticketPsk(V.RESUMPTION_MASTER_SECRET, new Uint8Array(2)).toHex(),
      V.RESUMPTION_PSK.toHex(),
    );

    // Application data and close_notify, both ways.
    const c = await roundTrip(app.client, 0, R.CLIENT_APPLICATION_RECORD);
    assert.equal(c.content.toHex(), V.APPLICATION_DATA.toHex());
    const s = await roundTrip(app.server, 0, R.SERVER_APPLICATION_RECORD);
    assert.equal(s.content.toHex(), V.APPLICATION_DATA.toHex());
    assert.equal((await roundTrip(app.client, 1, R.CLIENT_ALERT_RECORD)).content.toHex(), "0100");
    assert.equal((await roundTrip(app.server, 1, R.SERVER_ALERT_RECORD)).content.toHex(), "0100");
  });
}
