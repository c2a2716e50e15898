/**
 * 0-RTT (RFC 8446 §2.3, §4.2.10, §8): our client's early data to our
 * server in memory: accepted with a ticket that allows it and delivered
 * marked as early, EndOfEarlyData, at most max_early_data_size, refused
 * for a replayed ClientHello (the same bytes twice: accepted at most once),
 * for a stale ticket age, without server support, and after a
 * HelloRetryRequest. Once per crypto provider.
 *
 * @module
 */

import assert from "node:assert/strict";
import { NamedGroup } from "../lib/codepoints.ts";
import type { ServerConfig } from "../lib/config.ts";
import { AlertDescription, TlsError } from "../lib/errors.ts";
import { Connection, type ConnectionEvent } from "../lib/connection.ts";
import { MemorySessionStore } from "../lib/session/store.ts";
import { TicketKeys } from "../lib/session/ticket_keys.ts";
import { UsedTickets } from "../lib/session/used_tickets.ts";
import type { TraceEvent } from "../lib/trace.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { acceptAnything, handshakePair, pump, serverConfigFor, text } from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const set = await makeCertSet({ keyType: "ecdsa-p256" });
const encode = (s: string) => new TextEncoder().encode(s);
const GET = encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");

for (const crypto of PROVIDERS) {
  /** A server that allows `maxBytes` of early data, and a store holding one of its tickets. */
  const setup = async (maxBytes = 1024, extra: Partial<ServerConfig> = {}) => {
    const used = new UsedTickets(crypto.hashes["SHA-256"]);
    const server = await serverConfigFor(set, {
      crypto,
      tickets: { keys: TicketKeys.generate(crypto), earlyData: { maxBytes, used } },
      ...extra,
    });
    const sessions = new MemorySessionStore();
    const r = await handshakePair({ crypto, sessions }, server);
    await pump(r);
    assert.equal(sessions.list(new Date())[0].maxEarlyData, maxBytes);
    return { server, sessions, used };
  };

  Deno.test(`0-RTT [${crypto.name}]: accepted, delivered as early, then the handshake completes`, async () => {
    const { server, sessions, used } = await setup();
    const events: TraceEvent[] = [];
    const r = await handshakePair(
      { crypto, sessions, earlyData: GET, trace: (e) => events.push(e) },
      server,
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    assert.equal(r.clientInfo?.earlyData, "accepted");
    assert.equal(r.serverInfo?.earlyData, "accepted");
    assert.equal(r.serverInfo?.resumed, true);
    assert.equal(text(r.serverReceived), text([GET]));
    assert.equal(used.size, 1);
    // The early data went under the early keys, and EndOfEarlyData closed it.
    const epochs = events.filter((e) => e.kind === "record" && e.from === "client")
      .map((e) => (e as { epoch: string }).epoch);
    assert.ok(epochs.includes("early"), epochs.join());
    const secrets = events.filter((e) => e.kind === "secret").map((e) =>
      (e as { name: string }).name
    );
    assert.ok(secrets.includes("client_early_traffic_secret"));
    const sent = events.filter((e) => e.kind === "message" && e.from === "client")
      .map((e) => (e as { type: number }).type);
    assert.deepEqual(sent, [1, 5, 20], "ClientHello, EndOfEarlyData, Finished");
    await r.client.write(encode("after"));
    await pump(r);
    assert.equal(text(r.serverReceived), text([GET]) + "after");
  });

  Deno.test(`0-RTT [${crypto.name}]: data events say which bytes were early`, async () => {
    const { server, sessions } = await setup();
    const client = Connection.client({
      crypto,
      sessions,
      earlyData: encode("early"),
      verifier: acceptAnything,
      serverName: "localhost",
    });
    const srv = Connection.server(server);
    await client.start();
    const seen: ConnectionEvent[] = [];
    for (let i = 0; i < 10; i++) {
      const toServer = client.takeOutput();
      if (toServer.length) await srv.receive(toServer);
      seen.push(...srv.takeEvents());
      const toClient = srv.takeOutput();
      if (toClient.length) await client.receive(toClient);
      client.takeEvents();
    }
    await client.write(encode("late"));
    await srv.receive(client.takeOutput());
    seen.push(...srv.takeEvents());
    const data = seen.filter((e) => e.type === "data") as { data: Uint8Array; early?: boolean }[];
    assert.deepEqual(data.map((d) => [new TextDecoder().decode(d.data), d.early ?? false]), [
      ["early", true],
      ["late", false],
    ]);
  });

  Deno.test(`0-RTT [${crypto.name}]: a replayed ClientHello gets its early data accepted at most once`, async () => {
    const { server, sessions } = await setup();
    const client = Connection.client({
      crypto,
      sessions,
      earlyData: encode("POST /transfer"),
      verifier: acceptAnything,
      serverName: "localhost",
    });
    await client.start();
    const flight = client.takeOutput(); // ClientHello, CCS and the early data record
    const receivedEarly = async () => {
      const trace: TraceEvent[] = [];
      const s = Connection.server({ ...server, trace: (e) => trace.push(e) });
      await s.receive(flight).catch(() => {});
      const early = s.takeEvents().filter((e) => e.type === "data" && e.early);
      return { early, trace };
    };
    const first = await receivedEarly();
    assert.equal(first.early.length, 1);
    const replay = await receivedEarly();
    assert.equal(replay.early.length, 0, "the replay's early data is not delivered");
    const said = replay.trace.filter((e) => e.kind === "psk").map((e) =>
      (e as { detail: string }).detail
    );
    assert.ok(said.some((d) => /early data rejected: .*replay/.test(d)), said.join("\n"));
  });

  Deno.test(`0-RTT [${crypto.name}]: none without server support; rejected for a stale ticket age; at most max_early_data_size sent`, async () => {
    // No earlyData setting: the ticket allows none, so the client sends none.
    const keys = TicketKeys.generate(crypto);
    const plain = await serverConfigFor(set, { crypto, tickets: { keys } });
    const sessions = new MemorySessionStore();
    await pump(await handshakePair({ crypto, sessions }, plain));
    const r = await handshakePair({ crypto, sessions, earlyData: GET }, plain);
    assert.equal(r.clientInfo?.earlyData, "none");
    assert.equal(r.clientInfo?.resumed, true);

    // A client whose clock is 20 s ahead reports a ticket age 20 s too old: rejected (§8.3).
    const stale = await setup();
    const late = await handshakePair(
      {
        crypto,
        sessions: stale.sessions,
        earlyData: GET,
        now: () => new Date(Date.now() + 20_000),
      },
      stale.server,
    );
    assert.equal(late.serverError, undefined);
    assert.equal(late.serverInfo?.earlyData, "rejected");
    assert.equal(late.clientInfo?.earlyData, "rejected");
    assert.equal(late.serverInfo?.resumed, true);
    assert.equal(text(late.serverReceived), "", "the skipped early data is not delivered");
    assert.equal(stale.used.size, 0);

    // The client sends no more than the ticket allows; the rest is the application's to send.
    const small = await setup(10);
    const cut = await handshakePair(
      { crypto, sessions: small.sessions, earlyData: encode("0123456789abcdef") },
      small.server,
    );
    assert.equal(cut.serverInfo?.earlyData, "accepted");
    assert.equal(text(cut.serverReceived), "0123456789");
  });

  Deno.test(`0-RTT [${crypto.name}]: after a HelloRetryRequest the early data is rejected and the handshake completes`, async () => {
    const { server, sessions } = await setup(1024, { groups: [NamedGroup.x25519] });
    const r = await handshakePair(
      { crypto, sessions, earlyData: GET, groups: [NamedGroup.secp256r1, NamedGroup.x25519] },
      server,
    );
    assert.equal(r.clientInfo?.helloRetry, true);
    assert.equal(r.clientInfo?.earlyData, "rejected");
    assert.equal(text(r.serverReceived), "");
  });

  Deno.test(`0-RTT [${crypto.name}]: more early data than max_early_data_size is unexpected_message`, async () => {
    const { server, sessions } = await setup(10);
    // A client that claims the ticket allows more than it does.
    const [s] = sessions.list(new Date());
    const lying = new MemorySessionStore();
    lying.put({ ...s, maxEarlyData: 1000 });
    const r = await handshakePair(
      { crypto, sessions: lying, earlyData: encode("x".repeat(100)) },
      server,
    );
    assert.ok(r.serverError instanceof TlsError);
    assert.equal(r.serverError.alert, AlertDescription.unexpected_message);
    assert.equal(r.serverError.code, "too_much_early_data");
    assert.equal(text(r.serverReceived), "", "none of it is delivered");
  });
}
