/**
 * "The Illustrated TLS 1.3 Connection" (tls13.xargs.org): our SHA-384 key
 * schedule, Finished computation, record protection and codecs against a
 * fully deterministic OpenSSL connection, then our server and client
 * engines fed its recorded flights.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as V from "./vectors/illustrated.ts";
import { cat } from "./vectors/hex.ts";
import { body, messages, recordBytes, records } from "./vectors/wire.ts";
import { AlertDescription, PeerAlert, TlsError } from "../lib/errors.ts";
import {
  CipherSuite,
  ContentType,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  SignatureScheme,
} from "../lib/codepoints.ts";
import { Connection } from "../lib/connection.ts";
import type { CertificateVerifier, ClientConfig, ServerConfig } from "../lib/config.ts";
import { RecordCipher, trafficKeys } from "../lib/crypto/aead.ts";
import { deriveSecret } from "../lib/crypto/hkdf.ts";
import { KeySchedule, type SecretName } from "../lib/crypto/key_schedule.ts";
import { verifySignature } from "../lib/crypto/signature.ts";
import { suiteById } from "../lib/crypto/suites.ts";
import {
  decodeClientKeyShares,
  decodeServerKeyShare,
  decodeServerName,
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
import type { SigningKey } from "../lib/crypto/provider.ts";
import { Transcript } from "../lib/handshake/transcript.ts";
import { PROVIDERS, RECORDED_GROUPS, x25519FromPrivate } from "./helpers/providers.ts";
import {
  Direction,
  type OpenedRecord,
  openRecord,
  sealRecords,
} from "../lib/record/record_layer.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { leafPublicKey } from "../lib/x509/leaf.ts";

for (const provider of PROVIDERS) {
  const SHA384 = provider.hashes["SHA-384"];
  const SUITE = suiteById(provider, CipherSuite.TLS_AES_256_GCM_SHA384)!;

  /** Transcript-Hash (SHA-384) of `messages`, through our Transcript. */
  const transcriptHash = (...messages: Uint8Array[]): Uint8Array => {
    const t = new Transcript();
    t.useHash(SHA384);
    for (const m of messages) t.add(m, m[0] === 1 ? "client" : "server");
    return t.hash();
  };

  /** A direction keyed from a traffic secret, its sequence number set to `seq`. */
  const direction = async (secret: Uint8Array, seq: number): Promise<Direction> => {
    const dir = new Direction();
    dir.set(await RecordCipher.fromSecret(SUITE, secret), secret, "handshake");
    dir.cipher!.seq = seq;
    return dir;
  };

  /** Seals `content` as the `seq`-th record under `secret`: exactly one record. */
  const seal = async (
    secret: Uint8Array,
    seq: number,
    type: number,
    content: Uint8Array,
  ): Promise<Uint8Array> => {
    const out = await sealRecords(await direction(secret, seq), type, content);
    assert.equal(out.length, 1);
    return out[0];
  };

  /** Opens the one record in `record` as the `seq`-th record under `secret`. */
  const open = async (
    secret: Uint8Array,
    seq: number,
    record: Uint8Array,
  ): Promise<OpenedRecord> => {
    const [rec] = records(record);
    return await openRecord(await direction(secret, seq), rec);
  };

  /** The value of the first trace event of `kind` (and `name`, for secrets). */
  const traced = (events: TraceEvent[], kind: string, name?: string): string | undefined => {
    const e = events.find((e) =>
      e.kind === kind && (name === undefined || (e as { name?: string }).name === name)
    ) as { value: Uint8Array } | undefined;
    return e?.value.toHex();
  };

  /** The server's encrypted flight: one record per message, sequence numbers 0 to 3. */
  const SERVER_FLIGHT: [Uint8Array, Uint8Array][] = [
    [V.ENCRYPTED_EXTENSIONS, V.ENCRYPTED_EXTENSIONS_RECORD],
    [V.CERTIFICATE, V.CERTIFICATE_RECORD],
    [V.CERTIFICATE_VERIFY, V.CERTIFICATE_VERIFY_RECORD],
    [V.SERVER_FINISHED, V.SERVER_FINISHED_RECORD],
  ];

  // --- key exchange and key schedule ---

  Deno.test(`Illustrated TLS 1.3: x25519 with the page's keys gives its shared secret [${provider.name}]`, async () => {
    const server = await x25519FromPrivate(provider, V.SERVER_PRIVATE, V.SERVER_PUBLIC);
    const client = await x25519FromPrivate(provider, V.CLIENT_PRIVATE, V.CLIENT_PUBLIC);
    assert.equal((await server.complete(V.CLIENT_PUBLIC)).toHex(), V.SHARED_SECRET.toHex());
    assert.equal((await client.complete(V.SERVER_PUBLIC)).toHex(), V.SHARED_SECRET.toHex());
  });

  Deno.test(`Illustrated TLS 1.3: SHA-384 transcript hashes of the page's messages [${provider.name}]`, async () => {
    assert.equal(
      (await transcriptHash(V.CLIENT_HELLO, V.SERVER_HELLO)).toHex(),
      V.HELLO_HASH.toHex(),
    );
    assert.equal(
      (await transcriptHash(
        V.CLIENT_HELLO,
        V.SERVER_HELLO,
        ...SERVER_FLIGHT.map(([m]) => m),
      )).toHex(),
      V.SERVER_FINISHED_HASH.toHex(),
    );
  });

  Deno.test(`Illustrated TLS 1.3: the SHA-384 key schedule reproduces the page's and key log's secrets [${provider.name}]`, async () => {
    const seen = new Map<SecretName, string>();
    const schedule = new KeySchedule(SUITE, (name, value) => seen.set(name, value.toHex()));
    const hs = await schedule.handshakeSecrets(V.SHARED_SECRET, V.HELLO_HASH);
    assert.equal(seen.get("handshake_secret"), V.HANDSHAKE_SECRET.toHex());
    assert.equal(hs.server.toHex(), V.SERVER_HANDSHAKE_TRAFFIC_SECRET.toHex());
    assert.equal(hs.client.toHex(), V.CLIENT_HANDSHAKE_TRAFFIC_SECRET.toHex());
    // The page does not print the early secret; it is HKDF-Extract(0, 0) with 48-byte zeros.
    assert.equal(
      seen.get("early_secret"),
      (await SHA384.hkdfExtract(new Uint8Array(0), new Uint8Array(48))).toHex(),
    );

    const ap = await schedule.applicationSecrets(V.SERVER_FINISHED_HASH);
    assert.equal(ap.server.toHex(), V.SERVER_APPLICATION_TRAFFIC_SECRET.toHex());
    assert.equal(ap.client.toHex(), V.CLIENT_APPLICATION_TRAFFIC_SECRET.toHex());
    assert.equal(seen.get("exporter_master_secret"), V.EXPORTER_MASTER_SECRET.toHex());
    // The master secret is not printed either; it sits between the handshake
    // secret and the (printed) application secrets, as the page's derivation shows.
    const derived = await deriveSecret(
      SHA384,
      V.HANDSHAKE_SECRET,
      "derived",
      await SHA384.digest(new Uint8Array(0)),
    );
    assert.equal(
      seen.get("master_secret"),
      (await SHA384.hkdfExtract(derived, new Uint8Array(48))).toHex(),
    );
  });

  Deno.test(`Illustrated TLS 1.3: AES-256 write keys and IVs, both directions, both epochs [${provider.name}]`, async () => {
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

  Deno.test(`Illustrated TLS 1.3: both Finished verify_data (48 bytes, HMAC-SHA384) [${provider.name}]`, async () => {
    const schedule = new KeySchedule(SUITE);
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
    assert.equal(frameHandshake(HandshakeType.finished, server).toHex(), V.SERVER_FINISHED.toHex());
    const client = await schedule.finishedVerifyData(
      V.CLIENT_HANDSHAKE_TRAFFIC_SECRET,
      V.SERVER_FINISHED_HASH,
    );
    assert.equal(frameHandshake(HandshakeType.finished, client).toHex(), V.CLIENT_FINISHED.toHex());
  });

  // --- record protection ---

  Deno.test(`Illustrated TLS 1.3: the server's four handshake records, opened and resealed byte for byte [${provider.name}]`, async () => {
    for (const [seq, [message, record]] of SERVER_FLIGHT.entries()) {
      const opened = await open(V.SERVER_HANDSHAKE_TRAFFIC_SECRET, seq, record);
      assert.equal(opened.type, ContentType.handshake, `record ${seq}`);
      assert.equal(opened.content.toHex(), message.toHex(), `record ${seq}`);
      const sealed = await seal(
        V.SERVER_HANDSHAKE_TRAFFIC_SECRET,
        seq,
        ContentType.handshake,
        message,
      );
      assert.equal(sealed.toHex(), record.toHex(), `record ${seq}`);
    }
  });

  Deno.test(`Illustrated TLS 1.3: the client Finished record, sealed and opened byte for byte [${provider.name}]`, async () => {
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

  Deno.test(`Illustrated TLS 1.3: application records (ping; two tickets and pong), byte for byte [${provider.name}]`, async () => {
    const cases: [string, Uint8Array, number, number, Uint8Array, Uint8Array][] = [
      [
        "client ping",
        V.CLIENT_APPLICATION_TRAFFIC_SECRET,
        0,
        ContentType.application_data,
        V.PING,
        V.PING_RECORD,
      ],
      [
        "server ticket 1",
        V.SERVER_APPLICATION_TRAFFIC_SECRET,
        0,
        ContentType.handshake,
        V.NEW_SESSION_TICKET_1,
        V.NEW_SESSION_TICKET_1_RECORD,
      ],
      [
        "server ticket 2",
        V.SERVER_APPLICATION_TRAFFIC_SECRET,
        1,
        ContentType.handshake,
        V.NEW_SESSION_TICKET_2,
        V.NEW_SESSION_TICKET_2_RECORD,
      ],
      [
        "server pong",
        V.SERVER_APPLICATION_TRAFFIC_SECRET,
        2,
        ContentType.application_data,
        V.PONG,
        V.PONG_RECORD,
      ],
    ];
    for (const [what, secret, seq, type, content, record] of cases) {
      assert.equal((await seal(secret, seq, type, content)).toHex(), record.toHex(), what);
      const opened = await open(secret, seq, record);
      assert.equal(opened.type, type, what);
      assert.equal(opened.content.toHex(), content.toHex(), what);
    }
  });

  // --- message codecs ---

  Deno.test(`Illustrated TLS 1.3: ClientHello decodes, and re-encodes identically [${provider.name}]`, () => {
    const ch = decodeClientHello(body(V.CLIENT_HELLO, HandshakeType.client_hello));
    assert.equal(ch.random.toHex(), V.CLIENT_RANDOM.toHex());
    assert.equal(ch.legacySessionId.toHex(), V.SESSION_ID.toHex());
    assert.deepEqual(ch.cipherSuites, [0x1302, 0x1303, 0x1301, 0x00ff]);
    assert.deepEqual(ch.extensions.map((e) => e.type), [
      ExtensionType.server_name,
      ExtensionType.ec_point_formats,
      ExtensionType.supported_groups,
      ExtensionType.session_ticket,
      ExtensionType.encrypt_then_mac,
      ExtensionType.extended_master_secret,
      ExtensionType.signature_algorithms,
      ExtensionType.supported_versions,
      ExtensionType.psk_key_exchange_modes,
      ExtensionType.key_share,
    ]);
    assert.equal(
      decodeServerName(findExtension(ch.extensions, ExtensionType.server_name)!),
      "example.ulfheim.net",
    );
    const [share] = decodeClientKeyShares(findExtension(ch.extensions, ExtensionType.key_share)!);
    assert.equal(share.group, NamedGroup.x25519);
    assert.equal(share.keyExchange.toHex(), V.CLIENT_PUBLIC.toHex());
    assert.equal(
      frameHandshake(HandshakeType.client_hello, encodeClientHello(ch)).toHex(),
      V.CLIENT_HELLO.toHex(),
    );
  });

  Deno.test(`Illustrated TLS 1.3: ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished codecs [${provider.name}]`, () => {
    const sh = decodeServerHello(body(V.SERVER_HELLO, HandshakeType.server_hello));
    assert.equal(sh.random.toHex(), V.SERVER_RANDOM.toHex());
    assert.equal(sh.legacySessionIdEcho.toHex(), V.SESSION_ID.toHex());
    assert.equal(sh.cipherSuite, CipherSuite.TLS_AES_256_GCM_SHA384);
    const share = decodeServerKeyShare(findExtension(sh.extensions, ExtensionType.key_share)!);
    assert.equal(share.keyExchange.toHex(), V.SERVER_PUBLIC.toHex());
    assert.equal(
      frameHandshake(HandshakeType.server_hello, encodeServerHello(sh)).toHex(),
      V.SERVER_HELLO.toHex(),
    );

    const ee = decodeEncryptedExtensions(
      body(V.ENCRYPTED_EXTENSIONS, HandshakeType.encrypted_extensions),
    );
    assert.equal(ee.length, 0);
    assert.equal(
      frameHandshake(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(ee)).toHex(),
      V.ENCRYPTED_EXTENSIONS.toHex(),
    );

    const cert = decodeCertificate(body(V.CERTIFICATE, HandshakeType.certificate));
    assert.equal(cert.entries.length, 1);
    assert.equal(cert.entries[0].certificate.toHex(), V.SERVER_CERTIFICATE_DER.toHex());
    assert.equal(
      frameHandshake(HandshakeType.certificate, encodeCertificate(cert)).toHex(),
      V.CERTIFICATE.toHex(),
    );

    const cv = decodeCertificateVerify(
      body(V.CERTIFICATE_VERIFY, HandshakeType.certificate_verify),
    );
    assert.equal(cv.scheme, SignatureScheme.rsa_pss_rsae_sha256);
    assert.equal(cv.signature.length, 256);
    assert.equal(
      frameHandshake(HandshakeType.certificate_verify, encodeCertificateVerify(cv)).toHex(),
      V.CERTIFICATE_VERIFY.toHex(),
    );

    for (const fin of [V.SERVER_FINISHED, V.CLIENT_FINISHED]) {
      const verifyData = decodeFinished(body(fin, HandshakeType.finished), 48);
      assert.equal(frameHandshake(HandshakeType.finished, verifyData).toHex(), fin.toHex());
    }
  });

  Deno.test(`Illustrated TLS 1.3: both NewSessionTickets decode to the page's fields [${provider.name}]`, () => {
    for (const [i, msg] of [V.NEW_SESSION_TICKET_1, V.NEW_SESSION_TICKET_2].entries()) {
      const nst = decodeNewSessionTicket(body(msg, HandshakeType.new_session_ticket));
      assert.equal(nst.lifetime, 7200);
      assert.equal(nst.ageAdd, 0);
      assert.equal(nst.nonce.toHex(), `000000000000000${i}`);
      assert.equal(nst.ticket.length, 0xc0);
      assert.deepEqual(nst.extensions, []);
    }
  });

  Deno.test(`Illustrated TLS 1.3: the server's CertificateVerify verifies with its certificate's key [${provider.name}]`, async () => {
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
    assert.equal(
      await verifySignature(
        provider,
        cv.scheme,
        spki,
        certificateVerifyContent("server", hash),
        cv.signature,
      ),
      true,
    );
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
  });

  // --- engines fed the recorded flights ---

  /** A fresh RSA-2048 key: the page does not publish the certificate's private key. */
  const freshRsaKey = async (): Promise<SigningKey> => {
    const pair = await crypto.subtle.generateKey(
      {
        name: "RSA-PSS",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    ) as CryptoKeyPair;
    return provider.loadSigningKey(
      new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    );
  };

  Deno.test(`Illustrated TLS 1.3: our server answers the page's ClientHello with its ServerHello, byte for byte [${provider.name}]`, async () => {
    const events: TraceEvent[] = [];
    const keyLog: string[] = [];
    const config: ServerConfig = {
      certificate: { chain: [V.SERVER_CERTIFICATE_DER], key: await freshRsaKey() },
      // The page's server (OpenSSL) preferred AES-256; ours prefers AES-128 unless told.
      cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256],
      random: (n) => {
        assert.equal(n, 32);
        return V.SERVER_RANDOM.slice();
      },
      crypto: provider,
      keyShares: (group) => {
        assert.equal(group, NamedGroup.x25519);
        return x25519FromPrivate(provider, V.SERVER_PRIVATE, V.SERVER_PUBLIC);
      },
      trace: (e) => events.push(e),
      keyLog: (line) => keyLog.push(line),
    };
    const server = Connection.server(config);
    await server.receive(cat(V.CLIENT_HELLO_RECORD_HEADER, V.CLIENT_HELLO));
    const out = records(server.takeOutput());
    assert.equal(out.length, 3);

    // ServerHello and the compatibility ChangeCipherSpec: identical to the page.
    assert.equal(
      recordBytes(out[0]).toHex(),
      cat(V.SERVER_HELLO_RECORD_HEADER, V.SERVER_HELLO).toHex(),
    );
    assert.equal(recordBytes(out[1]).toHex(), V.CHANGE_CIPHER_SPEC_RECORD.toHex());

    // Same transcript so far, so the same handshake secrets and keys as the page.
    assert.equal(traced(events, "shared_secret"), V.SHARED_SECRET.toHex());
    assert.equal(traced(events, "secret", "handshake_secret"), V.HANDSHAKE_SECRET.toHex());
    assert.equal(
      traced(events, "secret", "server_handshake_traffic_secret"),
      V.SERVER_HANDSHAKE_TRAFFIC_SECRET.toHex(),
    );
    assert.equal(
      traced(events, "secret", "client_handshake_traffic_secret"),
      V.CLIENT_HANDSHAKE_TRAFFIC_SECRET.toHex(),
    );
    const keys = events.filter((e) => e.kind === "keys" && e.epoch === "handshake") as {
      direction: string;
      key: Uint8Array;
      iv: Uint8Array;
    }[];
    const write = keys.find((k) => k.direction === "server")!;
    const read = keys.find((k) => k.direction === "client")!;
    assert.equal(write.key.toHex(), V.SERVER_HANDSHAKE_KEY.toHex());
    assert.equal(write.iv.toHex(), V.SERVER_HANDSHAKE_IV.toHex());
    assert.equal(read.key.toHex(), V.CLIENT_HANDSHAKE_KEY.toHex());
    assert.equal(read.iv.toHex(), V.CLIENT_HANDSHAKE_IV.toHex());
    // Our key log agrees with the one OpenSSL wrote, line for line.
    assert.deepEqual(
      keyLog.filter((l) => l.includes("_HANDSHAKE_")).sort(),
      V.KEYLOG_HANDSHAKE_LINES.map((l) => l + "\n").sort(),
    );

    // From here on the flights differ, for two reasons: we put the four
    // messages in one record (OpenSSL sends one record each), and we
    // acknowledge server_name in EncryptedExtensions (RFC 6066 §3 allows it;
    // OpenSSL sent none). Our record still opens with the page's server
    // handshake key and IV as sequence number 0.
    const dir = new Direction();
    dir.set(
      await RecordCipher.fromKeys(SUITE, V.SERVER_HANDSHAKE_KEY, V.SERVER_HANDSHAKE_IV),
      V.SERVER_HANDSHAKE_TRAFFIC_SECRET,
      "handshake",
    );
    const flight = await openRecord(dir, out[2]);
    assert.equal(flight.type, ContentType.handshake);
    const [ee, cert, cv, fin, ...rest] = messages(flight.content);
    assert.equal(rest.length, 0);
    assert.deepEqual(
      decodeEncryptedExtensions(ee.body).map((e: Extension) => [e.type, e.data.length]),
      [[ExtensionType.server_name, 0]],
    );
    assert.equal(cert.raw.toHex(), V.CERTIFICATE.toHex());
    assert.equal(cv.raw.subarray(0, 8).toHex(), V.CERTIFICATE_VERIFY.subarray(0, 8).toHex());
    const finHash = await transcriptHash(V.CLIENT_HELLO, V.SERVER_HELLO, ee.raw, cert.raw, cv.raw);
    assert.equal(
      fin.body.toHex(),
      (await new KeySchedule(SUITE).finishedVerifyData(V.SERVER_HANDSHAKE_TRAFFIC_SECRET, finHash))
        .toHex(),
    );

    // The page's client Finished opens under the same client handshake keys
    // (no bad_record_mac), but covers the page's EncryptedExtensions, not
    // ours: our server refuses it as decrypt_error.
    await server.receive(V.CHANGE_CIPHER_SPEC_RECORD);
    const refused = await server.receive(V.CLIENT_FINISHED_RECORD).then(() => undefined, (e) => e);
    assert.ok(refused instanceof TlsError, String(refused));
    assert.equal(refused.alert, AlertDescription.decrypt_error);
  });

  Deno.test(`Illustrated TLS 1.3: our client with the page's randoms and key: what matches, and where it must stop [${provider.name}]`, async () => {
    const events: TraceEvent[] = [];
    const randoms = [V.CLIENT_RANDOM, V.SESSION_ID];
    const verifier: CertificateVerifier = {
      verify: () => Promise.reject(new Error("the handshake must not get this far")),
    };
    const config: ClientConfig = {
      serverName: "example.ulfheim.net",
      verifier,
      cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256],
      // client random first, then the legacy_session_id
      random: (n) => {
        assert.equal(n, 32);
        const next = randoms.shift();
        assert.ok(next, "the client asked for more randomness than the ClientHello needs");
        return next.slice();
      },
      crypto: provider,
      groups: RECORDED_GROUPS,
      keyShares: (group) => {
        assert.equal(group, NamedGroup.x25519);
        return x25519FromPrivate(provider, V.CLIENT_PRIVATE, V.CLIENT_PUBLIC);
      },
      trace: (e) => events.push(e),
    };
    const client = Connection.client(config);
    await client.start();
    const [hello] = records(client.takeOutput());
    assert.equal(hello.type, ContentType.handshake);
    const ours = decodeClientHello(body(hello.fragment, HandshakeType.client_hello));
    const theirs = decodeClientHello(body(V.CLIENT_HELLO, HandshakeType.client_hello));

    // The injected values land where the page has them, and the extensions
    // both sides send are encoded byte for byte alike.
    assert.equal(ours.random.toHex(), theirs.random.toHex());
    assert.equal(ours.legacySessionId.toHex(), theirs.legacySessionId.toHex());
    for (
      const type of [
        ExtensionType.server_name,
        ExtensionType.supported_versions,
        ExtensionType.key_share,
      ]
    ) {
      assert.equal(
        findExtension(ours.extensions, type)?.toHex(),
        findExtension(theirs.extensions, type)!.toHex(),
        ExtensionType.name(type),
      );
    }
    // But the ClientHello itself cannot match: OpenSSL also sent
    // ec_point_formats, session_ticket, encrypt_then_mac,
    // extended_master_secret, psk_key_exchange_modes, the SCSV and
    // ChaCha20, and a different signature_algorithms list; we send
    // signature_algorithms_cert. Every later secret hashes the ClientHello.
    assert.notEqual(hello.fragment.toHex(), V.CLIENT_HELLO.toHex());

    // Fed the page's ServerHello, our client reaches the page's handshake
    // secret (it does not depend on the transcript)...
    await client.receive(cat(V.SERVER_HELLO_RECORD_HEADER, V.SERVER_HELLO));
    await client.receive(V.CHANGE_CIPHER_SPEC_RECORD);
    assert.equal(traced(events, "shared_secret"), V.SHARED_SECRET.toHex());
    assert.equal(traced(events, "secret", "handshake_secret"), V.HANDSHAKE_SECRET.toHex());
    // ... and derives its traffic secrets from its own transcript.
    const helloHash = await transcriptHash(hello.fragment, V.SERVER_HELLO);
    assert.equal(
      traced(events, "secret", "server_handshake_traffic_secret"),
      (await deriveSecret(SHA384, V.HANDSHAKE_SECRET, "s hs traffic", helloHash)).toHex(),
    );

    // So the page's first encrypted record cannot open: bad_record_mac.
    const refused = await client.receive(V.ENCRYPTED_EXTENSIONS_RECORD).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(refused instanceof TlsError && !(refused instanceof PeerAlert), String(refused));
    assert.equal(refused.alert, AlertDescription.bad_record_mac);
  });
}
