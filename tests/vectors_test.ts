/**
 * The published handshakes, one table-driven suite, per crypto provider:
 * RFC 8448 §3 and "The Illustrated TLS 1.3 Connection" (the table in
 * tests/vectors/full_handshakes.ts) each get the same checks of our key
 * exchange, transcript hash, key schedule, Finished computation, record
 * protection and message codecs, byte for byte; then what only one of them
 * can show: RFC 8448 §3's HKDF steps and RSA key, our server and client
 * engines fed their flights, and RFC 8448 §4's resumed handshake with 0-RTT.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as V from "./vectors/rfc8448.ts";
import * as R from "./vectors/rfc8448_resumed.ts";
import * as I from "./vectors/illustrated.ts";
import { FULL_HANDSHAKES, type FullHandshake } from "./vectors/full_handshakes.ts";
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
import { Connection, type ConnectionEvent } from "../lib/connection.ts";
import type { CertificateVerifier, ClientConfig, ServerConfig } from "../lib/config.ts";
import { RecordCipher, trafficKeys } from "../lib/crypto/aead.ts";
import { deriveSecret, hkdfExpandLabel } from "../lib/crypto/hkdf.ts";
import { KeySchedule, type SecretName } from "../lib/crypto/key_schedule.ts";
import type { CryptoProvider, SigningKey } from "../lib/crypto/provider.ts";
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
  encodeNewSessionTicket,
  encodeServerHello,
  frameHandshake,
} from "../lib/handshake/messages.ts";
import {
  bindersLength,
  decodeMaxEarlyData,
  decodeOfferedPsks,
  decodePskModes,
  decodeSelectedIdentity,
  encodeOfferedPsks,
  PskKeyExchangeMode,
} from "../lib/handshake/psk_extensions.ts";
import { Transcript } from "../lib/handshake/transcript.ts";
import {
  Direction,
  type OpenedRecord,
  openRecord,
  sealRecords,
} from "../lib/record/record_layer.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { leafPublicKey } from "../lib/x509/leaf.ts";
import { PROVIDERS, RECORDED_GROUPS, x25519FromPrivate } from "./helpers/providers.ts";

const EMPTY = new Uint8Array(0);

/** What every test of one trace on one provider uses: its hash, suite and record helpers. */
function toolsFor(provider: CryptoProvider, trace: { hash: "SHA-256" | "SHA-384"; suite: number }) {
  const hash = provider.hashes[trace.hash];
  const suite = suiteById(provider, trace.suite)!;

  /** A direction keyed from a traffic secret, its sequence number set to `seq`. */
  const direction = async (secret: Uint8Array, seq: number): Promise<Direction> => {
    const dir = new Direction();
    dir.set(await RecordCipher.fromSecret(suite, secret), secret, "handshake");
    dir.cipher!.seq = seq;
    return dir;
  };

  return {
    hash,
    suite,
    direction,
    /** Transcript-Hash of `messages`, through our Transcript. */
    transcriptHash(...messages: Uint8Array[]): Uint8Array {
      const t = new Transcript();
      t.useHash(hash);
      for (const m of messages) t.add(m, m[0] === 1 ? "client" : "server");
      return t.hash();
    },
    /** Seals `content` as the `seq`-th record under `secret`: exactly one record. */
    async seal(secret: Uint8Array, seq: number, type: number, content: Uint8Array) {
      const out = await sealRecords(await direction(secret, seq), type, content);
      assert.equal(out.length, 1);
      return out[0];
    },
    /** Opens the one record in `record` as the `seq`-th record under `secret`. */
    async open(secret: Uint8Array, seq: number, record: Uint8Array): Promise<OpenedRecord> {
      const [rec] = records(record);
      return await openRecord(await direction(secret, seq), rec);
    },
  };
}

/** The value of the first trace event of `kind` (and `name`, for secrets), as hex. */
function traced(events: TraceEvent[], kind: string, name?: string): string | undefined {
  const e = events.find((e) =>
    e.kind === kind && (name === undefined || (e as { name?: string }).name === name)
  ) as { value: Uint8Array } | undefined;
  return e?.value.toHex();
}

// --- the same checks for every published full handshake ---

