/**
 * The byte view on input no engine would send: GREASE and unknown code
 * points are named as such, and a truncated or malformed message is shown
 * as far as it goes, never thrown. The view is what the engine's decoders
 * read (their field recorder): every byte is shown once, in order, and the
 * extensions they decode are dissected field by field.
 */

import assert from "node:assert/strict";
import { ContentType, ExtensionType, HandshakeType } from "../lib/codepoints.ts";
import {
  encodeCertificateAuthorities,
  encodeClientKeyShares,
  encodeClientVersions,
} from "../lib/handshake/extensions.ts";
import { encodeClientHello, frameHandshake } from "../lib/handshake/messages.ts";
import {
  encodeOfferedPsks,
  encodePskModes,
  PskKeyExchangeMode,
} from "../lib/handshake/psk_extensions.ts";
import { dissectHandshake, RecordDissector } from "../lib/inspect/dissect.ts";
import type { Field } from "../lib/inspect/fields.ts";
import { describeClientHello } from "../lib/inspect/client_hello.ts";

const hello = frameHandshake(
  HandshakeType.client_hello,
  encodeClientHello({
    legacyVersion: 0x0303,
    random: new Uint8Array(32),
    legacySessionId: new Uint8Array(0),
    cipherSuites: [0x2a2a, 0x1301, 0x1234],
    legacyCompressionMethods: new Uint8Array([0]),
    extensions: [
      { type: 0x3a3a, data: new Uint8Array(0) },
      { type: ExtensionType.supported_versions, data: Uint8Array.fromHex("040a0a0304") },
      { type: 0x7777, data: Uint8Array.fromHex("0102") },
    ],
  }),
);

function record(content: Uint8Array) {
  const header = Uint8Array.from([22, 3, 1, content.length >> 8, content.length & 0xff]);
  return {
    epoch: "plaintext" as const,
    bytes: new Uint8Array([...header, ...content]),
    contentType: ContentType.handshake,
    content,
  };
}

function notes(fields: readonly Field[]): string[] {
  return fields.flatMap((f) => [`${f.name}: ${f.note ?? ""}`, ...notes(f.children ?? [])]);
}

Deno.test("dissect: GREASE and unknown values are named as such", () => {
  const all = notes(new RecordDissector().dissect(record(hello)));
  assert.ok(
    all.includes("cipher_suite: GREASE (0x2a2a), to be ignored (RFC 8701)"),
    all.join("\n"),
  );
  assert.ok(all.includes("cipher_suite: TLS_AES_128_GCM_SHA256"));
  assert.ok(all.includes("cipher_suite: unknown (0x1234)"));
  assert.ok(all.includes("extension GREASE (0x3a3a): "));
  assert.ok(all.includes("version: GREASE (0x0a0a), to be ignored (RFC 8701)"));
  assert.ok(all.includes("version: TLS 1.3"));
  assert.ok(all.includes("extension unknown (0x7777): "));
  assert.ok(all.includes("data: not dissected here"));
  const view = describeClientHello(hello);
  assert.deepEqual(view.cipherSuites.map((c) => c.name), [
    "GREASE",
    "TLS_AES_128_GCM_SHA256",
    "0x1234",
  ]);
  assert.deepEqual(view.versions?.map((v) => [v.name, v.grease]), [["GREASE", true], [
    "TLS 1.3",
    false,
  ]]);
});

Deno.test("dissect: a message split over records is shown once whole; a broken one as far as it goes", () => {
  const d = new RecordDissector();
  const first = notes(d.dissect(record(hello.subarray(0, 10))));
  assert.ok(
    first.includes("handshake fragment: part of a message that continues in the next record"),
  );
  const second = notes(d.dissect(record(hello.subarray(10))));
  assert.ok(second.some((n) => n.startsWith("handshake message ClientHello: reassembled")));
  const broken = hello.slice();
  broken[4 + 2 + 32] = 200; // legacy_session_id claims 200 bytes
  const tree = new RecordDissector().dissect(record(broken));
  const fields = notes(tree);
  assert.ok(
    fields.includes("malformed: ClientHello: legacy_session_id needs 200 bytes, only 31 left"),
    fields.join("\n"),
  );
  // The refused length prefix is shown with the bytes it claims.
  const message = tree[3].children!;
  assert.equal(message.at(-1)!.name, "malformed");
  assert.deepEqual(message.at(-1)!.bytes, broken.subarray(4 + 2 + 32));
});

