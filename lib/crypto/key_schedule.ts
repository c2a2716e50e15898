/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) for a full handshake without
 * PSK: early secret → handshake secret → master secret, the traffic
 * secrets derived from each, Finished keys (§4.4.4) and KeyUpdate (§7.2).
 *
 * @module
 */

import { deriveSecret, digest, hkdfExpandLabel, hkdfExtract, hmac } from "./hkdf.ts";
import type { Suite } from "./suites.ts";

/** The names of the secrets of RFC 8446 §7.1, as the trace and key log see them. */
export type SecretName =
  | "early_secret"
  | "handshake_secret"
  | "master_secret"
  | "client_handshake_traffic_secret"
  | "server_handshake_traffic_secret"
  | "client_application_traffic_secret_0"
  | "server_application_traffic_secret_0"
  | "exporter_master_secret";

/** Called with each secret as it is derived (for the trace and the key log). */
export type SecretObserver = (name: SecretName, secret: Uint8Array) => void;

/** A pair of traffic secrets, one per direction. */
export interface TrafficSecrets {
  client: Uint8Array;
  server: Uint8Array;
}

/** The key schedule of one connection, for one negotiated suite. */
export class KeySchedule {
  readonly suite: Suite;
  #observe: SecretObserver;
  #handshakeSecret?: Uint8Array;

  constructor(suite: Suite, observe: SecretObserver = () => {}) {
    this.suite = suite;
    this.#observe = observe;
  }

  /**
   * From the (EC)DHE shared secret and Transcript-Hash(ClientHello..ServerHello):
   * early secret (PSK = 0), handshake secret, and both handshake traffic secrets.
   */
  async handshakeSecrets(sharedSecret: Uint8Array, helloHash: Uint8Array): Promise<TrafficSecrets> {
    const { hash, hashLen } = this.suite;
    const early = await hkdfExtract(hash, new Uint8Array(0), new Uint8Array(hashLen));
    this.#observe("early_secret", early);
    const salt = await deriveSecret(hash, early, "derived", await emptyHash(this.suite));
    const hs = await hkdfExtract(hash, salt, sharedSecret);
    this.#handshakeSecret = hs;
    this.#observe("handshake_secret", hs);
    const [client, server] = await Promise.all([
      deriveSecret(hash, hs, "c hs traffic", helloHash),
      deriveSecret(hash, hs, "s hs traffic", helloHash),
    ]);
    this.#observe("client_handshake_traffic_secret", client);
    this.#observe("server_handshake_traffic_secret", server);
    return { client, server };
  }

  /**
   * From Transcript-Hash(ClientHello..server Finished): master secret and both
   * application traffic secrets (and the exporter master secret).
   */
  async applicationSecrets(finishedHash: Uint8Array): Promise<TrafficSecrets> {
    const { hash, hashLen } = this.suite;
    if (!this.#handshakeSecret) throw new Error("applicationSecrets before handshakeSecrets");
    const salt = await deriveSecret(
      hash,
      this.#handshakeSecret,
      "derived",
      await emptyHash(this.suite),
    );
    const master = await hkdfExtract(hash, salt, new Uint8Array(hashLen));
    this.#observe("master_secret", master);
    const [client, server, exporter] = await Promise.all([
      deriveSecret(hash, master, "c ap traffic", finishedHash),
      deriveSecret(hash, master, "s ap traffic", finishedHash),
      deriveSecret(hash, master, "exp master", finishedHash),
    ]);
    this.#observe("client_application_traffic_secret_0", client);
    this.#observe("server_application_traffic_secret_0", server);
    this.#observe("exporter_master_secret", exporter);
    return { client, server };
  }

  /** RFC 8446 §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)). */
  async finishedVerifyData(baseKey: Uint8Array, transcriptHash: Uint8Array): Promise<Uint8Array> {
    const { hash, hashLen } = this.suite;
    const finishedKey = await hkdfExpandLabel(
      hash,
      baseKey,
      "finished",
      new Uint8Array(0),
      hashLen,
    );
    return hmac(hash, finishedKey, transcriptHash);
  }

  /** RFC 8446 §7.2: application_traffic_secret_N+1. */
  nextTrafficSecret(secret: Uint8Array): Promise<Uint8Array> {
    const { hash, hashLen } = this.suite;
    return hkdfExpandLabel(hash, secret, "traffic upd", new Uint8Array(0), hashLen);
  }
}

const emptyHashes = new Map<string, Promise<Uint8Array>>();

/** Hash of the empty string, the context of Derive-Secret(., "derived", ""). */
function emptyHash(suite: Suite): Promise<Uint8Array> {
  let h = emptyHashes.get(suite.hash);
  if (!h) emptyHashes.set(suite.hash, h = digest(suite.hash, new Uint8Array(0)));
  return h;
}