for (const provider of PROVIDERS) {
  for (const t of FULL_HANDSHAKES) {
    fullHandshakeTests(provider, t);
  }
  rfc8448Tests(provider);
  illustratedEngineTests(provider);
  rfc8448ResumedTests(provider);
}

function fullHandshakeTests(provider: CryptoProvider, t: FullHandshake): void {
  const { hash, suite, transcriptHash, seal, open } = toolsFor(provider, t);
  const test = (name: string, fn: () => void | Promise<void>) =>
    Deno.test(`${t.name}: ${name} [${provider.name}]`, fn);
  const hashLength = hash.outputLength;

  // --- key exchange and key schedule ---

  test("x25519 with the trace's keys gives the trace's shared secret", async () => {
    const server = await x25519FromPrivate(provider, t.server.private, t.server.public);
    const client = await x25519FromPrivate(provider, t.client.private, t.client.public);
    assert.equal((await server.complete(t.client.public)).toHex(), t.sharedSecret.toHex());
    assert.equal((await client.complete(t.server.public)).toHex(), t.sharedSecret.toHex());
  });

  test(`${t.hash} transcript hashes of the listed messages`, () => {
    for (const [listed, expected] of t.transcriptHashes) {
      assert.equal(transcriptHash(...listed).toHex(), expected.toHex());
    }
  });

  test(`the ${t.hash} key schedule reproduces every secret`, async () => {
    const seen = new Map<SecretName, string>();
    const schedule = new KeySchedule(suite, (name, value) => seen.set(name, value.toHex()));
    const hs = await schedule.handshakeSecrets(t.sharedSecret, t.helloHash);
    assert.equal(hs.client.toHex(), t.secrets.client_handshake_traffic_secret!.toHex());
    assert.equal(hs.server.toHex(), t.secrets.server_handshake_traffic_secret!.toHex());
    const ap = await schedule.applicationSecrets(t.serverFinishedHash);
    assert.equal(ap.client.toHex(), t.secrets.client_application_traffic_secret_0!.toHex());
    assert.equal(ap.server.toHex(), t.secrets.server_application_traffic_secret_0!.toHex());
    // A secret the trace does not print is derived from one it does (RFC 8446 §7.1): the
    // early secret is HKDF-Extract(0, 0), the master secret sits between the (printed)
    // handshake secret and the application secrets.
    const zeros = new Uint8Array(hashLength);
    const derived = await deriveSecret(
      hash,
      t.secrets.handshake_secret!,
      "derived",
      await hash.digest(EMPTY),
    );
    const expected: Partial<Record<SecretName, Uint8Array>> = {
      early_secret: await hash.hkdfExtract(EMPTY, zeros),
      master_secret: await hash.hkdfExtract(derived, zeros),
      ...t.secrets,
    };
    for (const [name, value] of Object.entries(expected)) {
      assert.equal(seen.get(name as SecretName), value.toHex(), name);
    }
    assert.equal(seen.size, 8);
  });

  test("write keys and IVs of both directions, both epochs", async () => {
    for (const [secret, key, iv] of t.trafficKeys) {
      const k = await trafficKeys(suite, secret);
      assert.equal(k.key.toHex(), key.toHex());
      assert.equal(k.iv.toHex(), iv.toHex());
    }
  });

  test(`finished keys and both Finished verify_data (${hashLength} bytes)`, async () => {
    const schedule = new KeySchedule(suite);
    if (t.finishedKeys) {
      const fk = (secret: Uint8Array) =>
        hkdfExpandLabel(hash, secret, "finished", EMPTY, hashLength);
      assert.equal(
        (await fk(t.secrets.server_handshake_traffic_secret!)).toHex(),
        t.finishedKeys.server.toHex(),
      );
      assert.equal(
        (await fk(t.secrets.client_handshake_traffic_secret!)).toHex(),
        t.finishedKeys.client.toHex(),
      );
    }
    const toCertificateVerify = transcriptHash(
      t.clientHello,
      t.serverHello,
      t.encryptedExtensions,
      t.certificate,
      t.certificateVerify,
    );
    const server = await schedule.finishedVerifyData(
      t.secrets.server_handshake_traffic_secret!,
      toCertificateVerify,
    );
    assert.equal(frameHandshake(HandshakeType.finished, server).toHex(), t.serverFinished.toHex());
    const client = await schedule.finishedVerifyData(
      t.secrets.client_handshake_traffic_secret!,
      t.serverFinishedHash,
    );
    assert.equal(frameHandshake(HandshakeType.finished, client).toHex(), t.clientFinished.toHex());
  });

  // --- record protection ---

  test("the ServerHello record, framed in the clear byte for byte", async () => {
    const [rec] = await sealRecords(new Direction(), ContentType.handshake, t.serverHello);
    assert.equal(rec.toHex(), cat(t.serverHelloRecordHeader, t.serverHello).toHex());
    // The ClientHello record is 16 03 01 ...: RFC 8446 §5.1 lets an initial
    // ClientHello say 0x0301; we always write 0x0303, which it also allows.
    const [ch] = records(cat(t.clientHelloRecordHeader, t.clientHello));
    assert.equal(ch.version, 0x0301);
    const opened = await openRecord(new Direction(), ch);
    assert.equal(opened.encrypted, false);
    assert.equal(opened.content.toHex(), t.clientHello.toHex());
  });

  test("the server's encrypted flight, sealed and opened byte for byte", async () => {
    const secret = t.secrets.server_handshake_traffic_secret!;
    for (const { seq, messages: listed, record } of t.serverFlight) {
      const flight = cat(...listed);
      const sealed = await seal(secret, seq, ContentType.handshake, flight);
      assert.equal(sealed.toHex(), record.toHex(), `record ${seq}`);
      const opened = await open(secret, seq, record);
      assert.equal(opened.type, ContentType.handshake, `record ${seq}`);
      assert.equal(opened.encrypted, true);
      assert.equal(opened.content.toHex(), flight.toHex(), `record ${seq}`);
      const got = messages(opened.content).map((m) => m.raw.toHex());
      assert.deepEqual(got, listed.map((m) => m.toHex()));
    }
  });

  test("the client Finished record, sealed and opened byte for byte", async () => {
    const secret = t.secrets.client_handshake_traffic_secret!;
    const sealed = await seal(secret, 0, ContentType.handshake, t.clientFinished);
    assert.equal(sealed.toHex(), t.clientFinishedRecord.toHex());
    const opened = await open(secret, 0, t.clientFinishedRecord);
    assert.equal(opened.type, ContentType.handshake);
    assert.equal(opened.content.toHex(), t.clientFinished.toHex());
  });

  const applicationSecret = (side: "client" | "server") =>
    t.secrets[`${side}_application_traffic_secret_0`]!;

  test("application-epoch records, both ways, byte for byte", async () => {
    for (const { what, side, seq, type, content, record } of t.applicationRecords) {
      const secret = applicationSecret(side);
      assert.equal((await seal(secret, seq, type, content)).toHex(), record.toHex(), what);
      const opened = await open(secret, seq, record);
      assert.equal(opened.type, type, what);
      assert.equal(opened.content.toHex(), content.toHex(), what);
    }
  });

  test("a record opened with the wrong sequence number fails", async () => {
    for (const { side, seq, record } of t.applicationRecords) {
      await assert.rejects(() => open(applicationSecret(side), seq + 1, record), /bad_record_mac/);
    }
  });

  // --- message codecs ---

  test("ClientHello decodes, and re-encodes identically", () => {
    const fields = t.clientHelloFields;
    const ch = decodeClientHello(body(t.clientHello, HandshakeType.client_hello));
    assert.equal(ch.legacyVersion, 0x0303);
    assert.equal(ch.random.toHex(), fields.random.toHex());
    assert.equal(ch.legacySessionId.toHex(), fields.sessionId.toHex());
    assert.deepEqual(ch.cipherSuites, fields.cipherSuites);
    assert.deepEqual(ch.extensions.map((e) => e.type), fields.extensions);
    const ext = (type: number) => findExtension(ch.extensions, type)!;
    assert.equal(decodeServerName(ext(ExtensionType.server_name)), fields.serverName);
    assert.deepEqual(
      decodeU16List(ext(ExtensionType.supported_groups), ExtensionType.supported_groups),
      fields.groups,
    );
    const shares = decodeClientKeyShares(ext(ExtensionType.key_share));
    assert.equal(shares.length, 1);
    assert.equal(shares[0].group, NamedGroup.x25519);
    assert.equal(shares[0].keyExchange.toHex(), t.client.public.toHex());
    assert.deepEqual(decodeClientVersions(ext(ExtensionType.supported_versions)), [0x0304]);
    assert.ok(
      decodeU16List(ext(ExtensionType.signature_algorithms), ExtensionType.signature_algorithms)
        .includes(SignatureScheme.rsa_pss_rsae_sha256),
    );
    assert.equal(
      frameHandshake(HandshakeType.client_hello, encodeClientHello(ch)).toHex(),
      t.clientHello.toHex(),
    );
  });

  test("ServerHello decodes, and re-encodes identically", () => {
    const fields = t.serverHelloFields;
    const sh = decodeServerHello(body(t.serverHello, HandshakeType.server_hello));
    assert.equal(sh.legacyVersion, 0x0303);
    assert.equal(sh.random.toHex(), fields.random.toHex());
    assert.equal(sh.legacySessionIdEcho.toHex(), fields.sessionIdEcho.toHex());
    assert.equal(sh.cipherSuite, t.suite);
    assert.equal(sh.legacyCompressionMethod, 0);
    assert.deepEqual(sh.extensions.map((e) => e.type), fields.extensions);
    const share = decodeServerKeyShare(findExtension(sh.extensions, ExtensionType.key_share)!);
    assert.equal(share.group, NamedGroup.x25519);
    assert.equal(share.keyExchange.toHex(), t.server.public.toHex());
    assert.equal(
      decodeSelectedVersion(findExtension(sh.extensions, ExtensionType.supported_versions)!),
      0x0304,
    );
    assert.equal(
      frameHandshake(HandshakeType.server_hello, encodeServerHello(sh)).toHex(),
      t.serverHello.toHex(),
    );
  });

  test("EncryptedExtensions, Certificate, CertificateVerify, Finished codecs", () => {
    const ee = decodeEncryptedExtensions(
      body(t.encryptedExtensions, HandshakeType.encrypted_extensions),
    );
    assert.deepEqual(ee.map((e) => e.type), t.encryptedExtensionTypes);
    // An acknowledged server_name is empty (RFC 6066 §3).
    for (const e of ee.filter((e) => e.type === ExtensionType.server_name)) {
      assert.equal(e.data.length, 0);
    }
    assert.equal(
      frameHandshake(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(ee)).toHex(),
      t.encryptedExtensions.toHex(),
    );

    const cert = decodeCertificate(body(t.certificate, HandshakeType.certificate));
    assert.equal(cert.context.length, 0);
    assert.equal(cert.entries.length, 1);
    assert.equal(cert.entries[0].certificate.toHex(), t.certificateDer.toHex());
    assert.equal(cert.entries[0].extensions.length, 0);
    assert.equal(
      frameHandshake(HandshakeType.certificate, encodeCertificate(cert)).toHex(),
      t.certificate.toHex(),
    );

    const cv = decodeCertificateVerify(
      body(t.certificateVerify, HandshakeType.certificate_verify),
    );
    assert.equal(cv.scheme, SignatureScheme.rsa_pss_rsae_sha256);
    assert.equal(cv.signature.length, t.signatureLength);
    assert.equal(
      frameHandshake(HandshakeType.certificate_verify, encodeCertificateVerify(cv)).toHex(),
      t.certificateVerify.toHex(),
    );

    for (const fin of [t.serverFinished, t.clientFinished]) {
      const verifyData = decodeFinished(body(fin, HandshakeType.finished), hashLength);
      assert.equal(frameHandshake(HandshakeType.finished, verifyData).toHex(), fin.toHex());
    }
  });

  test("NewSessionTickets decode to the trace's fields", () => {
    for (const ticket of t.tickets) {
      const nst = decodeNewSessionTicket(body(ticket.message, HandshakeType.new_session_ticket));
      assert.equal(nst.lifetime, ticket.lifetime);
      assert.equal(nst.ageAdd, ticket.ageAdd);
      assert.equal(nst.nonce.toHex(), ticket.nonce);
      assert.equal(nst.ticket.length, ticket.ticketLength);
      assert.deepEqual(
        nst.extensions.map((e: Extension) => [e.type, e.data.toHex()]),
        ticket.extensions,
      );
    }
  });

  test("the server's CertificateVerify verifies with its certificate's key", async () => {
    const spki = leafPublicKey(t.certificateDer);
    const transcript = transcriptHash(
      t.clientHello,
      t.serverHello,
      t.encryptedExtensions,
      t.certificate,
    );
    const cv = decodeCertificateVerify(
      body(t.certificateVerify, HandshakeType.certificate_verify),
    );
    const verifies = (context: "server" | "client", h: Uint8Array) =>
      verifySignature(
        provider,
        cv.scheme,
        spki,
        certificateVerifyContent(context, h),
        cv.signature,
      );
    assert.equal(await verifies("server", transcript), true);
    // The client's context string or a changed hash must not verify.
    assert.equal(await verifies("client", transcript), false);
    const other = transcript.slice();
    other[0] ^= 1;
    assert.equal(await verifies("server", other), false);
  });
}

