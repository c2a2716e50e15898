/**
 * Our client against a server that lies (tests/helpers/scripted_server.ts),
 * in memory, verifying with the real path validator: a wrong Finished, a
 * CertificateVerify over the wrong transcript or by the wrong key, a
 * certificate signed by the wrong key, a ServerHello choosing what was never
 * offered, HelloRetryRequests twice or pointless, a huge certificate,
 * malformed messages and records, and data after close_notify. Each ends
 * with the RFC's alert, which reaches the server, and a message that says
 * what the server did.
 */

import assert from "node:assert/strict";
import { AlertDescription, PeerAlert, type TlsErrorCode } from "../lib/errors.ts";
import { ContentType, ExtensionType, HandshakeType, NamedGroup } from "../lib/codepoints.ts";
import type { ClientConfig } from "../lib/config.ts";
import { webcrypto } from "../lib/crypto/webcrypto/mod.ts";
import { encodeSelectedVersion, encodeServerKeyShare } from "../lib/handshake/extensions.ts";
import { createRootCa, issueLeaf } from "../lib/x509/issue.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { concat } from "../lib/wire/writer.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { assertAlert, Probe } from "./helpers/hostile.ts";
import { acceptAnything } from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";
import { leafPublicKey } from "../lib/x509/leaf.ts";
import { type Script, ScriptedServer } from "./helpers/scripted_server.ts";

const A = AlertDescription;
const X = ExtensionType;
const set = await makeCertSet({ names: ["localhost"] });
// The scripted server is the test's peer: its key is on WebCrypto whichever provider our client uses.
const identity = {
  chain: set.serverChain,
  key: await webcrypto.loadSigningKey(set.server.privateKey),
};
const verifier = new PathVerifier([set.ca.certificate]);
const utf8 = (s: string) => new TextEncoder().encode(s);

