/**
 * A server with session tickets fed crafted pre_shared_key offers (RFC 8446
 * §4.2.9–4.2.11): malformed ones end in the alert the RFC names, with a
 * one-line reason; tickets it cannot use (forged, truncated, oversized,
 * from elsewhere) mean a full handshake, never an error; a binder that does
 * not verify is decrypt_error. Then a client fed a ServerHello that
 * selects a PSK it did not offer.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AlertDescription, type TlsErrorCode } from "../lib/errors.ts";
import { ContentType, ExtensionType, HandshakeType } from "../lib/codepoints.ts";
import { encodeServerName, findExtension } from "../lib/handshake/extensions.ts";
import {
  type ClientHello,
  decodeServerHello,
  encodeServerHello,
} from "../lib/handshake/messages.ts";
import {
  encodeOfferedPsks,
  encodePskModes,
  encodeSelectedIdentity,
  PskKeyExchangeMode,
} from "../lib/handshake/psk_extensions.ts";
import { MemorySessionStore } from "../lib/session/store.ts";
import { TicketKeys } from "../lib/session/ticket_keys.ts";
import { makeCertSet } from "./helpers/certs.ts";
import {
  assertAlert,
  clientHelloRecord,
  handshakeRecord,
  Probe,
  type ProbeOptions,
  validClientHello,
  withExtension,
} from "./helpers/hostile.ts";
import { handshakePair, pump, serverConfigFor } from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";
import { body, messages, records } from "./vectors/wire.ts";

const set = await makeCertSet();
const A = AlertDescription;
const X = ExtensionType;

/** `ch` offering `psk` (pre_shared_key body) last, with psk_dhe_ke (unless `modes` is null). */
function offering(
  ch: ClientHello,
  psk: Uint8Array,
  modes: Uint8Array | null = encodePskModes([
    PskKeyExchangeMode.psk_dhe_ke,
  ]),
): ClientHello {
  const exts = [...ch.extensions];
  if (modes) exts.push({ type: X.psk_key_exchange_modes, data: modes });
  exts.push({ type: X.pre_shared_key, data: psk });
  return { ...ch, extensions: exts };
}

const psks = (identities: Uint8Array[], binders: Uint8Array[]) =>
  encodeOfferedPsks({
    identities: identities.map((identity) => ({ identity, obfuscatedTicketAge: 0 })),
    binders,
  });

for (const crypto of PROVIDERS) {
  const keys = TicketKeys.generate(crypto);
  const config = await serverConfigFor(set, { crypto, tickets: { keys } });
  const sessions = new MemorySessionStore();
  await pump(await handshakePair({ crypto, sessions }, config));
  const stored = sessions.list(new Date())[0];
  const ticket = stored.ticket;
  const binder = new Uint8Array(32);

  const send = async (ch: ClientHello, options?: ProbeOptions) => {
    const p = Probe.server(config, options);
    await p.feed(clientHelloRecord(ch));
    return p;
  };
  /** The ServerHello the probe sent: a full handshake has no pre_shared_key in it. */
  const fullHandshake = (p: Probe) => {
    assert.equal(p.error, undefined, `${p.error}`);
    const [first] = records(p.sent);
    assert.equal(first.type, ContentType.handshake);
    const [sh] = messages(first.fragment);
    const hello = decodeServerHello(body(sh.raw, HandshakeType.server_hello));
    assert.equal(findExtension(hello.extensions, X.pre_shared_key), undefined);
  };
  /** What a traced probe said about PSKs. */
  const pskSteps = (p: Probe) =>
    p.trace.flatMap((e) => e.kind === "psk" ? [e.detail] : []).join("\n");

  const refused: [string, (ch: ClientHello) => ClientHello, number, RegExp | TlsErrorCode][] = [
    [
      "more identities than binders",
      (ch) => offering(ch, psks([ticket, ticket], [binder])),
      A.illegal_parameter,
      "psk_identities_binders_mismatch",
    ],
    [
      "more binders than identities",
      (ch) => offering(ch, psks([ticket], [binder, binder])),
      A.illegal_parameter,
      "psk_identities_binders_mismatch",
    ],
    [
      "no psk_key_exchange_modes",
      (ch) => offering(ch, psks([ticket], [binder]), null),
      A.missing_extension,
      "missing_psk_modes",
    ],
    [
      "a truncated pre_shared_key",
      (ch) => offering(ch, psks([ticket], [binder]).subarray(0, 60)),
      A.decode_error,
      "message_truncated",
    ],
    [
      "a 31-byte binder",
      (ch) => offering(ch, psks([ticket], [new Uint8Array(31)])),
      A.decode_error,
      "vector_too_short",
    ],
    [
      "an empty identity list",
      (ch) => offering(ch, Uint8Array.of(0, 0, 0, 33, 32, ...binder)),
      A.decode_error,
      "vector_too_short",
    ],
    [
      "the right ticket with a forged binder",
      (ch) =>
        offering(
          withExtension(ch, X.server_name, encodeServerName("localhost")),
          encodeOfferedPsks({
            identities: [{ identity: ticket, obfuscatedTicketAge: stored.ageAdd + 1000 }],
            binders: [crypto.randomBytes(32)],
          }),
        ),
      A.decrypt_error,
      "bad_psk_binder",
    ],
  ];
  for (const [what, change, alert, message] of refused) {
    Deno.test(`hostile PSK [${crypto.name}]: ${what} is ${AlertDescription.name(alert)}`, async () => {
      const p = await send(change(await validClientHello()));
      await assertAlert(p, alert, message);
      assert.equal(p.error!.message.split("\n").length, 1);
    });
  }

  const ignored: [string, () => Uint8Array, RegExp][] = [
    ["a forged ticket", () => {
      const t = ticket.slice();
      t[40] ^= 0x80;
      return t;
    }, /does not open under its key \(forged or damaged\)/],
    ["a truncated ticket", () => ticket.subarray(0, 30), /not one of this server's tickets/],
    ["an oversized ticket", () => new Uint8Array(10_000), /10000-byte identity is not one/],
    [
      "another server's ticket",
      () => crypto.randomBytes(ticket.length),
      /names a key this server does not hold/,
    ],
  ];
  for (const [what, identity, why] of ignored) {
    Deno.test(`hostile PSK [${crypto.name}]: ${what} means a full handshake`, async () => {
      const hello = offering(await validClientHello(), psks([identity()], [binder]));
      fullHandshake(await send(hello));
      // Traced, the server says why it did not resume.
      const traced = await send(hello, { trace: true });
      fullHandshake(traced);
      assert.match(pskSteps(traced), why);
    });
  }

  Deno.test(`hostile PSK [${crypto.name}]: a client refuses a ServerHello selecting a PSK it did not offer`, async () => {
    const client = await Probe.client({ crypto, sessions: new MemorySessionStore() });
    const server = Probe.server(await serverConfigFor(set, { crypto }));
    await server.feed(client.takeSent());
    // Our server's ServerHello, with a pre_shared_key added: the client offered none.
    const [first] = records(server.sent);
    const [sh] = messages(first.fragment);
    const hello = decodeServerHello(body(sh.raw, HandshakeType.server_hello));
    hello.extensions.push({ type: X.pre_shared_key, data: encodeSelectedIdentity(1) });
    await client.feed(handshakeRecord(HandshakeType.server_hello, encodeServerHello(hello)));
    await assertAlert(
      client,
      A.unsupported_extension,
      "unsolicited_extension",
    );
  });
}
