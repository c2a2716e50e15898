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
  #masterSecret?: Promise<Uint8Array>;
  /** finished_key per base key (RFC 8446 §4.4.4), derived once, as soon as the base key is known. */
  #finishedKeys?: Map<Uint8Array, Promise<Uint8Array>> = new Map();

  constructor(suite: Suite, observe: SecretObserver = ignore) {
    this.suite = suite;
    this.#observe = observe;
  }

  /**
   * From the (EC)DHE shared secret and Transcript-Hash(ClientHello..ServerHello):
   * early secret (PSK = 0), handshake secret, and both handshake traffic secrets.
   */
  async handshakeSecrets(sharedSecret: Uint8Array, helloHash: Uint8Array): Promise<TrafficSecrets> {
    const { hash, hashLen } = this.suite;
    const { early, salt } = await noPskSecrets(this.suite);
    this.#observe("early_secret", early);
    const hs = await hkdfExtract(hash, salt, sharedSecret);
    this.#handshakeSecret = hs;
    this.#observe("handshake_secret", hs);
    const empty = await emptyHash(this.suite);
    // The master secret depends on no transcript: derive it beside the traffic secrets.
    const master = deriveSecret(hash, hs, "derived", empty).then((salt) =>
      hkdfExtract(hash, salt, new Uint8Array(hashLen))
    );
    master.catch(() => {}); // awaited (and its failure surfaced) by applicationSecrets
    this.#masterSecret = master;
    const [client, server] = await Promise.all([
      deriveSecret(hash, hs, "c hs traffic", helloHash),
      deriveSecret(hash, hs, "s hs traffic", helloHash),
    ]);
    this.#observe("client_handshake_traffic_secret", client);
    this.#observe("server_handshake_traffic_secret", server);
    // Both Finished keys will be needed: derive them beside the traffic keys.
    this.#finishedKey(client);
    this.#finishedKey(server);
    return { client, server };
  }

  /**
   * From Transcript-Hash(ClientHello..server Finished): master secret and both
   * application traffic secrets (and the exporter master secret).
   */
  async applicationSecrets(finishedHash: Uint8Array): Promise<TrafficSecrets> {
    const { hash } = this.suite;
    if (!this.#handshakeSecret || !this.#masterSecret) {
      throw new Error("applicationSecrets before handshakeSecrets");
    }
    const master = await this.#masterSecret;
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
    return hmac(this.suite.hash, await this.#finishedKey(baseKey), transcriptHash);
  }

  /** RFC 8446 §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length). */
  #finishedKey(baseKey: Uint8Array): Promise<Uint8Array> {
    this.#finishedKeys ??= new Map();
    let key = this.#finishedKeys.get(baseKey);
    if (!key) {
      const { hash, hashLen } = this.suite;
      key = hkdfExpandLabel(hash, baseKey, "finished", new Uint8Array(0), hashLen);
      key.catch(() => {}); // awaited (and its failure surfaced) by finishedVerifyData
      this.#finishedKeys.set(baseKey, key);
    }
    return key;
  }

  /**
   * Drops the handshake and master secrets and the Finished keys, which
   * nothing needs once the handshake is complete (KeyUpdate starts from the
   * traffic secrets), and the observer (which may hold the handshake).
   */
  forgetHandshakeSecrets(): void {
    this.#observe = ignore;
    this.#handshakeSecret = undefined;
    this.#masterSecret = undefined;
    this.#finishedKeys = undefined;
  }

  /** RFC 8446 §7.2: application_traffic_secret_N+1. */
  nextTrafficSecret(secret: Uint8Array): Promise<Uint8Array> {
    const { hash, hashLen } = this.suite;
    return hkdfExpandLabel(hash, secret, "traffic upd", new Uint8Array(0), hashLen);
  }
}

const ignore: SecretObserver = () => {};

const emptyHashes = new Map<string, Promise<Uint8Array>>();

/** Hash of the empty string, the context of Derive-Secret(., "derived", ""). */
function emptyHash(suite: Suite): Promise<Uint8Array> {
  let h = emptyHashes.get(suite.hash);
  if (!h) emptyHashes.set(suite.hash, h = digest(suite.hash, new Uint8Array(0)));
  return h;
}

const noPsk = new Map<string, Promise<{ early: Uint8Array; salt: Uint8Array }>>();

/**
 * Without a PSK, the early secret, HKDF-Extract(0, 0), and the salt of the
 * handshake secret, Derive-Secret(early, "derived", ""), are the same for
 * every connection with this hash: computed once.
 */
function noPskSecrets(suite: Suite): Promise<{ early: Uint8Array; salt: Uint8Array }> {
  let p = noPsk.get(suite.hash);
  if (!p) {
    p = (async () => {
      const early = await hkdfExtract(suite.hash, new Uint8Array(0), new Uint8Array(suite.hashLen));
      const salt = await deriveSecret(suite.hash, early, "derived", await emptyHash(suite));
      return { early, salt };
    })();
    p.catch(() => noPsk.delete(suite.hash));
    noPsk.set(suite.hash, p);
  }
  return p;
}
