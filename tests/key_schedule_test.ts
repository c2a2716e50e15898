/**
 * The key schedule keeps what it derives for the handshake: each traffic
 * secret by side and epoch, and each side's Finished, checked against the
 * published values of RFC 8448 §3 (1-RTT) and §4 (the early traffic secret
 * of the resumed 0-RTT handshake); nothing is there before it is derived,
 * or after the handshake is forgotten.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as R from "./vectors/rfc8448_resumed.ts";
import * as V from "./vectors/rfc8448.ts";
import { CipherSuite, HandshakeType } from "../lib/codepoints.ts";
import { KeySchedule, type TrafficEpoch } from "../lib/crypto/key_schedule.ts";
import { suiteById } from "../lib/crypto/suites.ts";
import { frameHandshake } from "../lib/handshake/messages.ts";
import { Transcript } from "../lib/handshake/transcript.ts";
import { testEachProvider } from "./helpers/providers.ts";

testEachProvider("key schedule: traffic secrets and Finished by name, RFC 8448 §3", (crypto) => {
  const suite = suiteById(crypto, CipherSuite.TLS_AES_128_GCM_SHA256)!;
  const hashOf = (...messages: Uint8Array[]) => {
    const t = new Transcript();
    t.useHash(suite.hash);
    for (const m of messages) t.add(m, "client");
    return t.hash();
  };
  const ks = new KeySchedule(suite);
  const assertSecrets = (epoch: TrafficEpoch, client: Uint8Array, server: Uint8Array) => {
    assert.equal(ks.trafficSecret("client", epoch).toHex(), client.toHex());
    assert.equal(ks.trafficSecret("server", epoch).toHex(), server.toHex());
  };
  assert.throws(() => ks.trafficSecret("client", "handshake"), /not derived yet/);
  assert.throws(() => ks.finished("server", V.HELLO_HASH), /before handshakeSecrets/);

  ks.handshakeSecrets(V.SHARED_SECRET, V.HELLO_HASH);
  assertSecrets("handshake", V.CLIENT_HANDSHAKE_TRAFFIC_SECRET, V.SERVER_HANDSHAKE_TRAFFIC_SECRET);
  assert.throws(() => ks.trafficSecret("server", "application"), /not derived yet/);
  const toCertificateVerify = hashOf(
    V.CLIENT_HELLO,
    V.SERVER_HELLO,
    V.ENCRYPTED_EXTENSIONS,
    V.CERTIFICATE,
    V.CERTIFICATE_VERIFY,
  );
  assert.equal(
    frameHandshake(HandshakeType.finished, ks.finished("server", toCertificateVerify)).toHex(),
    V.SERVER_FINISHED.toHex(),
  );
  assert.equal(
    frameHandshake(HandshakeType.finished, ks.finished("client", V.SERVER_FINISHED_HASH)).toHex(),
    V.CLIENT_FINISHED.toHex(),
  );

  ks.applicationSecrets(V.SERVER_FINISHED_HASH);
  assertSecrets(
    "application",
    V.CLIENT_APPLICATION_TRAFFIC_SECRET,
    V.SERVER_APPLICATION_TRAFFIC_SECRET,
  );
  assert.throws(() => ks.trafficSecret("client", "early"), /not derived yet/);

  ks.forgetHandshakeSecrets();
  assert.throws(() => ks.trafficSecret("client", "application"), /not derived yet/);
  assert.throws(() => ks.finished("client", V.SERVER_FINISHED_HASH), /before handshakeSecrets/);
});

testEachProvider(
  "key schedule: the client's early traffic secret by name, RFC 8448 §4",
  (crypto) => {
    const suite = suiteById(crypto, CipherSuite.TLS_AES_128_GCM_SHA256)!;
    const hello = new Transcript();
    hello.useHash(suite.hash);
    hello.add(R.CLIENT_HELLO_RECORD.subarray(5), "client");
    const ks = new KeySchedule(suite);
    ks.usePsk(V.RESUMPTION_PSK);
    ks.earlyTrafficSecret(hello.hash());
    assert.equal(
      ks.trafficSecret("client", "early").toHex(),
      R.CLIENT_EARLY_TRAFFIC_SECRET.toHex(),
    );
    // RFC 8446 §2.3: 0-RTT data goes from client to server only.
    assert.throws(() => ks.trafficSecret("server", "early"), /not derived yet/);
  },
);
