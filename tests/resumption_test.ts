/**
 * Session tickets and PSK resumption (RFC 8446 §2.2, §4.2.11, §4.6.1), our
 * client against our server in memory: tickets issued and stored, a
 * resumed handshake without certificates, the binder, psk_ke only when
 * allowed, tickets that cannot be used (expired, other key, other name,
 * forged) falling back to a full handshake, a wrong binder refused with
 * decrypt_error, shared and rotated ticket keys, HelloRetryRequest with a
 * PSK, and external PSKs. Once per crypto provider.
 *
 * @module
 */

import assert from "node:assert/strict";
import { CipherSuite, NamedGroup } from "../lib/codepoints.ts";
import type { ClientConfig, ServerConfig } from "../lib/config.ts";
import { AlertDescription, PeerAlert, TlsError } from "../lib/errors.ts";
import { MemorySessionStore } from "../lib/session/store.ts";
import { TicketKeys } from "../lib/session/ticket_keys.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { handshakePair, pump, serverConfigFor, text } from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256" });
const encode = (s: string) => new TextEncoder().encode(s);

for (const crypto of PROVIDERS) {
  const server = async (extra: Partial<ServerConfig> = {}) =>
    await serverConfigFor(set, { crypto, ...extra });
  /** A full handshake that leaves tickets in `sessions`; returns the pair. */
  const first = async (
    sessions: MemorySessionStore,
    srv: ServerConfig,
    client: Partial<ClientConfig> = {},
  ) => {
    const r = await handshakePair({ crypto, sessions, ...client }, srv);
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    await pump(r);
    return r;
  };

  Deno.test(`resumption [${crypto.name}]: tickets after a full handshake, then a resumed one without certificates`, async () => {
    const sessions = new MemorySessionStore();
    const srv = await server({ tickets: { keys: TicketKeys.generate(crypto) } });
    const full = await first(sessions, srv);
    assert.equal(full.clientInfo?.resumed, false);
    assert.equal(sessions.list(new Date()).length, 2, "the default is two tickets");
    const ticket = sessions.list(new Date())[0];
    assert.equal(ticket.lifetime, 7200);
    assert.equal(ticket.suite, CipherSuite.TLS_AES_128_GCM_SHA256);

    const events: TraceEvent[] = [];
    const r = await handshakePair({ crypto, sessions, trace: (e) => events.push(e) }, srv);
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    assert.equal(r.clientInfo?.resumed, true);
    assert.equal(r.serverInfo?.resumed, true);
    assert.equal(r.clientInfo?.pskMode, "psk_dhe_ke");
    assert.equal(r.clientInfo?.group, r.serverInfo?.group);
    assert.notEqual(r.clientInfo?.group, "none");
    assert.equal(r.clientInfo?.signatureScheme, "none");
    assert.deepEqual(r.clientInfo?.peerCertificates, []);
    // No Certificate or CertificateVerify crossed the wire.
    const types = events.filter((e) => e.kind === "message").map((e) =>
      (e as { type: number }).type
    );
    assert.ok(!types.includes(11) && !types.includes(15), `messages ${types}`);
    await r.client.write(encode("again"));
    await pump(r);
    assert.equal(text(r.serverReceived), "again");
    // One ticket used (tickets are single-use), two new ones stored.
    await pump(r);
    assert.equal(sessions.list(new Date()).length, 3);
  });

  Deno.test(`resumption [${crypto.name}]: psk_ke only when the server allows it; psk_dhe_ke preferred`, async () => {
    const sessions = new MemorySessionStore();
    const keys = TicketKeys.generate(crypto);
    await first(sessions, await server({ tickets: { keys } }));
    const both = ["psk_dhe_ke", "psk_ke"] as const;
    // Both modes offered: a server that allows psk_ke still picks psk_dhe_ke.
    let r = await handshakePair(
      { crypto, sessions, pskModes: both },
      await server({ tickets: { keys, pskKe: true } }),
    );
    assert.equal(r.clientInfo?.pskMode, "psk_dhe_ke");
    // psk_ke only, to a server that does not allow it: a full handshake.
    r = await handshakePair(
      { crypto, sessions, pskModes: ["psk_ke"] },
      await server({ tickets: { keys } }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.clientInfo?.resumed, false);
    // psk_ke only, allowed: no key exchange at all.
    const events: TraceEvent[] = [];
    r = await handshakePair(
      { crypto, sessions, pskModes: ["psk_ke"], trace: (e) => events.push(e) },
      await server({ tickets: { keys, pskKe: true } }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    assert.equal(r.clientInfo?.pskMode, "psk_ke");
    assert.equal(r.serverInfo?.pskMode, "psk_ke");
    assert.equal(r.clientInfo?.group, "none");
    assert.ok(!events.some((e) => e.kind === "shared_secret"), "no (EC)DHE in psk_ke");
    await r.client.write(encode("ke"));
    await pump(r);
    assert.equal(text(r.serverReceived), "ke");
  });

  Deno.test(`resumption [${crypto.name}]: unusable tickets mean a full handshake, never an error`, async () => {
    const keys = TicketKeys.generate(crypto);
    const cases: [string, Partial<ServerConfig>, Partial<ClientConfig>][] = [
      ["another server's keys", { tickets: { keys: TicketKeys.generate(crypto) } }, {}],
      ["expired", { tickets: { keys }, now: () => new Date(Date.now() + 7201_000) }, {
        now: () => new Date(Date.now()),
      }],
      ["no tickets configured", {}, {}],
    ];
    for (const [what, extra, client] of cases) {
      const sessions = new MemorySessionStore();
      await first(sessions, await server({ tickets: { keys } }));
      const r = await handshakePair({ crypto, sessions, ...client }, await server(extra));
      assert.equal(r.clientError, undefined, what);
      assert.equal(r.serverError, undefined, what);
      assert.equal(r.clientInfo?.resumed, false, what);
      assert.equal(r.serverInfo?.resumed, false, what);
    }
    // Another server name: the client keeps tickets per name, and the server checks SNI too.
    const sessions = new MemorySessionStore();
    await first(sessions, await server({ tickets: { keys } }), { serverName: "localhost" });
    const [s] = sessions.list(new Date());
    sessions.put({ ...s, server: "127.0.0.1" });
    const r = await handshakePair(
      { crypto, sessions, serverName: "127.0.0.1" },
      await server({ tickets: { keys } }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverInfo?.resumed, false);
  });

  Deno.test(`resumption [${crypto.name}]: a forged ticket is not resumed; a wrong binder is decrypt_error`, async () => {
    const keys = TicketKeys.generate(crypto);
    const sessions = new MemorySessionStore();
    await first(sessions, await server({ tickets: { keys } }));
    const [a, b] = sessions.list(new Date());
    const forged = a.ticket.slice();
    forged[forged.length - 1] ^= 1;
    const forgedStore = new MemorySessionStore();
    forgedStore.put({ ...a, ticket: forged });
    let r = await handshakePair(
      { crypto, sessions: forgedStore },
      await server({ tickets: { keys } }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverInfo?.resumed, false);
    // The right ticket with another secret: the binder cannot match.
    const wrong = new MemorySessionStore();
    wrong.put({ ...b, secret: crypto.randomBytes(32) });
    r = await handshakePair({ crypto, sessions: wrong }, await server({ tickets: { keys } }));
    assert.ok(r.serverError instanceof TlsError);
    assert.equal(r.serverError.alert, AlertDescription.decrypt_error);
    assert.equal(r.serverError.code, "bad_psk_binder");
    assert.ok(r.clientError instanceof PeerAlert);
    assert.equal(r.clientError.alert, AlertDescription.decrypt_error);
  });

  Deno.test(`resumption [${crypto.name}]: servers sharing keys resume each other's tickets; rotation keeps old tickets`, async () => {
    const keys = TicketKeys.generate(crypto);
    const sessions = new MemorySessionStore();
    await first(sessions, await server({ tickets: { keys } }));
    const shared = TicketKeys.fromText(crypto, keys.toText());
    let r = await handshakePair({ crypto, sessions }, await server({ tickets: { keys: shared } }));
    assert.equal(r.serverInfo?.resumed, true);
    const rotated = TicketKeys.fromText(crypto, keys.rotate().toText());
    assert.equal(rotated.keys.length, 2);
    r = await handshakePair({ crypto, sessions }, await server({ tickets: { keys: rotated } }));
    assert.equal(r.serverInfo?.resumed, true, "the older key still opens its tickets");
    // Tickets issued now are sealed under the newest key: the old key alone cannot open them.
    await pump(r);
    const fresh = sessions.list(new Date()).slice(-1);
    const only = new MemorySessionStore();
    only.put(fresh[0]);
    r = await handshakePair({ crypto, sessions: only }, await server({ tickets: { keys } }));
    assert.equal(r.serverInfo?.resumed, false);
  });

  Deno.test(`resumption [${crypto.name}]: HelloRetryRequest with a PSK recomputes the binder`, async () => {
    const keys = TicketKeys.generate(crypto);
    const sessions = new MemorySessionStore();
    await first(sessions, await server({ tickets: { keys } }));
    const r = await handshakePair(
      { crypto, sessions, groups: [NamedGroup.secp256r1, NamedGroup.x25519] },
      await server({ tickets: { keys }, groups: [NamedGroup.x25519] }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    assert.equal(r.clientInfo?.helloRetry, true);
    assert.equal(r.clientInfo?.resumed, true);
  });

  Deno.test(`resumption [${crypto.name}]: a ticket of a SHA-384 session is not offered with SHA-256 only`, async () => {
    const keys = TicketKeys.generate(crypto);
    const sessions = new MemorySessionStore();
    await first(sessions, await server({ tickets: { keys } }), {
      cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384],
    });
    const r = await handshakePair({
      crypto,
      sessions,
      cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256],
    }, await server({ tickets: { keys } }));
    assert.equal(r.clientError, undefined);
    assert.equal(r.clientInfo?.resumed, false);
  });

  Deno.test(`external PSK [${crypto.name}]: both sides, no certificate needed; another key is decrypt_error`, async () => {
    const psk = { identity: encode("Client_identity"), secret: crypto.randomBytes(32) };
    const srv: ServerConfig = { crypto, externalPsks: [psk] };
    const r = await handshakePair({ crypto, externalPsk: psk }, srv);
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    assert.equal(r.clientInfo?.resumed, true);
    assert.equal(r.clientInfo?.cipherSuite, "TLS_AES_128_GCM_SHA256");
    const bad = await handshakePair({
      crypto,
      externalPsk: { ...psk, secret: crypto.randomBytes(32) },
    }, srv);
    assert.ok(bad.serverError instanceof TlsError);
    assert.equal(bad.serverError.alert, AlertDescription.decrypt_error);
    // Without the PSK, a server without a certificate has nothing to offer.
    const none = await handshakePair({ crypto }, srv);
    assert.ok(none.serverError instanceof TlsError);
    assert.equal(none.serverError.alert, AlertDescription.handshake_failure);
  });
}