for (const crypto of PROVIDERS) {
  /** Runs our client against `script` until both are quiet; the client's alert reaches the server. */
  const against = async (script: Script, client: Partial<ClientConfig> = {}) => {
    const p = await Probe.client({ crypto, verifier, serverName: "localhost", ...client });
    const server = new ScriptedServer(identity, script);
    for (let round = 0; round < 10; round++) {
      const out = p.takeSent();
      const back = out.length ? await server.receive(out) : new Uint8Array(0);
      if (back.length === 0 || p.error) break;
      await p.feed(back);
    }
    await server.receive(p.takeSent());
    return { client: p, server };
  };

  /** Asserts the client refused with `alert`, and the server received it. */
  const refused = async (
    r: Awaited<ReturnType<typeof against>>,
    alert: number,
    ...expected: (TlsErrorCode | RegExp)[]
  ) => {
    await assertAlert(r.client, alert, ...expected);
    assert.deepEqual(r.server.alerts, [alert], "the server received the alert");
  };

  Deno.test(`malicious server: the honest script completes a handshake [${crypto.name}]`, async () => {
    const r = await against({
      after: [{ type: ContentType.application_data, content: utf8("hi") }],
    });
    assert.equal(r.client.error, undefined);
    assert.ok(r.client.conn.handshakeInfo);
    const data = r.client.conn.takeEvents().flatMap((e) => e.type === "data" ? [e.data] : []);
    assert.deepEqual(data, [utf8("hi")]);
  });

  Deno.test(`malicious server: a wrong Finished is decrypt_error [${crypto.name}]`, async () => {
    const r = await against({ finished: (v) => v.with(0, v[0] ^ 1) });
    await refused(r, A.decrypt_error, "bad_finished");
  });

  Deno.test(`malicious server: a CertificateVerify over the wrong transcript is decrypt_error [${crypto.name}]`, async () => {
    const r = await against({ signedHash: (h) => h.map((b) => b ^ 0xff) });
    await refused(
      r,
      A.decrypt_error,
      "bad_certificate_verify_signature",
    );
  });

  Deno.test(`malicious server: a CertificateVerify signed by a key other than the certificate's is decrypt_error [${crypto.name}]`, async () => {
    const other = await makeCertSet({ names: ["localhost"] });
    const r = await against({ signer: await webcrypto.loadSigningKey(other.server.privateKey) });
    await refused(r, A.decrypt_error, "bad_certificate_verify_signature");
  });

  Deno.test(`malicious server: a certificate signed by the wrong key is refused by the path validator [${crypto.name}]`, async () => {
    // An impostor CA with the trusted CA's name signs a leaf for localhost; the server holds its key.
    const name = "hostile test CA";
    const trusted = await createRootCa({ commonName: name });
    const impostor = await createRootCa({ commonName: name });
    const leaf = await issueLeaf(impostor, { names: ["localhost"], usage: "server" });
    const r = await against(
      { chain: [leaf.certificate], signer: await webcrypto.loadSigningKey(leaf.privateKey) },
      { verifier: new PathVerifier([trusted.certificate]) },
    );
    await refused(r, A.unknown_ca, /not by trust anchor .*the signature does not verify/);
  });

  Deno.test(`malicious server: a certificate whose signature was altered is bad_certificate [${crypto.name}]`, async () => {
    const leaf = set.serverChain[0];
    const altered = leaf.with(leaf.length - 1, leaf[leaf.length - 1] ^ 1);
    const r = await against({ chain: [altered] });
    await refused(
      r,
      A.bad_certificate,
      /signature on .* does not verify with the public key of trust anchor/,
    );
  });

  Deno.test(`malicious server: a certificate whose public key is malformed is bad_certificate, even unverified [${crypto.name}]`, async () => {
    const leaf = set.serverChain[0];
    const spki = leafPublicKey(leaf);
    const at = indexOf(leaf, spki) + 2; // the AlgorithmIdentifier SEQUENCE inside the SPKI
    const r = await against({ chain: [leaf.with(at, 0x31)] }, { verifier: acceptAnything });
    await refused(r, A.bad_certificate, "cert_unparseable", /expected DER tag 0x30/);
  });

  /** Where `part` starts in `whole`. */
  const indexOf = (whole: Uint8Array, part: Uint8Array): number => {
    for (let i = 0; i + part.length <= whole.length; i++) {
      if (part.every((b, k) => whole[i + k] === b)) return i;
    }
    throw new Error("not found");
  };

  Deno.test(`malicious server: a ServerHello choosing a cipher suite never offered is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({ suite: 0x1302 }, { cipherSuites: [0x1301] });
    await refused(r, A.illegal_parameter, "selected_unoffered_cipher_suite");
  });

  Deno.test(`malicious server: a ServerHello choosing an unimplemented suite is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({ suite: 0x1304 });
    await refused(r, A.illegal_parameter, "selected_unoffered_cipher_suite");
  });

  Deno.test(`malicious server: a key share for a group never offered is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({ group: NamedGroup.secp384r1 }, {
      groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    });
    await refused(
      r,
      A.illegal_parameter,
      "selected_unoffered_group",
    );
  });

  Deno.test(`malicious server: a key share for an offered group that had no share is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({ group: NamedGroup.secp256r1 });
    await refused(
      r,
      A.illegal_parameter,
      "selected_unoffered_group",
    );
  });

  Deno.test(`malicious server: a key share off the curve is illegal_parameter [${crypto.name}]`, async () => {
    const bad = new Uint8Array(65).fill(3).with(0, 4);
    const r = await against(
      {
        serverHello: (sh) => {
          const i = sh.extensions.findIndex((e) => e.type === X.key_share);
          sh.extensions[i] = {
            type: X.key_share,
            data: encodeServerKeyShare({ group: NamedGroup.secp256r1, keyExchange: bad }),
          };
        },
      },
      { groups: [NamedGroup.secp256r1] },
    );
    await refused(
      r,
      A.illegal_parameter,
      "invalid_key_share",
      /secp256r1 key share is not a point/,
    );
  });

  for (
    const [name, length, message] of [
      ["one byte short", 1119, /X25519MLKEM768 key share is 1119 bytes, expected 1120/],
      [
        "as long as a client's share",
        1216,
        /X25519MLKEM768 key share is 1216 bytes, expected 1120/,
      ],
    ] as const
  ) {
    Deno.test(`malicious server: an X25519MLKEM768 share ${name} is illegal_parameter [${crypto.name}]`, async () => {
      const r = await against({
        serverHello: (sh) => {
          const i = sh.extensions.findIndex((e) => e.type === X.key_share);
          sh.extensions[i] = {
            type: X.key_share,
            data: encodeServerKeyShare({
              group: NamedGroup.X25519MLKEM768,
              keyExchange: new Uint8Array(length).fill(5),
            }),
          };
        },
      });
      await refused(r, A.illegal_parameter, "invalid_key_share", message);
    });
  }

  Deno.test(`malicious server: an X25519MLKEM768 share whose X25519 half is all zeros is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({
      serverHello: (sh) => {
        const i = sh.extensions.findIndex((e) => e.type === X.key_share);
        sh.extensions[i] = {
          type: X.key_share,
          data: encodeServerKeyShare({
            group: NamedGroup.X25519MLKEM768,
            keyExchange: new Uint8Array(1120).fill(5, 0, 1088),
          }),
        };
      },
    });
    await refused(r, A.illegal_parameter, "invalid_key_share", /unusable X25519 half/);
  });

  for (
    const [name, version, alert, message] of [
      ["TLS 1.2", 0x0303, A.illegal_parameter, "selected_unoffered_version"],
      ["an unknown version", 0x0305, A.illegal_parameter, "selected_unoffered_version"],
    ] as const
  ) {
    Deno.test(`malicious server: supported_versions choosing ${name} is ${A.name(alert)} [${crypto.name}]`, async () => {
      const r = await against({
        serverHello: (sh) => {
          sh.extensions[0] = { type: X.supported_versions, data: encodeSelectedVersion(version) };
        },
      });
      await refused(r, alert, message);
    });
  }

  Deno.test(`malicious server: a ServerHello with legacy_version SSL 3.0 is protocol_version, though it selects TLS 1.3 [${crypto.name}]`, async () => {
    // RFC 8446 Appendix D.5.
    const r = await against({ serverHello: (sh) => void (sh.legacyVersion = 0x0300) });
    await refused(
      r,
      A.protocol_version,
      "legacy_version_too_old",
    );
  });

  Deno.test(`malicious server: a ServerHello without supported_versions (TLS 1.2) is protocol_version [${crypto.name}]`, async () => {
    const r = await against({
      serverHello: (sh) => {
        sh.extensions = sh.extensions.filter((e) => e.type !== X.supported_versions);
      },
    });
    await refused(
      r,
      A.protocol_version,
      "server_chose_old_version",
    );
  });

  Deno.test(`malicious server: a ServerHello not echoing the session id is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({
      serverHello: (sh) => {
        sh.legacySessionIdEcho = new Uint8Array(32);
      },
    });
    await refused(r, A.illegal_parameter, "session_id_echo_mismatch");
  });

  Deno.test(`malicious server: a ServerHello with an extension twice is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({ serverHello: (sh) => void sh.extensions.push(sh.extensions[0]) });
    await refused(r, A.illegal_parameter, "duplicate_extension");
  });

  Deno.test(`malicious server: a ServerHello with an extension never offered is unsupported_extension [${crypto.name}]`, async () => {
    const r = await against({
      serverHello: (sh) =>
        void sh.extensions.push({ type: X.cookie, data: Uint8Array.of(0, 1, 1) }),
    });
    await refused(
      r,
      A.unsupported_extension,
      "unsolicited_extension",
    );
  });

  Deno.test(`malicious server: a second HelloRetryRequest is unexpected_message [${crypto.name}]`, async () => {
    const r = await against({ helloRetry: { group: NamedGroup.secp256r1, again: true } });
    await refused(r, A.unexpected_message, "second_hello_retry_request");
  });

  Deno.test(`malicious server: one HelloRetryRequest is fine [${crypto.name}]`, async () => {
    const r = await against({ helloRetry: { group: NamedGroup.secp256r1 } });
    assert.equal(r.client.error, undefined);
    assert.equal(r.client.conn.handshakeInfo?.helloRetry, true);
  });

  Deno.test(`malicious server: a HelloRetryRequest for a group never offered is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({ helloRetry: { group: NamedGroup.secp384r1 } }, {
      groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    });
    await refused(r, A.illegal_parameter, "retry_group_not_offered");
  });

  Deno.test(`malicious server: a HelloRetryRequest for the group already shared is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({ helloRetry: { group: NamedGroup.x25519 } });
    await refused(r, A.illegal_parameter, "retry_group_already_shared");
  });

  Deno.test(`malicious server: a ServerHello changing the suite the HelloRetryRequest chose is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({
      helloRetry: { group: NamedGroup.secp256r1 },
      serverHello: (sh) => {
        sh.cipherSuite = 0x1302;
      },
    });
    await refused(
      r,
      A.illegal_parameter,
      "cipher_suite_changed_after_retry",
    );
  });

  Deno.test(`malicious server: a huge certificate message is refused from its header (decode_error) [${crypto.name}]`, async () => {
    const huge = new Uint8Array(200_000).fill(0x30);
    const r = await against({ chain: [huge] });
    await refused(
      r,
      A.decode_error,
      "handshake_message_too_large",
    );
  });

  Deno.test(`malicious server: a long but valid chain (about 100 KB) is accepted [${crypto.name}]`, async () => {
    const padding = Array(150).fill(set.ca.certificate);
    const r = await against({ chain: [...set.serverChain, ...padding] });
    assert.equal(r.client.error, undefined, String(r.client.error));
    assert.ok(r.client.conn.handshakeInfo);
  });

  Deno.test(`malicious server: an empty Certificate is decode_error [${crypto.name}]`, async () => {
    const r = await against({ chain: [] });
    await refused(r, A.decode_error, "server_sent_no_certificate");
  });

  for (
    const [type, name, alert, message] of [
      [
        HandshakeType.encrypted_extensions,
        "EncryptedExtensions",
        A.decode_error,
        "trailing_bytes",
      ],
      [
        HandshakeType.certificate,
        "Certificate",
        A.decode_error,
        "trailing_bytes",
      ],
      [
        HandshakeType.certificate_verify,
        "CertificateVerify",
        A.decode_error,
        "trailing_bytes",
      ],
      [
        HandshakeType.finished,
        "Finished",
        A.decode_error,
        "finished_wrong_length",
      ],
      [
        HandshakeType.server_hello,
        "ServerHello",
        A.decode_error,
        "trailing_bytes",
      ],
    ] as const
  ) {
    Deno.test(`malicious server: a trailing byte after ${name} is ${A.name(alert)} [${crypto.name}]`, async () => {
      const r = await against({
        message: (t, body) => t === type ? concat(body, Uint8Array.of(0)) : body,
      });
      await refused(r, alert, message);
    });
  }

  Deno.test(`malicious server: EncryptedExtensions with an extension never offered is unsupported_extension [${crypto.name}]`, async () => {
    const r = await against({
      message: (t, body) =>
        t === HandshakeType.encrypted_extensions ? Uint8Array.of(0, 4, 0, X.padding, 0, 0) : body,
    });
    await refused(r, A.unsupported_extension, "unsolicited_extension");
  });

  Deno.test(`malicious server: EncryptedExtensions with key_share is illegal_parameter [${crypto.name}]`, async () => {
    const r = await against({
      message: (t, body) =>
        t === HandshakeType.encrypted_extensions ? Uint8Array.of(0, 4, 0, X.key_share, 0, 0) : body,
    });
    await refused(
      r,
      A.illegal_parameter,
      "extension_not_allowed",
    );
  });

  Deno.test(`malicious server: the ServerHello and part of EncryptedExtensions in one record span a key change [${crypto.name}]`, async () => {
    const r = await against({
      records: (recs) => {
        const [sh, ccs, ...rest] = recs;
        return [{ ...sh, content: concat(sh.content, Uint8Array.of(8, 0)) }, ccs, ...rest];
      },
    });
    await refused(r, A.unexpected_message, "handshake_message_spans_key_change");
  });

  Deno.test(`malicious server: application data under the handshake keys is unexpected_message [${crypto.name}]`, async () => {
    const r = await against({
      records: (recs) => [
        ...recs.slice(0, 2),
        { type: ContentType.application_data, content: utf8("early"), keys: "handshake" },
        ...recs.slice(2),
      ],
    });
    await refused(r, A.unexpected_message, "application_data_before_finished");
  });

  Deno.test(`malicious server: ChangeCipherSpec after its Finished is unexpected_message [${crypto.name}]`, async () => {
    const r = await against({
      records: (recs) => [
        ...recs,
        { type: ContentType.change_cipher_spec, content: Uint8Array.of(1), keys: "plaintext" },
      ],
    });
    await assertAlert(r.client, A.unexpected_message, "change_cipher_spec_after_handshake");
  });

  Deno.test(`malicious server: a flood of ChangeCipherSpec records is unexpected_message [${crypto.name}]`, async () => {
    const ccs = {
      type: ContentType.change_cipher_spec,
      content: Uint8Array.of(1),
      keys: "plaintext",
    };
    const r = await against({
      records: (recs) => [recs[0], ...Array(20).fill(ccs), ...recs.slice(2)],
    });
    await refused(r, A.unexpected_message, "too_many_empty_records");
  });

  Deno.test(`malicious server: an alert from the server is a PeerAlert naming it [${crypto.name}]`, async () => {
    const r = await against({
      records: (recs) => [recs[0], {
        type: ContentType.alert,
        content: Uint8Array.of(2, A.insufficient_security),
        keys: "plaintext",
      }],
    });
    assert.ok(r.client.error instanceof PeerAlert);
    assert.match(r.client.error.message, /the peer sent alert insufficient_security \(71\)/);
  });

  Deno.test(`malicious server: RFC 8446 §6.1: data after close_notify is not delivered [${crypto.name}]`, async () => {
    const r = await against({
      after: [
        { type: ContentType.application_data, content: utf8("hello") },
        { type: ContentType.alert, content: Uint8Array.of(1, A.close_notify) },
        { type: ContentType.application_data, content: utf8("injected after the close") },
        { type: ContentType.handshake, content: Uint8Array.of(99, 0, 0, 0) },
      ],
    });
    assert.equal(r.client.error, undefined);
    const events = r.client.conn.takeEvents().map((e) =>
      e.type === "data" ? new TextDecoder().decode(e.data) : e.type
    );
    assert.deepEqual(events, ["handshake", "hello", "close_notify"]);
    assert.equal(r.client.conn.endOfInput(), undefined, "a clean close");
  });
}
