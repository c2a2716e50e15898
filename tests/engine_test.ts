/**
 * Our client against our server, in memory: every group × suite, every key
 * type, HelloRetryRequest, fragmentation into 1-byte records and 1-byte
 * reads, ALPN, KeyUpdate, close_notify, client certificates, and refusals
 * that must reach the peer as alerts. Once per crypto provider.
 */

import assert from "node:assert/strict";
import { AlertDescription, PeerAlert, TlsError } from "../lib/errors.ts";
import { CipherSuite, NamedGroup } from "../lib/codepoints.ts";
import type { ClientConfig, ServerConfig } from "../lib/config.ts";
import { type CertSet, makeCertSet } from "./helpers/certs.ts";
import {
  handshakePair as pair,
  pump,
  serverConfigFor as serverConfig,
  text,
} from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const p256 = await makeCertSet({ keyType: "ecdsa-p256" });

for (const crypto of PROVIDERS) {
  /** Both sides on this provider. */
  const handshakePair = (client: Partial<ClientConfig>, server: ServerConfig, chunk?: number) =>
    pair({ crypto, ...client }, { crypto, ...server }, chunk);
  const serverConfigFor = (set: CertSet, extra: Partial<ServerConfig> = {}) =>
    serverConfig(set, { crypto, ...extra });

  for (
    const group of [
      NamedGroup.X25519MLKEM768,
      NamedGroup.x25519,
      NamedGroup.secp256r1,
      NamedGroup.secp384r1,
      NamedGroup.SecP256r1MLKEM768,
    ]
  ) {
    for (
      const suite of [
        CipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
      ]
    ) {
      const name = `${NamedGroup.name(group)} × ${CipherSuite.name(suite)}`;
      Deno.test(`engine [${crypto.name}]: ${name}: handshake and data both ways`, async () => {
        const r = await handshakePair(
          { groups: [group], cipherSuites: [suite] },
          await serverConfigFor(p256),
        );
        assert.equal(r.clientError, undefined);
        assert.equal(r.serverError, undefined);
        assert.equal(r.clientInfo?.group, NamedGroup.name(group));
        assert.equal(r.clientInfo?.cipherSuite, CipherSuite.name(suite));
        assert.equal(r.serverInfo?.cipherSuite, CipherSuite.name(suite));
        assert.equal(r.clientInfo?.helloRetry, false);
        assert.equal(r.clientInfo?.provider, crypto.name);
        assert.equal(r.serverInfo?.provider, crypto.name);
        await r.client.write(encode("ping"));
        await r.server.write(encode("pong"));
        await pump(r);
        assert.equal(text(r.serverReceived), "ping");
        assert.equal(text(r.clientReceived), "pong");
      });
    }
  }

  for (
    const [keyType, scheme] of [
      ["ecdsa-p256", "ecdsa_secp256r1_sha256"],
      ["ecdsa-p384", "ecdsa_secp384r1_sha384"],
      ["ed25519", "ed25519"],
      ["rsa-2048", "rsa_pss_rsae_sha256"],
    ] as const
  ) {
    Deno.test(`engine [${crypto.name}]: ${keyType} server certificate signs with ${scheme}`, async () => {
      const set = keyType === "ecdsa-p256" ? p256 : await makeCertSet({ keyType });
      const r = await handshakePair({}, await serverConfigFor(set));
      assert.equal(r.clientError, undefined);
      assert.equal(r.clientInfo?.signatureScheme, scheme);
      assert.deepEqual(r.clientInfo?.peerCertificates, set.serverChain);
    });
  }

  Deno.test(`engine [${crypto.name}]: HelloRetryRequest when the client's key share is for a group the server does not take`, async () => {
    const r = await handshakePair(
      { groups: [NamedGroup.secp256r1, NamedGroup.x25519] },
      await serverConfigFor(p256, { groups: [NamedGroup.x25519] }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.clientInfo?.helloRetry, true);
    assert.equal(r.serverInfo?.helloRetry, true);
    assert.equal(r.clientInfo?.group, "x25519");
  });

  Deno.test(`engine [${crypto.name}]: defaults: X25519MLKEM768 and x25519 shares, the hybrid chosen`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    assert.equal(r.clientError, undefined);
    assert.equal(r.clientInfo?.group, "X25519MLKEM768");
    assert.equal(r.serverInfo?.group, "X25519MLKEM768");
    assert.equal(r.clientInfo?.helloRetry, false);
  });

  Deno.test(`engine [${crypto.name}]: a server without the hybrid takes the client's x25519 share, no HRR`, async () => {
    const r = await handshakePair(
      {},
      await serverConfigFor(p256, { groups: [NamedGroup.x25519, NamedGroup.secp256r1] }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.clientInfo?.group, "x25519");
    assert.equal(r.clientInfo?.helloRetry, false);
  });

  Deno.test(`engine [${crypto.name}]: HelloRetryRequest for X25519MLKEM768 when the client sent no share for it`, async () => {
    const r = await handshakePair(
      { groups: [NamedGroup.secp256r1, NamedGroup.X25519MLKEM768] },
      await serverConfigFor(p256, { groups: [NamedGroup.X25519MLKEM768, NamedGroup.x25519] }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    assert.equal(r.clientInfo?.group, "X25519MLKEM768");
    assert.equal(r.clientInfo?.helloRetry, true);
    await r.client.write(encode("after retry"));
    await pump(r);
    assert.equal(text(r.serverReceived), "after retry");
  });

  Deno.test(`engine [${crypto.name}]: the hybrid ClientHello (over 1200 bytes) in 1-byte records`, async () => {
    const r = await handshakePair(
      { maxFragmentSize: 1 },
      await serverConfigFor(p256, { maxFragmentSize: 1 }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.clientInfo?.group, "X25519MLKEM768");
  });

  Deno.test(`engine [${crypto.name}]: no group in common fails with handshake_failure on both sides`, async () => {
    const r = await handshakePair(
      { groups: [NamedGroup.secp384r1] },
      await serverConfigFor(p256, { groups: [NamedGroup.x25519] }),
    );
    assert.ok(r.serverError instanceof TlsError);
    assert.equal(r.serverError.alert, AlertDescription.handshake_failure);
    assert.equal(r.serverError.code, "no_common_group");
    assert.ok(r.clientError instanceof PeerAlert);
    assert.equal(r.clientError.alert, AlertDescription.handshake_failure);
  });

  Deno.test(`engine [${crypto.name}]: handshake messages in 1-byte records, both directions`, async () => {
    const r = await handshakePair(
      { maxFragmentSize: 1 },
      await serverConfigFor(p256, { maxFragmentSize: 1 }),
    );
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    assert.ok(r.clientInfo && r.serverInfo);
    await r.client.write(encode("fragmented"));
    await pump(r);
    assert.equal(text(r.serverReceived), "fragmented");
  });

  Deno.test(`engine [${crypto.name}]: bytes delivered one at a time`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256), 1);
    assert.equal(r.clientError, undefined);
    assert.ok(r.clientInfo && r.serverInfo);
  });

  Deno.test(`engine [${crypto.name}]: ALPN picks the server's preference among the client's offers`, async () => {
    const r = await handshakePair(
      { alpn: ["http/1.1", "h2"] },
      await serverConfigFor(p256, { alpn: ["h2", "http/1.1"] }),
    );
    assert.equal(r.clientInfo?.alpn, "h2");
    assert.equal(r.serverInfo?.alpn, "h2");
  });

  Deno.test(`engine [${crypto.name}]: ALPN without overlap is no_application_protocol`, async () => {
    const r = await handshakePair({ alpn: ["foo"] }, await serverConfigFor(p256, { alpn: ["h2"] }));
    assert.ok(r.serverError instanceof TlsError);
    assert.equal(r.serverError.alert, AlertDescription.no_application_protocol);
    assert.ok(r.clientError instanceof PeerAlert);
  });

  Deno.test(`engine [${crypto.name}]: KeyUpdate with update_requested rekeys both directions`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    await r.client.keyUpdate(true);
    await r.client.write(encode("after client update"));
    await pump(r);
    await r.server.write(encode("after server update"));
    await r.server.keyUpdate(false);
    await r.server.write(encode(", again"));
    await pump(r);
    assert.equal(r.clientError, undefined);
    assert.equal(r.serverError, undefined);
    assert.equal(text(r.serverReceived), "after client update");
    assert.equal(text(r.clientReceived), "after server update, again");
  });

  Deno.test(`engine [${crypto.name}]: close_notify ends each direction cleanly`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    await r.client.close();
    await pump(r);
    assert.equal(r.server.peerClosed, true);
    assert.equal(r.server.endOfInput(), undefined);
    await r.server.write(encode("still open"));
    await r.server.close();
    await pump(r);
    assert.equal(text(r.clientReceived), "still open");
    assert.equal(r.client.peerClosed, true);
  });

  Deno.test(`engine [${crypto.name}]: end of input without close_notify is truncation`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    const err = r.client.endOfInput();
    assert.match(String(err?.message), /without close_notify/);
  });

  Deno.test(`engine [${crypto.name}]: a large write is split into 2^14-byte records and arrives whole`, async () => {
    const r = await handshakePair({}, await serverConfigFor(p256));
    const big = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
    await r.client.write(big);
    const wire = r.client.takeOutput();
    assert.equal(wire.length, big.length + Math.ceil(big.length / 16384) * (5 + 1 + 16));
    await r.server.receive(wire);
    const got = r.server.takeEvents().flatMap((e) => (e.type === "data" ? [e.data] : []));
    assert.ok(got.every((c) => c.length <= 16384));
    assert.deepEqual(new Uint8Array(got.flatMap((c) => [...c])), big);
  });

  Deno.test(`engine [${crypto.name}]: a verifier's refusal is sent to the server as its alert`, async () => {
    const r = await handshakePair(
      {
        verifier: {
          verify: () =>
            Promise.reject(new TlsError("cert_unknown_issuer", "no path to a trusted root")),
        },
      },
      await serverConfigFor(p256),
    );
    assert.ok(r.clientError instanceof TlsError);
    assert.equal(r.clientError.alert, AlertDescription.unknown_ca);
    assert.ok(r.serverError instanceof PeerAlert);
    assert.equal(r.serverError.alert, AlertDescription.unknown_ca);
    assert.equal(r.client.peerCertificates.length, 1, "the refused chain stays available");
  });

  Deno.test(`engine [${crypto.name}]: client certificate requested, sent and verified`, async () => {
    const set = await makeCertSet({ client: "alice" });
    const seen: number[] = [];
    const r = await handshakePair(
      {
        certificate: {
          chain: set.clientChain!,
          key: await crypto.loadSigningKey(set.client!.privateKey),
        },
      },
      await serverConfigFor(set, {
        clientAuth: {
          required: true,
          verifier: { verify: (chain) => (seen.push(chain.length), Promise.resolve()) },
        },
      }),
    );
    assert.equal(r.serverError, undefined);
    assert.equal(r.clientError, undefined);
    assert.deepEqual(seen, [1]);
    assert.deepEqual(r.serverInfo?.peerCertificates, set.clientChain);
  });

  Deno.test(`engine [${crypto.name}]: a required client certificate that is missing is certificate_required`, async () => {
    const r = await handshakePair(
      {},
      await serverConfigFor(p256, {
        clientAuth: { required: true, verifier: { verify: () => Promise.resolve() } },
      }),
    );
    assert.ok(r.serverError instanceof TlsError);
    assert.equal(r.serverError.alert, AlertDescription.certificate_required);
    assert.ok(r.clientError instanceof PeerAlert);
    assert.equal(r.clientError.alert, AlertDescription.certificate_required);
  });

  Deno.test(`engine [${crypto.name}]: key log lines in NSS format for both sides`, async () => {
    const lines: string[] = [];
    const r = await handshakePair(
      { keyLog: (l) => lines.push("c " + l) },
      await serverConfigFor(p256, { keyLog: (l) => lines.push("s " + l) }),
    );
    await r.client.keyUpdate(true);
    await pump(r);
    const labels = (side: string) =>
      lines.filter((l) => l.startsWith(side)).map((l) => l.split(" ")[1]);
    for (const side of ["c", "s"]) {
      assert.deepEqual(labels(side).slice(0, 5), [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
      ]);
      assert.ok(labels(side).includes("CLIENT_TRAFFIC_SECRET_1"));
      assert.ok(labels(side).includes("SERVER_TRAFFIC_SECRET_1"));
    }
    const client = lines.filter((l) => l.startsWith("c ")).map((l) => l.slice(2)).sort();
    const server = lines.filter((l) => l.startsWith("s ")).map((l) => l.slice(2)).sort();
    assert.deepEqual(client, server, "both sides log the same secrets for the same client random");
    assert.match(client[0], /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}\n$/);
  });
}