// --- RFC 8448 §2 and §3 only: the HKDF steps, the RSA key, our server fed the trace ---

function rfc8448Tests(provider: CryptoProvider): void {
  const { hash: SHA256, suite, transcriptHash, seal, direction } = toolsFor(provider, {
    hash: "SHA-256",
    suite: CipherSuite.TLS_AES_128_GCM_SHA256,
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
        return V.SERVER_HELLO.subarray(6, 38).slice();
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
    assert.equal(traced(events, "shared_secret"), V.SHARED_SECRET.toHex());
    assert.equal(traced(events, "secret", "early_secret"), V.EARLY_SECRET.toHex());
    assert.equal(traced(events, "secret", "handshake_secret"), V.HANDSHAKE_SECRET.toHex());
    assert.equal(traced(events, "secret", "master_secret"), V.MASTER_SECRET.toHex());

    // The traffic secrets hash our own ServerHello: the transcript is the
    // trace's ClientHello followed by our ServerHello, keyed from the trace's
    // handshake secret.
    const helloHash = transcriptHash(V.CLIENT_HELLO, ourHello);
    const cHs = await deriveSecret(SHA256, V.HANDSHAKE_SECRET, "c hs traffic", helloHash);
    const sHs = await deriveSecret(SHA256, V.HANDSHAKE_SECRET, "s hs traffic", helloHash);
    assert.equal(traced(events, "secret", "client_handshake_traffic_secret"), cHs.toHex());
    assert.equal(traced(events, "secret", "server_handshake_traffic_secret"), sHs.toHex());

    // Our encrypted flight opens under those keys as sequence number 0.
    const flight = await openRecord(await direction(sHs, 0), out[1]);
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
    const cvHash = transcriptHash(V.CLIENT_HELLO, ourHello, ee.raw, cert.raw);
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
    const schedule = new KeySchedule(suite);
    const finHash = transcriptHash(V.CLIENT_HELLO, ourHello, ee.raw, cert.raw, cv.raw);
    assert.equal(fin.type, HandshakeType.finished);
    assert.equal(fin.body.toHex(), (await schedule.finishedVerifyData(sHs, finHash)).toHex());

    // A client Finished made from the same transcript completes the handshake.
    const clientHash = transcriptHash(V.CLIENT_HELLO, ourHello, ee.raw, cert.raw, cv.raw, fin.raw);
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

// --- The Illustrated TLS 1.3 Connection only: our engines fed its flights ---

function illustratedEngineTests(provider: CryptoProvider): void {
  const { hash: SHA384, suite, transcriptHash } = toolsFor(provider, {
    hash: "SHA-384",
    suite: CipherSuite.TLS_AES_256_GCM_SHA384,
  });

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
      certificate: { chain: [I.SERVER_CERTIFICATE_DER], key: await freshRsaKey() },
      // The page's server (OpenSSL) preferred AES-256; ours prefers AES-128 unless told.
      cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256],
      random: (n) => {
        assert.equal(n, 32);
        return I.SERVER_RANDOM.slice();
      },
      crypto: provider,
      keyShares: (group) => {
        assert.equal(group, NamedGroup.x25519);
        return x25519FromPrivate(provider, I.SERVER_PRIVATE, I.SERVER_PUBLIC);
      },
      trace: (e) => events.push(e),
      keyLog: (line) => keyLog.push(line),
    };
    const server = Connection.server(config);
    await server.receive(cat(I.CLIENT_HELLO_RECORD_HEADER, I.CLIENT_HELLO));
    const out = records(server.takeOutput());
    assert.equal(out.length, 3);

    // ServerHello and the compatibility ChangeCipherSpec: identical to the page.
    assert.equal(
      recordBytes(out[0]).toHex(),
      cat(I.SERVER_HELLO_RECORD_HEADER, I.SERVER_HELLO).toHex(),
    );
    assert.equal(recordBytes(out[1]).toHex(), I.CHANGE_CIPHER_SPEC_RECORD.toHex());

    // Same transcript so far, so the same handshake secrets and keys as the page.
    assert.equal(traced(events, "shared_secret"), I.SHARED_SECRET.toHex());
    assert.equal(traced(events, "secret", "handshake_secret"), I.HANDSHAKE_SECRET.toHex());
    assert.equal(
      traced(events, "secret", "server_handshake_traffic_secret"),
      I.SERVER_HANDSHAKE_TRAFFIC_SECRET.toHex(),
    );
    assert.equal(
      traced(events, "secret", "client_handshake_traffic_secret"),
      I.CLIENT_HANDSHAKE_TRAFFIC_SECRET.toHex(),
    );
    const keys = events.filter((e) => e.kind === "keys" && e.epoch === "handshake") as {
      direction: string;
      key: Uint8Array;
      iv: Uint8Array;
    }[];
    const write = keys.find((k) => k.direction === "server")!;
    const read = keys.find((k) => k.direction === "client")!;
    assert.equal(write.key.toHex(), I.SERVER_HANDSHAKE_KEY.toHex());
    assert.equal(write.iv.toHex(), I.SERVER_HANDSHAKE_IV.toHex());
    assert.equal(read.key.toHex(), I.CLIENT_HANDSHAKE_KEY.toHex());
    assert.equal(read.iv.toHex(), I.CLIENT_HANDSHAKE_IV.toHex());
    // Our key log agrees with the one OpenSSL wrote, line for line.
    assert.deepEqual(
      keyLog.filter((l) => l.includes("_HANDSHAKE_")).sort(),
      I.KEYLOG_HANDSHAKE_LINES.map((l) => l + "\n").sort(),
    );

    // From here on the flights differ, for two reasons: we put the four
    // messages in one record (OpenSSL sends one record each), and we
    // acknowledge server_name in EncryptedExtensions (RFC 6066 §3 allows it;
    // OpenSSL sent none). Our record still opens with the page's server
    // handshake key and IV as sequence number 0.
    const dir = new Direction();
    dir.set(
      await RecordCipher.fromKeys(suite, I.SERVER_HANDSHAKE_KEY, I.SERVER_HANDSHAKE_IV),
      I.SERVER_HANDSHAKE_TRAFFIC_SECRET,
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
    assert.equal(cert.raw.toHex(), I.CERTIFICATE.toHex());
    assert.equal(cv.raw.subarray(0, 8).toHex(), I.CERTIFICATE_VERIFY.subarray(0, 8).toHex());
    const finHash = transcriptHash(I.CLIENT_HELLO, I.SERVER_HELLO, ee.raw, cert.raw, cv.raw);
    assert.equal(
      fin.body.toHex(),
      (await new KeySchedule(suite).finishedVerifyData(I.SERVER_HANDSHAKE_TRAFFIC_SECRET, finHash))
        .toHex(),
    );

    // The page's client Finished opens under the same client handshake keys
    // (no bad_record_mac), but covers the page's EncryptedExtensions, not
    // ours: our server refuses it as decrypt_error.
    await server.receive(I.CHANGE_CIPHER_SPEC_RECORD);
    const refused = await server.receive(I.CLIENT_FINISHED_RECORD).then(() => undefined, (e) => e);
    assert.ok(refused instanceof TlsError, String(refused));
    assert.equal(refused.alert, AlertDescription.decrypt_error);
  });

  Deno.test(`Illustrated TLS 1.3: our client with the page's randoms and key: what matches, and where it must stop [${provider.name}]`, async () => {
    const events: TraceEvent[] = [];
    const randoms = [I.CLIENT_RANDOM, I.SESSION_ID];
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
        return x25519FromPrivate(provider, I.CLIENT_PRIVATE, I.CLIENT_PUBLIC);
      },
      trace: (e) => events.push(e),
    };
    const client = Connection.client(config);
    await client.start();
    const [hello] = records(client.takeOutput());
    assert.equal(hello.type, ContentType.handshake);
    const ours = decodeClientHello(body(hello.fragment, HandshakeType.client_hello));
    const theirs = decodeClientHello(body(I.CLIENT_HELLO, HandshakeType.client_hello));

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
    assert.notEqual(hello.fragment.toHex(), I.CLIENT_HELLO.toHex());

    // Fed the page's ServerHello, our client reaches the page's handshake
    // secret (it does not depend on the transcript)...
    await client.receive(cat(I.SERVER_HELLO_RECORD_HEADER, I.SERVER_HELLO));
    await client.receive(I.CHANGE_CIPHER_SPEC_RECORD);
    assert.equal(traced(events, "shared_secret"), I.SHARED_SECRET.toHex());
    assert.equal(traced(events, "secret", "handshake_secret"), I.HANDSHAKE_SECRET.toHex());
    // ... and derives its traffic secrets from its own transcript.
    const helloHash = transcriptHash(hello.fragment, I.SERVER_HELLO);
    assert.equal(
      traced(events, "secret", "server_handshake_traffic_secret"),
      (await deriveSecret(SHA384, I.HANDSHAKE_SECRET, "s hs traffic", helloHash)).toHex(),
    );

    // So the page's first encrypted record cannot open: bad_record_mac.
    const refused = await client.receive(I.ENCRYPTED_EXTENSIONS_RECORD).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(refused instanceof TlsError && !(refused instanceof PeerAlert), String(refused));
    assert.equal(refused.alert, AlertDescription.bad_record_mac);
  });
}

