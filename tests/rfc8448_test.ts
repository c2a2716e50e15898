/**
 * RFC 8448 §3, "Simple 1-RTT Handshake": our key schedule, Finished
 * computation, record protection and message codecs against the published
 * trace, then our server engine fed the trace's ClientHello.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as V from "./vectors/rfc8448.ts";
import { cat } from "./vectors/hex.ts";
import { body, messages, records } from "./vectors/wire.ts";
import {
  CipherSuite,
  ContentType,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  SignatureScheme,
} from "../lib/codepoints.ts";
import { Connection, type ConnectionEvent } from "../lib/connection.ts";
import type { ServerConfig } from "../lib/config.ts";
import { RecordCipher, trafficKeys } from "../lib/crypto/aead.ts";
import { deriveSecret, hkdfExpandLabel } from "../lib/crypto/hkdf.ts";
import { KeySchedule, type SecretName } from "../lib/crypto/key_schedule.ts";
import { verifySignature } from "../lib/crypto/signature.ts";
import { suiteById } from "../lib/crypto/suites.ts";
import {
  decodeClientKeyShares,
  decodeClientVersions,
  decodeSelectedVersion,
  decodeServerKeyShare,
  decodeServerName,
  decodeU16List,
  type Extension,
  findExtension,
} from "../lib/handshake/extensions.ts";
import { certificateVerifyContent } from "../lib/handshake/io.ts";
import {
  decodeCertificate,
  decodeCertificateVerify,
  decodeClientHello,
  decodeEncryptedExtensions,
  decodeFinished,
  decodeNewSessionTicket,
  decodeServerHello,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeServerHello,
  frameHandshake,
} from "../lib/handshake/messages.ts";
import { Transcript } from "../lib/handshake/transcript.ts";
import { PROVIDERS, x25519FromPrivate } from "./helpers/providers.ts";
import { Direction, openRecord, sealRecords } from "../lib/record/record_layer.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { leafPublicKey } from "../lib/x509/leaf.ts";

const EMPTY = new Uint8Array(0);

for (const provider of PROVIDERS) {
  const SHA256 = provider.hashes["SHA-256"];
  const SUITE = suiteById(provider, CipherSuite.TLS_AES_128_GCM_SHA256)!;

  /** Transcript-Hash (SHA-256) of `messages`, through our Transcript. */
  const transcriptHash = (...messages: Uint8Array[]): Uint8Array => {
    const t = new Transcript();
    t.useHash(SHA256);
    for (const m of messages) t.add(m, m[0] === 1 ? "client" : "server");
    return t.hash();
  };

  /** A sending or receiving direction keyed from a traffic secret. */
  const direction = async (secret: Uint8Array): Promise<Direction> => {
    const dir = new Direction();
    dir.set(await RecordCipher.fromSecret(SUITE, secret), secret, "handshake");
    return dir;
  };

  /** Seals `content` as the `seq`-th record under `secret` and checks it is one record. */
  const seal = async (
    secret: Uint8Array,
    seq: number,
    type: number,
    content: Uint8Array,
  ): Promise<Uint8Array> => {
    const dir = await direction(secret);
    dir.cipher!.seq = seq;
    const out = await sealRecords(dir, type, content);
    assert.equal(out.length, 1);
    return out[0];
  };

  /** Opens the one record in `record` as the `seq`-th record under `secret`. */
  const open = async (secret: Uint8Array, seq: number, record: Uint8Array) => {
    const dir = await direction(secret);
    dir.cipher!.seq = seq;
    const [rec] = records(record);
    return await openRecord(dir, rec);
  };

  // --- key exchange and key schedule ---

  Deno.test(`RFC 8448 §3: x25519 with the trace's keys gives the trace's shared secret [${provider.name}]`, async () => {
    const server = await x25519FromPrivate(provider, V.SERVER_PRIVATE, V.SERVER_PUBLIC);
    const client = await x25519FromPrivate(provider, V.CLIENT_PRIVATE, V.CLIENT_PUBLIC);
    assert.equal((await server.complete(V.CLIENT_PUBLIC)).toHex(), V.SHARED_SECRET.toHex());
    assert.equal((await client.complete(V.SERVER_PUBLIC)).toHex(), V.SHARED_SECRET.toHex());
  });

  Deno.test(`RFC 8448 §3: transcript hashes of the listed messages [${provider.name}]`, async () => {
    assert.equal(
      (await transcriptHash(V.CLIENT_HELLO, V.SERVER_HELLO)).toHex(),
      V.HELLO_HASH.toHex(),
    );
    const toServerFinished = [
      V.CLIENT_HELLO,
      V.SERVER_HELLO,
      V.ENCRYPTED_EXTENSIONS,
      V.CERTIFICATE,
      V.CERTIFICATE_VERIFY,
      V.SERVER_FINISHED,
    ];
    assert.equal(
      (await transcriptHash(...toServerFinished)).toHex(),
      V.SERVER_FINISHED_HASH.toHex(),
    );
    assert.equal(
      (await transcriptHash(...toServerFinished, V.CLIENT_FINISHED)).toHex(),
      V.CLIENT_FINISHED_HASH.toHex(),
    );
  });

  Deno.test(`RFC 8448 §3: the key schedule reproduces every secret [${provider.name}]`, async () => {
    const seen = new Map<SecretName, string>();
    const schedule = new KeySchedule(SUITE, (name, value) => seen.set(name, value.toHex()));

    const hs = await schedule.handshakeSecrets(V.SHARED_SECRET, V.HELLO_HASH);
    assert.equal(seen.get("early_secret"), V.EARLY_SECRET.toHex());
    assert.equal(seen.get("handshake_secret"), V.HANDSHAKE_SECRET.toHex());
    assert.equal(
      seen.get("client_handshake_traffic_secret"),
      V.CLIENT_HANDSHAKE_TRAFFIC_SECRET.toHex(),
    );
    assert.equal(
      seen.get("server_handshake_traffic_secret"),
      V.SERVER_HANDSHAKE_TRAFFIC_SECRET.toHex(),
    );
    assert.equal(hs.client.toHex(), V.CLIENT_HANDSHAKE_TRAFFIC_SECRET.toHex());
    assert.equal(hs.server.toHex(), V.SERVER_HANDSHAKE_TRAFFIC_SECRET.toHex());

    const ap = await schedule.applicationSecrets(V.SERVER_FINISHED_HASH);
    assert.equal(seen.get("master_secret"), V.MASTER_SECRET.toHex());
    assert.equal(
      seen.get("client_application_traffic_secret_0"),
      V.CLIENT_APPLICATION_TRAFFIC_SECRET.toHex(),
    );
    assert.equal(
      seen.get("server_application_traffic_secret_0"),
      V.SERVER_APPLICATION_TRAFFIC_SECRET.toHex(),
    );
    assert.equal(seen.get("exporter_master_secret"), V.EXPORTER_MASTER_SECRET.toHex());
    assert.equal(ap.client.toHex(), V.CLIENT_APPLICATION_TRAFFIC_SECRET.toHex());
    assert.equal(ap.server.toHex(), V.SERVER_APPLICATION_TRAFFIC_SECRET.toHex());
    assert.equal(seen.size, 8);
  });

  Deno.test(`RFC 8448 §3: each HKDF step on its own (extract, derived, res master, resumption) [${provider.name}]`, async () => {
    const emptyHash = await SHA256.digest(EMPTY);
    const early = await SHA256.hkdfExtract(EMPTY, new Uint8Array(32));
    assert.equal(early.toHex(), V.EARLY_SECRET.toHex());
    const derived = await deriveSecret(SHA256, early, "derived", emptyHash);
    assert.equal(derived.toHex(), V.DERIVED_FOR_HANDSHAKE.toHex());
    const handshake = await SHA256.hkdfExtract(derived, V.SHARED_SECRET);
    assert.equal(handshake.toHex(), V.HANDSHAKE_SECRET.toHex());
    assert.equal(
      (await deriveSecret(SHA256, handshake, "c hs traffic", V.HELLO_HASH)).toHex(),
      V.CLIENT_HANDSHAKE_TRAFFIC_SECRET.toHex(),
    );
    const derived2 = await deriveSecret(SHA256, handshake, "derived", emptyHash);
    assert.equal(derived2.toHex(), V.DERIVED_FOR_MASTER.toHex());
    const master = await SHA256.hkdfExtract(derived2, new Uint8Array(32));
    assert.equal(master.toHex(), V.MASTER_SECRET.toHex());
    // RFC 8446 §7.1: resumption_master_secret; §4.6.1: the PSK of a ticket.
    const res = await deriveSecret(SHA256, master, "res master", V.CLIENT_FINISHED_HASH);
    assert.equal(res.toHex(), V.RESUMPTION_MASTER_SECRET.toHex());
    const psk = await hkdfExpandLabel(SHA256, res, "resumption", new Uint8Array(2), 32);
    assert.equal(psk.toHex(), V.RESUMPTION_PSK.toHex());
  });

  Deno.test(`RFC 8448 §3: write keys and IVs of both directions, both epochs [${provider.name}]`, async () => {
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
      [V.SERVER_HANDSHAKE_TRAFFIC_SECRET, V.SERVER_HANDSHAKE_KEY, V.SERVER_HANDSHAKE_IV],
      [V.CLIENT_HANDSHAKE_TRAFFIC_SECRET, V.CLIENT_HANDSHAKE_KEY, V.CLIENT_HANDSHAKE_IV],
      [V.SERVER_APPLICATION_TRAFFIC_SECRET, V.SERVER_APPLICATION_KEY, V.SERVER_APPLICATION_IV],
      [V.CLIENT_APPLICATION_TRAFFIC_SECRET, V.CLIENT_APPLICATION_KEY, V.CLIENT_APPLICATION_IV],
    ];
    for (const [secret, key, iv] of cases) {
      const k = await trafficKeys(SUITE, secret);
      assert.equal(k.key.toHex(), key.toHex());
      assert.equal(k.iv.toHex(), iv.toHex());
    }
  });

  Deno.test(`RFC 8448 §3: finished keys and both Finished verify_data [${provider.name}]`, async () => {
    const schedule = new KeySchedule(SUITE);
    const fk = (secret: Uint8Array) => hkdfExpandLabel(SHA256, secret, "finished", EMPTY, 32);
    assert.equal(
      (await fk(V.SERVER_HANDSHAKE_TRAFFIC_SECRET)).toHex(),
      V.SERVER_FINISHED_KEY.toHex(),
    );
    assert.equal(
      (await fk(V.CLIENT_HANDSHAKE_TRAFFIC_SECRET)).toHex(),
      V.CLIENT_FINISHED_KEY.toHex(),
    );

    const toCertificateVerify = await transcriptHash(
      V.CLIENT_HELLO,
      V.SERVER_HELLO,
      V.ENCRYPTED_EXTENSIONS,
      V.CERTIFICATE,
      V.CERTIFICATE_VERIFY,
    );
    const server = await schedule.finishedVerifyData(
      V.SERVER_HANDSHAKE_TRAFFIC_SECRET,
      toCertificateVerify,
    );
    assert.equal(
      frameHandshake(HandshakeType.finished, server).toHex(),
      V.SERVER_FINISHED.toHex(),
    );
    const client = await schedule.finishedVerifyData(
      V.CLIENT_HANDSHAKE_TRAFFIC_SECRET,
      V.SERVER_FINISHED_HASH,
    );
    assert.equal(
      frameHandshake(HandshakeType.finished, client).toHex(),
      V.CLIENT_FINISHED.toHex(),
    );
  });

  // --- record protection ---

  Deno.test(`RFC 8448 §3: the ServerHello record, framed in the clear byte for byte [${provider.name}]`, async () => {
    const [rec] = await sealRecords(new Direction(), ContentType.handshake, V.SERVER_HELLO);
    assert.equal(rec.toHex(), cat(V.SERVER_HELLO_RECORD_HEADER, V.SERVER_HELLO).toHex());
    // The ClientHello record is 16 03 01 ...: RFC 8446 §5.1 lets an initial
    // ClientHello say 0x0301; we always write 0x0303, which it also allows.
    const [ch] = records(cat(V.CLIENT_HELLO_RECORD_HEADER, V.CLIENT_HELLO));
    assert.equal(ch.version, 0x0301);
    const opened = await openRecord(new Direction(), ch);
    assert.equal(opened.encrypted, false);
    assert.equal(opened.content.toHex(), V.CLIENT_HELLO.toHex());
  });

  Deno.test(`RFC 8448 §3: the server's encrypted flight, sealed and opened byte for byte [${provider.name}]`, async () => {
    const flight = cat(
      V.ENCRYPTED_EXTENSIONS,
      V.CERTIFICATE,
      V.CERTIFICATE_VERIFY,
      V.SERVER_FINISHED,
    );
    const sealed = await seal(V.SERVER_HANDSHAKE_TRAFFIC_SECRET, 0, ContentType.handshake, flight);
    assert.equal(sealed.toHex(), V.SERVER_FLIGHT_RECORD.toHex());

    const opened = await open(V.SERVER_HANDSHAKE_TRAFFIC_SECRET, 0, V.SERVER_FLIGHT_RECORD);
    assert.equal(opened.type, ContentType.handshake);
    assert.equal(opened.encrypted, true);
    assert.equal(opened.content.toHex(), flight.toHex());
    const got = messages(opened.content).map((m) => m.raw.toHex());
    assert.deepEqual(got, [
      V.ENCRYPTED_EXTENSIONS.toHex(),
      V.CERTIFICATE.toHex(),
      V.CERTIFICATE_VERIFY.toHex(),
      V.SERVER_FINISHED.toHex(),
    ]);
  });

  Deno.test(`RFC 8448 §3: the client Finished record, sealed and opened byte for byte [${provider.name}]`, async () => {
    const sealed = await seal(
      V.CLIENT_HANDSHAKE_TRAFFIC_SECRET,
      0,
      ContentType.handshake,
      V.CLIENT_FINISHED,
    );
    assert.equal(sealed.toHex(), V.CLIENT_FINISHED_RECORD.toHex());
    const opened = await open(V.CLIENT_HANDSHAKE_TRAFFIC_SECRET, 0, V.CLIENT_FINISHED_RECORD);
    assert.equal(opened.type, ContentType.handshake);
    assert.equal(opened.content.toHex(), V.CLIENT_FINISHED.toHex());
  });

  Deno.test(`RFC 8448 §3: application-epoch records (ticket, data, close_notify), both ways [${provider.name}]`, async () => {
    const closeNotify = new Uint8Array([1, 0]);
    const cases: [string, Uint8Array, number, number, Uint8Array, Uint8Array][] = [
      // server → client: NewSessionTicket, then data, then close_notify: sequence numbers 0, 1, 2.
      [
        "server ticket",
        V.SERVER_APPLICATION_TRAFFIC_SECRET,
        0,
        ContentType.handshake,
        V.NEW_SESSION_TICKET,
        V.NEW_SESSION_TICKET_RECORD,
      ],
      [
        "server data",
        V.SERVER_APPLICATION_TRAFFIC_SECRET,
        1,
        ContentType.application_data,
        V.APPLICATION_DATA,
        V.SERVER_APPLICATION_RECORD,
      ],
      [
        "server close_notify",
        V.SERVER_APPLICATION_TRAFFIC_SECRET,
        2,
        ContentType.alert,
        closeNotify,
        V.SERVER_ALERT_RECORD,
      ],
      // client → server: data, then close_notify: sequence numbers 0, 1.
      [
        "client data",
        V.CLIENT_APPLICATION_TRAFFIC_SECRET,
        0,
        ContentType.application_data,
        V.APPLICATION_DATA,
        V.CLIENT_APPLICATION_RECORD,
      ],
      [
        "client close_notify",
        V.CLIENT_APPLICATION_TRAFFIC_SECRET,
        1,
        ContentType.alert,
        closeNotify,
        V.CLIENT_ALERT_RECORD,
      ],
    ];
    for (const [what, secret, seq, type, content, record] of cases) {
      assert.equal((await seal(secret, seq, type, content)).toHex(), record.toHex(), what);
      const opened = await open(secret, seq, record);
      assert.equal(opened.type, type, what);
      assert.equal(opened.content.toHex(), content.toHex(), what);
    }
  });

  Deno.test(`RFC 8448 §3: a record opened with the wrong sequence number fails [${provider.name}]`, async () => {
    await assert.rejects(
      () => open(V.CLIENT_APPLICATION_TRAFFIC_SECRET, 1, V.CLIENT_APPLICATION_RECORD),
      /bad_record_mac/,
    );
  });

  // --- message codecs ---

  Deno.test(`RFC 8448 §3: ClientHello decodes, and re-encodes identically [${provider.name}]`, () => {
    const ch = decodeClientHello(body(V.CLIENT_HELLO, HandshakeType.client_hello));
    assert.equal(ch.legacyVersion, 0x0303);
    assert.equal(ch.random.toHex(), V.CLIENT_HELLO.subarray(6, 38).toHex());
    assert.equal(ch.legacySessionId.length, 0);
    assert.deepEqual(ch.cipherSuites, [0x1301, 0x1303, 0x1302]);
    assert.deepEqual(
      ch.extensions.map((e) => e.type),
      [
        ExtensionType.server_name,
        0xff01, // renegotiation_info
        ExtensionType.supported_groups,
        ExtensionType.session_ticket,
        ExtensionType.key_share,
        ExtensionType.supported_versions,
        ExtensionType.signature_algorithms,
        ExtensionType.psk_key_exchange_modes,
        ExtensionType.record_size_limit,
      ],
    );
    const ext = (t: number) => findExtension(ch.extensions, t)!;
    assert.equal(decodeServerName(ext(ExtensionType.server_name)), "server");
    assert.deepEqual(
      decodeU16List(ext(ExtensionType.supported_groups), ExtensionType.supported_groups),
      [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104],
    );
    const shares = decodeClientKeyShares(ext(ExtensionType.key_share));
    assert.equal(shares.length, 1);
    assert.equal(shares[0].group, NamedGroup.x25519);
    assert.equal(shares[0].keyExchange.toHex(), V.CLIENT_PUBLIC.toHex());
    assert.deepEqual(decodeClientVersions(ext(ExtensionType.supported_versions)), [0x0304]);
    assert.ok(
      decodeU16List(ext(ExtensionType.signature_algorithms), ExtensionType.signature_algorithms)
        .includes(SignatureScheme.rsa_pss_rsae_sha256),
    );
    assert.equal(
      frameHandshake(HandshakeType.client_hello, encodeClientHello(ch)).toHex(),
      V.CLIENT_HELLO.toHex(),
    );
  });

  Deno.test(`RFC 8448 §3: ServerHello decodes, and re-encodes identically [${provider.name}]`, () => {
    const sh = decodeServerHello(body(V.SERVER_HELLO, HandshakeType.server_hello));
    assert.equal(sh.legacyVersion, 0x0303);
    assert.equal(sh.random.toHex(), V.SERVER_HELLO.subarray(6, 38).toHex());
    assert.equal(sh.legacySessionIdEcho.length, 0);
    assert.equal(sh.cipherSuite, CipherSuite.TLS_AES_128_GCM_SHA256);
    assert.equal(sh.legacyCompressionMethod, 0);
    assert.deepEqual(sh.extensions.map((e) => e.type), [
      ExtensionType.key_share,
      ExtensionType.supported_versions,
    ]);
    const share = decodeServerKeyShare(findExtension(sh.extensions, ExtensionType.key_share)!);
    assert.equal(share.group, NamedGroup.x25519);
    assert.equal(share.keyExchange.toHex(), V.SERVER_PUBLIC.toHex());
    assert.equal(
      decodeSelectedVersion(findExtension(sh.extensions, ExtensionType.supported_versions)!),
      0x0304,
    );
    assert.equal(
      frameHandshake(HandshakeType.server_hello, encodeServerHello(sh)).toHex(),
      V.SERVER_HELLO.toHex(),
    );
  });

  Deno.test(`RFC 8448 §3: EncryptedExtensions, Certificate, CertificateVerify, Finished codecs [${provider.name}]`, () => {
    const ee = decodeEncryptedExtensions(
      body(V.ENCRYPTED_EXTENSIONS, HandshakeType.encrypted_extensions),
    );
    assert.deepEqual(ee.map((e) => e.type), [
      ExtensionType.supported_groups,
      ExtensionType.record_size_limit,
      ExtensionType.server_name,
    ]);
    assert.equal(findExtension(ee, ExtensionType.server_name)!.length, 0);
    assert.equal(
      frameHandshake(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(ee)).toHex(),
      V.ENCRYPTED_EXTENSIONS.toHex(),
    );

    const cert = decodeCertificate(body(V.CERTIFICATE, HandshakeType.certificate));
    assert.equal(cert.context.length, 0);
    assert.equal(cert.entries.length, 1);
    assert.equal(cert.entries[0].certificate.toHex(), V.SERVER_CERTIFICATE_DER.toHex());
    assert.equal(cert.entries[0].extensions.length, 0);
    assert.equal(
      frameHandshake(HandshakeType.certificate, encodeCertificate(cert)).toHex(),
      V.CERTIFICATE.toHex(),
    );

    const cv = decodeCertificateVerify(
      body(V.CERTIFICATE_VERIFY, HandshakeType.certificate_verify),
    );
    assert.equal(cv.scheme, SignatureScheme.rsa_pss_rsae_sha256);
    assert.equal(cv.signature.length, 128);
    assert.equal(
      frameHandshake(HandshakeType.certificate_verify, encodeCertificateVerify(cv)).toHex(),
      V.CERTIFICATE_VERIFY.toHex(),
    );

    for (const fin of [V.SERVER_FINISHED, V.CLIENT_FINISHED]) {
      const verifyData = decodeFinished(body(fin, HandshakeType.finished), 32);
      assert.equal(frameHandshake(HandshakeType.finished, verifyData).toHex(), fin.toHex());
    }
  });

  Deno.test(`RFC 8448 §3: NewSessionTicket decodes to the trace's fields [${provider.name}]`, () => {
    const nst = decodeNewSessionTicket(
      body(V.NEW_SESSION_TICKET, HandshakeType.new_session_ticket),
    );
    assert.equal(nst.lifetime, 0x1e);
    assert.equal(nst.ageAdd, 0xfad6aac5);
    assert.equal(nst.nonce.toHex(), "0000");
    assert.equal(nst.ticket.length, 0xb2);
    assert.deepEqual(nst.extensions.map((e: Extension) => [e.type, e.data.toHex()]), [
      [ExtensionType.early_data, "00000400"],
    ]);
  });

  Deno.test(`RFC 8448 §3: the server's CertificateVerify verifies with its certificate's key [${provider.name}]`, async () => {
    const spki = leafPublicKey(V.SERVER_CERTIFICATE_DER);
    const hash = await transcriptHash(
      V.CLIENT_HELLO,
      V.SERVER_HELLO,
      V.ENCRYPTED_EXTENSIONS,
      V.CERTIFICATE,
    );
    const cv = decodeCertificateVerify(
      body(V.CERTIFICATE_VERIFY, HandshakeType.certificate_verify),
    );
    const content = certificateVerifyContent("server", hash);
    assert.equal(await verifySignature(provider, cv.scheme, spki, content, cv.signature), true);
    // The client's context string or a changed hash must not verify.
    assert.equal(
      await verifySignature(
        provider,
        cv.scheme,
        spki,
        certificateVerifyContent("client", hash),
        cv.signature,
      ),
      false,
    );
    const other = hash.slice();
    other[0] ^= 1;
    assert.equal(
      await verifySignature(
        provider,
        cv.scheme,
        spki,
        certificateVerifyContent("server", other),
        cv.signature,
      ),
      false,
    );
  });

  // --- engine: our server fed the trace's ClientHello ---

  /** PKCS#8 of the RFC 8448 §2 RSA key, through a JWK import. */
  const rsaPkcs8 = async (): Promise<Uint8Array> => {
    const b64 = (b: Uint8Array) => b.toBase64({ alphabet: "base64url", omitPadding: true });
    const k = V.RSA_KEY;
    const jwk: JsonWebKey = {
      kty: "RSA",
      n: b64(k.modulus),
      e: b64(k.publicExponent),
      d: b64(k.privateExponent),
      p: b64(k.prime1),
      q: b64(k.prime2),
      dp: b64(k.exponent1),
      dq: b64(k.exponent2),
      qi: b64(k.coefficient),
    };
    const key = await crypto.subtle.importKey(
      "jwk",
      jwk,
      { name: "RSA-PSS", hash: "SHA-256" },
      true,
      ["sign"],
    );
    return new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  };

  /** The server random of the trace's ServerHello. */
  const SERVER_RANDOM = V.SERVER_HELLO.subarray(6, 38);

  Deno.test(`RFC 8448 §2: the RSA key is the certificate's key [${provider.name}]`, async () => {
    const n = BigInt("0x" + V.RSA_KEY.modulus.toHex());
    assert.equal(
      BigInt("0x" + V.RSA_KEY.prime1.toHex()) * BigInt("0x" + V.RSA_KEY.prime2.toHex()),
      n,
    );
    const key = await provider.loadSigningKey(await rsaPkcs8());
    const data = new TextEncoder().encode("RFC 8448");
    const sig = await key.sign(SignatureScheme.rsa_pss_rsae_sha256, data);
    const spki = leafPublicKey(V.SERVER_CERTIFICATE_DER);
    assert.equal(
      await verifySignature(provider, SignatureScheme.rsa_pss_rsae_sha256, spki, data, sig),
      true,
    );
  });

  Deno.test(`RFC 8448 §3: our server answers the trace's ClientHello as far as it can match [${provider.name}]`, async () => {
    const events: TraceEvent[] = [];
    let randomCalls = 0;
    const config: ServerConfig = {
      certificate: {
        chain: [V.SERVER_CERTIFICATE_DER],
        key: await provider.loadSigningKey(await rsaPkcs8()),
      },
      random: (n) => {
        assert.equal(n, 32);
        assert.equal(randomCalls++, 0, "the server asked for more randomness than the ServerHello");
        return SERVER_RANDOM.slice();
      },
      now: () => new Date("2018-01-01T00:00:00Z"),
      crypto: provider,
      keyShares: (group) => {
        assert.equal(group, NamedGroup.x25519);
        return x25519FromPrivate(provider, V.SERVER_PRIVATE, V.SERVER_PUBLIC);
      },
      trace: (e) => events.push(e),
    };
    const server = Connection.server(config);
    await server.receive(cat(V.CLIENT_HELLO_RECORD_HEADER, V.CLIENT_HELLO));
    const out = records(server.takeOutput());

    // The ServerHello record, in the clear; the trace's client sent an empty
    // legacy_session_id, so (like the trace) no compatibility CCS follows.
    assert.equal(out.length, 2);
    assert.equal(out[0].header.toHex(), V.SERVER_HELLO_RECORD_HEADER.toHex());
    assert.equal(out[1].type, ContentType.application_data);
    const ourHello = out[0].fragment;
    assert.equal(ourHello.length, V.SERVER_HELLO.length);

    // Same fields and the same two extensions; our server writes
    // supported_versions before key_share, the trace's (NSS) the other way
    // round. Put in the trace's order, ours is the trace's ServerHello byte for byte.
    const ours = decodeServerHello(body(ourHello, HandshakeType.server_hello));
    const theirs = decodeServerHello(body(V.SERVER_HELLO, HandshakeType.server_hello));
    const order = theirs.extensions.map((e) => e.type);
    assert.deepEqual(ours.extensions.map((e) => e.type).sort(), [...order].sort());
    const reordered = {
      ...ours,
      extensions: order.map((t) => ours.extensions.find((e) => e.type === t)!),
    };
    assert.equal(
      frameHandshake(HandshakeType.server_hello, encodeServerHello(reordered)).toHex(),
      V.SERVER_HELLO.toHex(),
    );

    // What does not depend on the transcript matches the trace exactly.
    const secret = (name: string) =>
      (events.find((e) => e.kind === "secret" && e.name === name) as { value: Uint8Array })?.value
        .toHex();
    const shared = events.find((e) => e.kind === "shared_secret") as { value: Uint8Array };
    assert.equal(shared.value.toHex(), V.SHARED_SECRET.toHex());
    assert.equal(secret("early_secret"), V.EARLY_SECRET.toHex());
    assert.equal(secret("handshake_secret"), V.HANDSHAKE_SECRET.toHex());
    assert.equal(secret("master_secret"), V.MASTER_SECRET.toHex());

    // The traffic secrets hash our own ServerHello: the transcript is the
    // trace's ClientHello followed by our ServerHello, keyed from the trace's
    // handshake secret.
    const helloHash = await transcriptHash(V.CLIENT_HELLO, ourHello);
    const cHs = await deriveSecret(SHA256, V.HANDSHAKE_SECRET, "c hs traffic", helloHash);
    const sHs = await deriveSecret(SHA256, V.HANDSHAKE_SECRET, "s hs traffic", helloHash);
    assert.equal(secret("client_handshake_traffic_secret"), cHs.toHex());
    assert.equal(secret("server_handshake_traffic_secret"), sHs.toHex());

    // Our encrypted flight opens under those keys as sequence number 0.
    const dir = await direction(sHs);
    const flight = await openRecord(dir, out[1]);
    assert.equal(flight.type, ContentType.handshake);
    const [ee, cert, cv, fin, ...rest] = messages(flight.content);
    assert.equal(rest.length, 0);

    // EncryptedExtensions: we acknowledge server_name exactly as the trace
    // does; we implement neither record_size_limit nor supported_groups in
    // EncryptedExtensions, which the trace's server also sends.
    assert.equal(ee.type, HandshakeType.encrypted_extensions);
    const ourEe = decodeEncryptedExtensions(ee.body);
    const theirEe = decodeEncryptedExtensions(
      body(V.ENCRYPTED_EXTENSIONS, HandshakeType.encrypted_extensions),
    );
    assert.deepEqual(ourEe.map((e) => e.type), [ExtensionType.server_name]);
    assert.equal(
      ourEe[0].data.toHex(),
      findExtension(theirEe, ExtensionType.server_name)!.toHex(),
    );

    // Certificate: the same chain, encoded byte for byte as in the trace.
    assert.equal(cert.raw.toHex(), V.CERTIFICATE.toHex());

    // CertificateVerify: the trace's scheme and length; RSA-PSS salts are
    // random, so the signature differs, but it verifies over our transcript.
    const ourCv = decodeCertificateVerify(cv.body);
    assert.equal(cv.raw.subarray(0, 8).toHex(), V.CERTIFICATE_VERIFY.subarray(0, 8).toHex());
    const cvHash = await transcriptHash(V.CLIENT_HELLO, ourHello, ee.raw, cert.raw);
    assert.equal(
      await verifySignature(
        provider,
        ourCv.scheme,
        leafPublicKey(V.SERVER_CERTIFICATE_DER),
        certificateVerifyContent("server", cvHash),
        ourCv.signature,
      ),
      true,
    );

    // Finished over our transcript.
    const schedule = new KeySchedule(SUITE);
    const finHash = await transcriptHash(V.CLIENT_HELLO, ourHello, ee.raw, cert.raw, cv.raw);
    assert.equal(fin.type, HandshakeType.finished);
    assert.equal(fin.body.toHex(), (await schedule.finishedVerifyData(sHs, finHash)).toHex());

    // A client Finished made from the same transcript completes the handshake.
    const clientHash = await transcriptHash(
      V.CLIENT_HELLO,
      ourHello,
      ee.raw,
      cert.raw,
      cv.raw,
      fin.raw,
    );
    const clientFinished = frameHandshake(
      HandshakeType.finished,
      await schedule.finishedVerifyData(cHs, clientHash),
    );
    await server.receive(await seal(cHs, 0, ContentType.handshake, clientFinished));
    const done = server.takeEvents().find((e: ConnectionEvent) => e.type === "handshake");
    assert.ok(done && done.type === "handshake");
    assert.equal(done.info.cipherSuite, "TLS_AES_128_GCM_SHA256");
    assert.equal(done.info.group, "x25519");
    assert.equal(done.info.signatureScheme, "rsa_pss_rsae_sha256");
    assert.equal(done.info.serverName, "server");
    assert.equal(done.info.helloRetry, false);
  });
}
