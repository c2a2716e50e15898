/**
 * A server fed crafted ClientHellos: each malformed or forbidden one ends in
 * the alert RFC 8446 names for it, sent before the connection closes.
 */

import assert from "node:assert/strict";
import { AlertDescription, type TlsErrorCode } from "../lib/errors.ts";
import { ExtensionType, HandshakeType, NamedGroup, ProtocolVersion } from "../lib/codepoints.ts";
import {
  decodeCookie,
  encodeAlpn,
  encodeClientKeyShares,
  encodeClientVersions,
  encodeCookie,
  encodeU16List,
  findExtension,
} from "../lib/handshake/extensions.ts";
import {
  type ClientHello,
  decodeServerHello,
  encodeClientHello,
  isHelloRetryRequest,
} from "../lib/handshake/messages.ts";
import { Writer } from "../lib/wire/writer.ts";
import { makeCertSet } from "./helpers/certs.ts";
import {
  assertAlert,
  clientHelloRecord,
  handshakeRecord,
  Probe,
  validClientHello,
  withExtension,
} from "./helpers/hostile.ts";
import { serverConfigFor } from "./helpers/pair.ts";
import { groupOf, PROVIDERS } from "./helpers/providers.ts";
import { messages, records } from "./vectors/wire.ts";

/** What a refusal is checked for: its code, a pattern of its message, or both. */
type Expected = TlsErrorCode | RegExp | [TlsErrorCode, RegExp];

