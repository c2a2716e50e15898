/**
 * The handshake serializer on its own: each message and extension encoder
 * (lib/handshake/messages.ts, extensions.ts, psk_extensions.ts) fed the
 * fields a published trace annotates, field by field, must give that trace's
 * bytes. The vector suites check that decode then encode gives the bytes
 * back; these check the encoders from typed values, without the decoder.
 * Opaque values (randoms, key shares, certificates, signatures, tickets,
 * binders) are taken from the vectors; every length, prefix and code point
 * around them comes from the encoder.
 */

import assert from "node:assert/strict";
import * as V from "./vectors/rfc8448.ts";
import * as R from "./vectors/rfc8448_resumed.ts";
import * as I from "./vectors/illustrated.ts";
import { hex } from "./vectors/hex.ts";
import {
  CipherSuite,
  ExtensionType as X,
  HandshakeType as H,
  NamedGroup,
  SignatureScheme,
} from "../lib/codepoints.ts";
import {
  EMPTY,
  encodeAlpn,
  encodeCertificateAuthorities,
  encodeClientKeyShares,
  encodeClientVersions,
  encodeCookie,
  encodeSelectedGroup,
  encodeSelectedVersion,
  encodeServerKeyShare,
  encodeServerName,
  encodeU16List,
  type Extension,
} from "../lib/handshake/extensions.ts";
import {
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeKeyUpdate,
  encodeNewSessionTicket,
  encodeServerHello,
  frameHandshake,
  HELLO_RETRY_REQUEST_RANDOM,
} from "../lib/handshake/messages.ts";
import {
  encodeMaxEarlyData,
  encodeOfferedPsks,
  encodePskModes,
  encodeSelectedIdentity,
  PskKeyExchangeMode,
} from "../lib/handshake/psk_extensions.ts";

const TLS12 = 0x0303, TLS13 = 0x0304;
const ext = (type: number, data: Uint8Array = EMPTY): Extension => ({ type, data });
const same = (actual: Uint8Array, expected: Uint8Array, what: string) =>
  assert.equal(actual.toHex(), expected.toHex(), what);

/** RFC 8448 §3 and §4: the groups the client lists (x25519, P-256/384/521, ffdhe2048..8192). */
const RFC8448_GROUPS = [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104];
/** RFC 8448 §3 and §4: the client's signature_algorithms, in its order. */
const RFC8448_SCHEMES = [
  ...[0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601],
  ...[0x0201, 0x0402, 0x0502, 0x0602, 0x0202],
];
/** record_size_limit (RFC 8449 §4) of 16385, as both RFC 8448 peers send it. */
const RECORD_SIZE_LIMIT = ext(X.record_size_limit, hex("40 01"));

/** An RFC 8448 client's ClientHello (§3 and §4 differ in random and extensions only). */
const rfc8448ClientHello = (random: Uint8Array, extensions: Extension[]) =>
  encodeClientHello({
    legacyVersion: TLS12,
    random,
    legacySessionId: EMPTY,
    cipherSuites: [0x1301, 0x1303, 0x1302],
    legacyCompressionMethods: Uint8Array.of(0),
    extensions,
  });

Deno.test("encode: RFC 8448 §3 ClientHello from its fields, byte for byte", () => {
  const body = rfc8448ClientHello(V.CLIENT_HELLO.subarray(6, 38), [
    ext(X.server_name, encodeServerName("server")),
    ext(X.renegotiation_info, Uint8Array.of(0)),
    ext(X.supported_groups, encodeU16List(RFC8448_GROUPS)),
    ext(X.session_ticket),
    ext(X.key_share, encodeClientKeyShares([{ group: 0x001d, keyExchange: V.CLIENT_PUBLIC }])),
    ext(X.supported_versions, encodeClientVersions([TLS13])),
    ext(X.signature_algorithms, encodeU16List(RFC8448_SCHEMES)),
    ext(X.psk_key_exchange_modes, encodePskModes([PskKeyExchangeMode.psk_dhe_ke])),
    RECORD_SIZE_LIMIT,
  ]);
  same(frameHandshake(H.client_hello, body), V.CLIENT_HELLO, "ClientHello");
});