// --- RFC 8448 §4: the resumed handshake with 0-RTT, from §3's ticket ---

function rfc8448ResumedTests(provider: CryptoProvider): void {
  const { hash: SHA256, suite, transcriptHash } = toolsFor(provider, {
    hash: "SHA-256",
    suite: CipherSuite.TLS_AES_128_GCM_SHA256,
  });
  const CLIENT_HELLO = R.CLIENT_HELLO_RECORD.subarray(5);
  const SERVER_HELLO = R.SERVER_HELLO_RECORD.subarray(5);

  /** A schedule that records what it derives, keyed from §3's resumption PSK. */
  const resumedSchedule = () => {
    const seen = new Map<SecretName, string>();
    const ks = new KeySchedule(suite, (name, value) => seen.set(name, value.toHex()));
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
    dir.set(await RecordCipher.fromSecret(suite, secret), secret, "application");
    dir.cipher!.seq = seq;
    const opened = await openRecord(dir, rec);
    const out = new Direction();
    out.set(await RecordCipher.fromSecret(suite, secret), secret, "application");
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
    assert.equal(transcriptHash(truncated).toHex(), R.BINDER_HASH.toHex());
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
    const early = ks.earlyTrafficSecret(transcriptHash(CLIENT_HELLO));
    assert.equal(early.toHex(), R.CLIENT_EARLY_TRAFFIC_SECRET.toHex());
    assert.equal(seen.get("early_exporter_master_secret"), R.EARLY_EXPORTER_MASTER_SECRET.toHex());
    const { key, iv } = trafficKeys(suite, early);
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
    const hashOf = transcriptHash;
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
    const sKeys = trafficKeys(suite, hs.server);
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
    const aKeys = trafficKeys(suite, app.server);
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