const set = await makeCertSet();
for (const crypto of PROVIDERS) {
  const config = await serverConfigFor(set, { crypto });
  const A = AlertDescription;
  const X = ExtensionType;

  /** Feeds one ClientHello (changed by `change`) to a fresh server. */
  const sendHello = async (
    change: (ch: ClientHello) => ClientHello | Uint8Array,
    extra = {},
  ): Promise<Probe> => {
    const p = Probe.server({ ...config, ...extra });
    const ch = change(await validClientHello());
    await p.feed(ch instanceof Uint8Array ? ch : clientHelloRecord(ch));
    return p;
  };

  const hybridShare = (await groupOf(crypto, NamedGroup.X25519MLKEM768).start()).share;
  const shares = (...entries: [number, Uint8Array][]) =>
    encodeClientKeyShares(entries.map(([group, keyExchange]) => ({ group, keyExchange })));

  Deno.test(`hostile ClientHello: the valid one starting every case gets a ServerHello [${crypto.name}]`, async () => {
    const p = await sendHello((ch) => ch);
    assert.equal(p.error, undefined);
    assert.equal(records(p.sent)[0].fragment[0], HandshakeType.server_hello);
  });

  const cases: [
    string,
    (ch: ClientHello) => ClientHello | Uint8Array,
    number,
    Expected,
    object?,
  ][] = [
    [
      "no supported_versions (a TLS 1.2 client)",
      (ch) => withExtension(ch, X.supported_versions),
      A.protocol_version,
      ["client_lacks_tls13", /the client offers only TLS 1\.2 \(no supported_versions\)/],
    ],
    [
      "no extensions at all",
      (ch) =>
        handshakeRecord(
          HandshakeType.client_hello,
          encodeClientHello({ ...ch, extensions: [] }).subarray(0, -2),
        ),
      A.protocol_version,
      "client_lacks_tls13",
    ],
    [
      "supported_versions without TLS 1.3",
      (ch) =>
        withExtension(
          ch,
          X.supported_versions,
          encodeClientVersions([0x0a0a, ProtocolVersion.TLSv1_2, ProtocolVersion.TLSv1_1]),
        ),
      A.protocol_version,
      ["client_lacks_tls13", /offers TLS 1\.2, TLS 1\.1, not TLS 1\.3/],
    ],
    [
      "supported_versions with a trailing byte",
      (ch) =>
        withExtension(
          ch,
          X.supported_versions,
          Uint8Array.of(...encodeClientVersions([ProtocolVersion.TLSv1_3]), 0),
        ),
      A.decode_error,
      "trailing_bytes",
    ],
    [
      "supported_versions of odd length",
      (ch) => withExtension(ch, X.supported_versions, Uint8Array.of(3, 3, 4, 3)),
      A.decode_error,
      "vector_odd_length",
    ],
    [
      "one extension twice",
      (ch) => ({
        ...ch,
        extensions: [...ch.extensions, ch.extensions.find((e) => e.type === X.supported_groups)!],
      }),
      A.illegal_parameter,
      "duplicate_extension",
    ],
    [
      "a key share for a group not in supported_groups",
      (ch) =>
        withExtension(
          ch,
          X.supported_groups,
          encodeU16List([NamedGroup.secp256r1, NamedGroup.secp384r1]),
        ),
      A.illegal_parameter,
      ["key_share_group_not_supported", /a key share for x25519/],
    ],
    [
      "two key shares for one group",
      (ch) =>
        withExtension(
          ch,
          X.key_share,
          shares([NamedGroup.x25519, new Uint8Array(32).fill(9)], [
            NamedGroup.x25519,
            new Uint8Array(32).fill(9),
          ]),
        ),
      A.illegal_parameter,
      "duplicate_key_share",
    ],
    [
      "an all-zero X25519 share (the shared secret would be zero)",
      (ch) => withExtension(ch, X.key_share, shares([NamedGroup.x25519, new Uint8Array(32)])),
      A.illegal_parameter,
      ["invalid_key_share", /x25519 key share (gives an all-zero shared secret|is not usable)/],
    ],
    [
      "a low-order X25519 point (1)",
      (ch) =>
        withExtension(
          ch,
          X.key_share,
          shares([NamedGroup.x25519, new Uint8Array(32).with(0, 1)]),
        ),
      A.illegal_parameter,
      ["invalid_key_share", /x25519 key share (gives an all-zero shared secret|is not usable)/],
    ],
    [
      "an X25519 share of 31 bytes",
      (ch) =>
        withExtension(ch, X.key_share, shares([NamedGroup.x25519, new Uint8Array(31).fill(9)])),
      A.illegal_parameter,
      ["invalid_key_share", /x25519 key share is 31 bytes, expected 32/],
    ],
    [
      "an X25519MLKEM768 share one byte short",
      (ch) =>
        withExtension(
          withExtension(ch, X.supported_groups, encodeU16List([NamedGroup.X25519MLKEM768])),
          X.key_share,
          shares([NamedGroup.X25519MLKEM768, hybridShare.subarray(1)]),
        ),
      A.illegal_parameter,
      [
        "invalid_key_share",
        /X25519MLKEM768 key share is 1215 bytes, expected 1216 \(ML-KEM-768 encapsulation key 1184 \+ X25519 public key 32\)/,
      ],
    ],
    [
      "an X25519MLKEM768 encapsulation key with a coefficient not below q",
      (ch) =>
        withExtension(
          withExtension(ch, X.supported_groups, encodeU16List([NamedGroup.X25519MLKEM768])),
          X.key_share,
          // Coefficient 0 (the first 12 bits, little-endian) set to 4095.
          shares([
            NamedGroup.X25519MLKEM768,
            hybridShare.with(0, 0xff).with(1, hybridShare[1] | 0x0f),
          ]),
        ),
      A.illegal_parameter,
      [
        "invalid_key_share",
        /X25519MLKEM768 key share has an ML-KEM-768 encapsulation key that fails the FIPS 203 modulus check \(coefficient 0 is 4095/,
      ],
    ],
    [
      "an X25519MLKEM768 share whose X25519 half is all zeros",
      (ch) =>
        withExtension(
          withExtension(ch, X.supported_groups, encodeU16List([NamedGroup.X25519MLKEM768])),
          X.key_share,
          shares([NamedGroup.X25519MLKEM768, hybridShare.slice().fill(0, 1184)]),
        ),
      A.illegal_parameter,
      ["invalid_key_share", /X25519MLKEM768 key share has an unusable X25519 half/],
    ],
    [
      "an empty key_exchange",
      (ch) => withExtension(ch, X.key_share, Uint8Array.of(0, 4, 0, 0x1d, 0, 0)),
      A.decode_error,
      "vector_too_short",
    ],
    [
      "a P-256 point off the curve",
      (ch) =>
        withExtension(
          ch,
          X.key_share,
          shares([NamedGroup.secp256r1, new Uint8Array(65).fill(7).with(0, 4)]),
        ),
      A.illegal_parameter,
      ["invalid_key_share", /secp256r1 key share is not a point on the curve/],
      { groups: [NamedGroup.secp256r1] },
    ],
    [
      "a compressed P-256 point",
      (ch) =>
        withExtension(
          ch,
          X.key_share,
          shares([NamedGroup.secp256r1, new Uint8Array(33).fill(7).with(0, 2)]),
        ),
      A.illegal_parameter,
      ["invalid_key_share", /secp256r1 key share is 33 bytes, expected 65/],
      { groups: [NamedGroup.secp256r1] },
    ],
    [
      "a P-256 point with a bad form byte",
      (ch) =>
        withExtension(
          ch,
          X.key_share,
          shares([NamedGroup.secp256r1, new Uint8Array(65).fill(7).with(0, 5)]),
        ),
      A.illegal_parameter,
      ["invalid_key_share", /not an uncompressed point/],
      { groups: [NamedGroup.secp256r1] },
    ],
    [
      "compression methods other than null",
      (ch) => ({ ...ch, legacyCompressionMethods: Uint8Array.of(1, 0) }),
      A.illegal_parameter,
      "compression_not_null",
    ],
    [
      "only the DEFLATE compression method",
      (ch) => ({ ...ch, legacyCompressionMethods: Uint8Array.of(1) }),
      A.illegal_parameter,
      "compression_not_null",
    ],
    [
      "no compression methods",
      (ch) => ({ ...ch, legacyCompressionMethods: new Uint8Array(0) }),
      A.decode_error,
      "vector_too_short",
    ],
    [
      "a trailing byte after the extensions",
      (ch) => {
        const body = encodeClientHello(ch);
        return handshakeRecord(HandshakeType.client_hello, Uint8Array.of(...body, 0));
      },
      A.decode_error,
      "trailing_bytes",
    ],
    [
      "an extension block longer than the message",
      (ch) => {
        const body = encodeClientHello(ch);
        const at = body.length - ch.extensions.reduce((n, e) => n + 4 + e.data.length, 0) - 2;
        const len = ((body[at] << 8) | body[at + 1]) + 1;
        return handshakeRecord(
          HandshakeType.client_hello,
          body.with(at, len >> 8).with(at + 1, len & 0xff),
        );
      },
      A.decode_error,
      "message_truncated",
    ],
    [
      "a session id of 33 bytes",
      (ch) => ({ ...ch, legacySessionId: new Uint8Array(33) }),
      A.decode_error,
      "legacy_session_id_too_long",
    ],
    [
      "no cipher suites",
      (ch) => ({ ...ch, cipherSuites: [] }),
      A.decode_error,
      "vector_too_short",
    ],
    [
      "no cipher suite in common",
      (ch) => ({ ...ch, cipherSuites: [0x1304, 0x00ff] }),
      A.handshake_failure,
      "no_common_cipher_suite",
    ],
    [
      "no key_share",
      (ch) => withExtension(ch, X.key_share),
      A.missing_extension,
      "missing_key_share",
    ],
    [
      "no supported_groups",
      (ch) => withExtension(ch, X.supported_groups),
      A.missing_extension,
      "missing_supported_groups",
    ],
    [
      "no signature_algorithms",
      (ch) => withExtension(ch, X.signature_algorithms),
      A.missing_extension,
      "missing_signature_algorithms",
    ],
    [
      "pre_shared_key not the last extension",
      (ch) => ({
        ...ch,
        extensions: [
          { type: X.pre_shared_key, data: Uint8Array.of(0, 0, 0, 0) },
          ...ch.extensions,
        ],
      }),
      A.illegal_parameter,
      "psk_not_last_extension",
    ],
    [
      "two host names in server_name",
      (ch) => {
        const w = new Writer(64);
        w.u16Prefixed(() => {
          w.u8(0).vec16(new TextEncoder().encode("a.example"));
          w.u8(0).vec16(new TextEncoder().encode("b.example"));
        });
        return withExtension(ch, X.server_name, w.finish());
      },
      A.illegal_parameter,
      "server_name_multiple_host_names",
    ],
    [
      "an empty ALPN protocol name",
      (ch) => withExtension(ch, X.application_layer_protocol_negotiation, Uint8Array.of(0, 1, 0)),
      A.decode_error,
      "vector_too_short",
      { alpn: ["h2"] },
    ],
    [
      "a ServerHello where the ClientHello belongs",
      (ch) => handshakeRecord(HandshakeType.server_hello, encodeClientHello(ch)),
      A.unexpected_message,
      "unexpected_handshake_message",
    ],
  ];

  for (const [name, change, alert, message, extra] of cases) {
    Deno.test(`hostile ClientHello: ${name} → ${AlertDescription.name(alert)} [${crypto.name}]`, async () => {
      await assertAlert(await sendHello(change, extra), alert, ...[message].flat());
    });
  }

  // --- the second ClientHello, after a HelloRetryRequest (RFC 8446 §4.1.2) ---

  /**
   * A server that takes only P-256 answers a ClientHello with an x25519 share
   * with a HelloRetryRequest; `change` turns the correct second ClientHello
   * into the one sent.
   */
  const secondHello = async (change: (second: ClientHello, first: ClientHello) => ClientHello) => {
    const p = Probe.server({ ...config, groups: [NamedGroup.secp256r1] });
    const first = await validClientHello();
    await p.feed(clientHelloRecord(first));
    const hrr = decodeServerHello(messages(records(p.takeSent())[0].fragment)[0].body);
    assert.ok(isHelloRetryRequest(hrr));
    const cookie = decodeCookie(findExtension(hrr.extensions, X.cookie)!);
    const share = await groupOf(crypto, NamedGroup.secp256r1).start();
    let second = withExtension(
      first,
      X.key_share,
      shares([NamedGroup.secp256r1, share.share]),
    );
    second = withExtension(second, X.cookie, encodeCookie(cookie));
    await p.feed(clientHelloRecord(change(second, first)));
    return p;
  };

  Deno.test(`hostile ClientHello: the correct second ClientHello is accepted [${crypto.name}]`, async () => {
    const p = await secondHello((second) => second);
    assert.equal(p.error, undefined);
    assert.ok(p.sent.length > 0);
  });

  const retries: [string, (s: ClientHello, f: ClientHello) => ClientHello, number, Expected][] = [
    [
      "a new random",
      (s) => ({ ...s, random: new Uint8Array(32) }),
      A.illegal_parameter,
      ["retry_client_hello_changed", /changed the random/],
    ],
    [
      "another session id",
      (s) => ({ ...s, legacySessionId: new Uint8Array(32) }),
      A.illegal_parameter,
      ["retry_client_hello_changed", /changed legacy_session_id/],
    ],
    [
      "other cipher suites",
      (s) => ({ ...s, cipherSuites: [0x1302] }),
      A.illegal_parameter,
      ["retry_client_hello_changed", /changed the cipher suites/],
    ],
    [
      "another supported_groups",
      (s) => withExtension(s, X.supported_groups, encodeU16List([NamedGroup.secp256r1])),
      A.illegal_parameter,
      ["retry_client_hello_changed", /changed the supported_groups extension/],
    ],
    [
      "an added extension",
      (s) => withExtension(s, X.application_layer_protocol_negotiation, encodeAlpn(["h2"])),
      A.illegal_parameter,
      ["retry_client_hello_changed", /added application_layer_protocol_negotiation/],
    ],
    [
      "a dropped extension",
      (s) => withExtension(s, X.signature_algorithms),
      A.illegal_parameter,
      ["retry_client_hello_changed", /changed the signature_algorithms extension/],
    ],
    [
      "no cookie",
      (s) => withExtension(s, X.cookie),
      A.missing_extension,
      "retry_cookie_missing",
    ],
    [
      "no key share at all",
      (s) => withExtension(s, X.key_share),
      A.missing_extension,
      "missing_key_share",
    ],
    [
      "another cookie",
      (s) => withExtension(s, X.cookie, encodeCookie(new Uint8Array(32))),
      A.illegal_parameter,
      ["retry_client_hello_changed", /changed the cookie/],
    ],
    [
      "the first key share again",
      (s, f) => withExtension(s, X.key_share, findExtension(f.extensions, X.key_share)),
      A.illegal_parameter,
      ["retry_key_share_wrong", /exactly one key share, for secp256r1/],
    ],
    [
      "early data",
      (s) => withExtension(s, X.early_data, new Uint8Array(0)),
      A.illegal_parameter,
      "early_data_after_retry",
    ],
    [
      "compression methods added",
      (s) => ({ ...s, legacyCompressionMethods: Uint8Array.of(0, 1) }),
      A.illegal_parameter,
      "compression_not_null",
    ],
  ];

  for (const [name, change, alert, message] of retries) {
    Deno.test(`hostile second ClientHello: ${name} → ${AlertDescription.name(alert)} [${crypto.name}]`, async () => {
      await assertAlert(await secondHello(change), alert, ...[message].flat());
    });
  }
}