Deno.test("encode: RFC 8448 §3 ServerHello, EncryptedExtensions, Certificate, CertificateVerify and Finished from their fields", () => {
  const serverHello = encodeServerHello({
    legacyVersion: TLS12,
    random: V.SERVER_HELLO.subarray(6, 38),
    legacySessionIdEcho: EMPTY,
    cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
    legacyCompressionMethod: 0,
    extensions: [
      ext(X.key_share, encodeServerKeyShare({ group: 0x001d, keyExchange: V.SERVER_PUBLIC })),
      ext(X.supported_versions, encodeSelectedVersion(TLS13)),
    ],
  });
  same(frameHandshake(H.server_hello, serverHello), V.SERVER_HELLO, "ServerHello");
  const encryptedExtensions = encodeEncryptedExtensions([
    ext(X.supported_groups, encodeU16List(RFC8448_GROUPS)),
    RECORD_SIZE_LIMIT,
    ext(X.server_name),
  ]);
  same(
    frameHandshake(H.encrypted_extensions, encryptedExtensions),
    V.ENCRYPTED_EXTENSIONS,
    "EncryptedExtensions",
  );
  const certificate = encodeCertificate({
    context: EMPTY,
    entries: [{ certificate: V.SERVER_CERTIFICATE_DER, extensions: [] }],
  });
  same(frameHandshake(H.certificate, certificate), V.CERTIFICATE, "Certificate");
  const signature = V.CERTIFICATE_VERIFY.subarray(8);
  assert.equal(signature.length, 128, "an RSA-1024 signature");
  const certificateVerify = encodeCertificateVerify({
    scheme: SignatureScheme.rsa_pss_rsae_sha256,
    signature,
  });
  same(
    frameHandshake(H.certificate_verify, certificateVerify),
    V.CERTIFICATE_VERIFY,
    "CertificateVerify",
  );
  same(frameHandshake(H.finished, V.SERVER_FINISHED.subarray(4)), V.SERVER_FINISHED, "Finished");
  same(frameHandshake(H.finished, V.CLIENT_FINISHED.subarray(4)), V.CLIENT_FINISHED, "Finished");
});

Deno.test("encode: RFC 8448 §3 NewSessionTicket with its early_data limit, from its fields", () => {
  const ticket = V.NEW_SESSION_TICKET.subarray(17, 17 + 0xb2);
  const body = encodeNewSessionTicket({
    lifetime: 30,
    ageAdd: 0xfad6aac5,
    nonce: hex("00 00"),
    ticket,
    extensions: [ext(X.early_data, encodeMaxEarlyData(1024))],
  });
  same(frameHandshake(H.new_session_ticket, body), V.NEW_SESSION_TICKET, "NewSessionTicket");
});

Deno.test("encode: RFC 8448 §4 resumed ClientHello (early_data, padding, pre_shared_key) and ServerHello from their fields", () => {
  const ticket = V.NEW_SESSION_TICKET.subarray(17, 17 + 0xb2);
  const clientHello = R.CLIENT_HELLO_RECORD.subarray(5);
  const body = rfc8448ClientHello(clientHello.subarray(6, 38), [
    ext(X.server_name, encodeServerName("server")),
    ext(X.renegotiation_info, Uint8Array.of(0)),
    ext(X.supported_groups, encodeU16List(RFC8448_GROUPS)),
    ext(X.key_share, encodeClientKeyShares([{ group: 0x001d, keyExchange: R.CLIENT_PUBLIC }])),
    ext(X.early_data),
    ext(X.supported_versions, encodeClientVersions([TLS13])),
    ext(X.signature_algorithms, encodeU16List(RFC8448_SCHEMES)),
    ext(X.psk_key_exchange_modes, encodePskModes([PskKeyExchangeMode.psk_dhe_ke])),
    RECORD_SIZE_LIMIT,
    ext(X.padding, new Uint8Array(0x57)),
    ext(
      X.pre_shared_key,
      encodeOfferedPsks({
        identities: [{ identity: ticket, obfuscatedTicketAge: 0xfad6aacb }],
        binders: [R.BINDER],
      }),
    ),
  ]);
  same(frameHandshake(H.client_hello, body), clientHello, "resumed ClientHello");
  const serverHello = R.SERVER_HELLO_RECORD.subarray(5);
  const sh = encodeServerHello({
    legacyVersion: TLS12,
    random: serverHello.subarray(6, 38),
    legacySessionIdEcho: EMPTY,
    cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
    legacyCompressionMethod: 0,
    extensions: [
      ext(X.pre_shared_key, encodeSelectedIdentity(0)),
      ext(X.key_share, encodeServerKeyShare({ group: 0x001d, keyExchange: R.SERVER_PUBLIC })),
      ext(X.supported_versions, encodeSelectedVersion(TLS13)),
    ],
  });
  same(frameHandshake(H.server_hello, sh), serverHello, "resumed ServerHello");
});

