/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) for a full handshake without
 * PSK: early secret → handshake secret → master secret, the traffic
 * secrets derived from each, Finished keys (§4.4.4) and KeyUpdate (§7.2).
 * Synchronous: the provider's HKDF is.
 *
 * @module
 */

import { deriveSecret, hkdfExpandLabel } from "./hkdf.ts";
import type { Hash, Suite } from "./provider.ts";

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

const EMPTY = new Uint8Array(0);

/** The key schedule of one connection, for one negotiated suite. */
export class KeySchedule {
  readonly suite: Suite;
  #observe: SecretObserver;
  #handshakeSecret?: Uint8Array;

  constructor(suite: Suite, observe: SecretObserver = ignore) {
    this.suite = suite;
    this.#observe = observe;
  }

  /**
   * From the (EC)DHE shared secret and Transcript-Hash(ClientHello..ServerHello):
   * early secret (PSK = 0), handshake secret, and both handshake traffic secrets.
   */
  handshakeSecrets(sharedSecret: Uint8Array, helloHash: Uint8Array): TrafficSecrets {
    const hash = this.suite.hash;
    const early = hash.hkdfExtract(EMPTY, new Uint8Array(hash.outputLength));
    this.#observe("early_secret", early);
    const hs = hash.hkdfExtract(derivedSalt(hash, early), sharedSecret);
    this.#handshakeSecret = hs;
    this.#observe("handshake_secret", hs);
    const client = deriveSecret(hash, hs, "c hs traffic", helloHash);
    const server = deriveSecret(hash, hs, "s hs traffic", helloHash);
    this.#observe("client_handshake_traffic_secret", client);
    this.#observe("server_handshake_traffic_secret", server);
    return { client, server };
  }

  /**
   * From Transcript-Hash(ClientHello..server Finished): master secret and both
   * application traffic secrets (and the exporter master secret).
   */
  applicationSecrets(finishedHash: Uint8Array): TrafficSecrets {
    const hash = this.suite.hash;
    if (!this.#handshakeSecret) throw new Error("applicationSecrets before handshakeSecrets");
    const master = hash.hkdfExtract(
      derivedSalt(hash, this.#handshakeSecret),
      new Uint8Array(hash.outputLength),
    );
    this.#observe("master_secret", master);
    const client = deriveSecret(hash, master, "c ap traffic", finishedHash);
    const server = deriveSecret(hash, master, "s ap traffic", finishedHash);
    const exporter = deriveSecret(hash, master, "exp master", finishedHash);
    this.#observe("client_application_traffic_secret_0", client);
    this.#observe("server_application_traffic_secret_0", server);
    this.#observe("exporter_master_secret", exporter);
    return { client, server };
  }

  /**
   * RFC 8446 §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)),
   * finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length).
   */
  finishedVerifyData(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    const hash = this.suite.hash;
    const finishedKey = hkdfExpandLabel(hash, baseKey, "finished", EMPTY, hash.outputLength);
    return hash.hmac(finishedKey, transcriptHash);
  }

  /**
   * Drops the handshake secret, which nothing needs once the handshake is
   * complete (KeyUpdate starts from the traffic secrets), and the observer
   * (which may hold the handshake).
   */
  forgetHandshakeSecrets(): void {
    this.#observe = ignore;
    this.#handshakeSecret = undefined;
  }

  /** RFC 8446 §7.2: application_traffic_secret_N+1. */
  nextTrafficSecret(secret: Uint8Array): Uint8Array {
    const hash = this.suite.hash;
    return hkdfExpandLabel(hash, secret, "traffic upd", EMPTY, hash.outputLength);
  }
}

const ignore: SecretObserver = () => {};

/** Derive-Secret(secret, "derived", ""): the salt of the next extraction. */
function derivedSalt(hash: Hash, secret: Uint8Array): Uint8Array {
  return deriveSecret(hash, secret, "derived", hash.digest(EMPTY));
}