/** A ClientHello with PSK extensions, certificate_authorities and a key_share whose body is broken. */
const resumption = (keyShare: Uint8Array) =>
  frameHandshake(
    HandshakeType.client_hello,
    encodeClientHello({
      legacyVersion: 0x0303,
      random: new Uint8Array(32),
      legacySessionId: new Uint8Array(0),
      cipherSuites: [0x1301],
      legacyCompressionMethods: new Uint8Array([0]),
      extensions: [
        { type: ExtensionType.key_share, data: keyShare },
        { type: ExtensionType.supported_versions, data: encodeClientVersions([0x0304]) },
        // CN=x
        {
          type: ExtensionType.certificate_authorities,
          data: encodeCertificateAuthorities([Uint8Array.fromHex("300c310a300806035504030c0178")]),
        },
        {
          type: ExtensionType.psk_key_exchange_modes,
          data: encodePskModes([PskKeyExchangeMode.psk_dhe_ke]),
        },
        {
          type: ExtensionType.pre_shared_key,
          data: encodeOfferedPsks({
            identities: [{ identity: Uint8Array.fromHex("aabbcc"), obfuscatedTicketAge: 7 }],
            binders: [new Uint8Array(32)],
          }),
        },
      ],
    }),
  );

Deno.test("dissect: the extensions the codec decodes are dissected; a broken body leaves the rest of the block", () => {
  const share = encodeClientKeyShares([{ group: 0x001d, keyExchange: new Uint8Array(32) }]);
  const all = notes([dissectHandshake(resumption(Uint8Array.from([...share, 0xcc])))]);
  assert.ok(
    all.includes("malformed: key_share extension: 1 unexpected trailing bytes"),
    all.join("\n"),
  );
  assert.ok(all.includes("KeyShareEntry: x25519"));
  assert.ok(all.includes("version: TLS 1.3"), "the block goes on after the broken body");
  assert.ok(all.includes("DistinguishedName, DER: CN=x"));
  assert.ok(all.includes("mode: psk_dhe_ke"));
  assert.ok(all.includes("identity: a ticket, or an external PSK's label"));
  assert.ok(
    all.includes("obfuscated_ticket_age: the ticket's age in milliseconds plus its ticket_age_add"),
  );
  assert.ok(all.some((n) => n.startsWith("binder: HMAC of the ClientHello up to the binders")));
  assert.ok(!all.some((n) => n.includes("not dissected here")), all.join("\n"));
});

/** The bytes of a field tree in order: each field's own bytes, then its children's. */
const shown = (fields: readonly Field[]): number[] =>
  fields.flatMap((f) => [...f.bytes, ...shown(f.children ?? [])]);

Deno.test("dissect: whatever the input, every byte of a message is shown once, in order, and nothing is thrown", () => {
  const share = encodeClientKeyShares([{ group: 0x001d, keyExchange: new Uint8Array(32) }]);
  const inputs = [hello, resumption(share)];
  let seed = 1;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  let malformed = 0;
  for (const good of inputs) {
    assert.deepEqual(shown([dissectHandshake(good)]), [...good]);
    for (let i = 0; i < 300; i++) {
      const bad = good.slice();
      for (let k = 0; k < 1 + random(3); k++) bad[4 + random(bad.length - 4)] = random(256);
      const input = i % 4 === 0 ? bad.subarray(0, 4 + random(bad.length - 4)) : bad;
      const fields = [dissectHandshake(input)];
      assert.deepEqual(shown(fields), [...input], input.toHex());
      if (notes(fields).some((n) => n.startsWith("malformed: "))) malformed++;
    }
  }
  assert.ok(malformed > 100, `${malformed} of 600 inputs were refused somewhere`);
});