Deno.test("encode: the Illustrated ClientHello, ServerHello, EncryptedExtensions and NewSessionTicket from their fields", () => {
  const clientHello = encodeClientHello({
    legacyVersion: TLS12,
    random: I.CLIENT_RANDOM,
    legacySessionId: I.SESSION_ID,
    cipherSuites: [0x1302, 0x1303, 0x1301, 0x00ff],
    legacyCompressionMethods: Uint8Array.of(0),
    extensions: [
      ext(X.server_name, encodeServerName("example.ulfheim.net")),
      ext(X.ec_point_formats, hex("03 00 01 02")),
      ext(
        X.supported_groups,
        encodeU16List([
          0x001d,
          0x0017,
          0x001e,
          0x0019,
          0x0018,
          0x0100,
          0x0101,
          0x0102,
          0x0103,
          0x0104,
        ]),
      ),
      ext(X.session_ticket),
      ext(X.encrypt_then_mac),
      ext(X.extended_master_secret),
      ext(
        X.signature_algorithms,
        encodeU16List([
          ...[0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805],
          ...[0x0806, 0x0401, 0x0501, 0x0601],
        ]),
      ),
      ext(X.supported_versions, encodeClientVersions([TLS13])),
      ext(X.psk_key_exchange_modes, encodePskModes([PskKeyExchangeMode.psk_dhe_ke])),
      ext(X.key_share, encodeClientKeyShares([{ group: 0x001d, keyExchange: I.CLIENT_PUBLIC }])),
    ],
  });
  same(frameHandshake(H.client_hello, clientHello), I.CLIENT_HELLO, "ClientHello");
  const serverHello = encodeServerHello({
    legacyVersion: TLS12,
    random: I.SERVER_RANDOM,
    legacySessionIdEcho: I.SESSION_ID,
    cipherSuite: CipherSuite.TLS_AES_256_GCM_SHA384,
    legacyCompressionMethod: 0,
    extensions: [
      ext(X.supported_versions, encodeSelectedVersion(TLS13)),
      ext(X.key_share, encodeServerKeyShare({ group: 0x001d, keyExchange: I.SERVER_PUBLIC })),
    ],
  });
  same(frameHandshake(H.server_hello, serverHello), I.SERVER_HELLO, "ServerHello");
  same(
    frameHandshake(H.encrypted_extensions, encodeEncryptedExtensions([])),
    I.ENCRYPTED_EXTENSIONS,
    "EncryptedExtensions",
  );
  for (const [n, expected] of [[0, I.NEW_SESSION_TICKET_1], [1, I.NEW_SESSION_TICKET_2]] as const) {
    const ticket = expected.subarray(23);
    const body = encodeNewSessionTicket({
      lifetime: 7200,
      ageAdd: 0,
      nonce: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, n),
      ticket: ticket.subarray(0, 0xc0),
      extensions: [],
    });
    same(frameHandshake(H.new_session_ticket, body), expected, `NewSessionTicket ${n + 1}`);
  }
});

Deno.test("encode: a HelloRetryRequest (RFC 8446 §4.1.4): the special random, selected group and cookie", async () => {
  // RFC 8446 §4.1.3: the random is SHA-256("HelloRetryRequest").
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode("HelloRetryRequest"),
  );
  same(HELLO_RETRY_REQUEST_RANDOM, new Uint8Array(digest), "random");
  const cookie = hex("c0 0c 1e");
  const body = encodeServerHello({
    legacyVersion: TLS12,
    random: HELLO_RETRY_REQUEST_RANDOM,
    legacySessionIdEcho: EMPTY,
    cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
    legacyCompressionMethod: 0,
    extensions: [
      ext(X.supported_versions, encodeSelectedVersion(TLS13)),
      ext(X.key_share, encodeSelectedGroup(NamedGroup.secp256r1)),
      ext(X.cookie, encodeCookie(cookie)),
    ],
  });
  same(
    frameHandshake(H.server_hello, body),
    hex(`02 00 00 3d 03 03 ${HELLO_RETRY_REQUEST_RANDOM.toHex()} 00 13 01 00
         00 15  00 2b 00 02 03 04  00 33 00 02 00 17  00 2c 00 05 00 03 c0 0c 1e`),
    "HelloRetryRequest",
  );
});

Deno.test("encode: CertificateRequest with signature_algorithms and certificate_authorities, ALPN, KeyUpdate", () => {
  const dn = hex("30 0e 31 0c 30 0a 06 03 55 04 03 13 03 72 73 61"); // CN=rsa, from RFC 8448 §3's certificate
  const body = encodeCertificateRequest({
    context: EMPTY,
    extensions: [
      ext(X.signature_algorithms, encodeU16List([0x0804, 0x0403])),
      ext(X.certificate_authorities, encodeCertificateAuthorities([dn, dn])),
    ],
  });
  same(
    frameHandshake(H.certificate_request, body),
    hex(`0d 00 00 37 00 00 34  00 0d 00 06 00 04 08 04 04 03
         00 2f 00 26 00 24 00 10 ${dn.toHex()} 00 10 ${dn.toHex()}`),
    "CertificateRequest",
  );
  // RFC 7301 §3.1: a list of 8-bit-prefixed names under a 16-bit length.
  same(encodeAlpn(["h2", "http/1.1"]), hex("00 0c 02 68 32 08 68 74 74 70 2f 31 2e 31"), "ALPN");
  // RFC 8446 §4.6.3: update_not_requested(0), update_requested(1).
  same(frameHandshake(H.key_update, encodeKeyUpdate(false)), hex("18 00 00 01 00"), "KeyUpdate");
  same(frameHandshake(H.key_update, encodeKeyUpdate(true)), hex("18 00 00 01 01"), "KeyUpdate");
});
