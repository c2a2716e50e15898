/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1): early secret (from a PSK, or
 * zeros) → handshake secret → master secret, the traffic secrets derived
 * from each, PSK binders (§4.2.11.2), Finished keys (§4.4.4), the
 * resumption secret and ticket PSKs (§4.6.1) and KeyUpdate (§7.2).
 * Synchronous: the provider's HKDF is.
 *
 * It keeps the traffic secrets and Finished keys of the handshake it
 * derives, so that a handshake asks for them by name (`trafficSecret`,
 * `finished`) instead of carrying them from step to step.
 *
 * @module
 */

import { deriveSecret, hkdfExpandLabel } from "./hkdf.ts";
import type { Hash, Suite } from "./provider.ts";

/** The names of the secrets of RFC 8446 §7.1, as the trace and key log see them. */
export type SecretName =
  | "early_secret"
  | "binder_key"
  | "client_early_traffic_secret"
  | "early_exporter_master_secret"
  | "handshake_secret"
  | "master_secret"
  | "client_handshake_traffic_secret"
  | "server_handshake_traffic_secret"
  | "client_application_traffic_secret_0"
  | "server_application_traffic_secret_0"
  | "exporter_master_secret"
  | "resumption_master_secret";

/** Called with each secret as it is derived (for the trace and the key log). */
export type SecretObserver = (name: SecretName, secret: Uint8Array) => void;

/** A pair of traffic secrets, one per direction. */
export interface TrafficSecrets {
  client: Uint8Array;
  server: Uint8Array;
}

/** The side whose direction a traffic secret or Finished key is for. */
export type KeySide = keyof TrafficSecrets;

/** The keys of RFC 8446 §7.1 a handshake installs: 0-RTT (client only), handshake, application. */
export type TrafficEpoch = "early" | "handshake" | "application";

const EMPTY = new Uint8Array(0);

/** The key schedule of one connection, for one negotiated suite. */
export class KeySchedule {
  readonly suite: Suite;
  #observe: SecretObserver;
  #earlySecret?: Uint8Array;
  #handshakeSecret?: Uint8Array;
  #masterSecret?: Uint8Array;
  #earlyTraffic?: Uint8Array;
  #handshakeTraffic?: TrafficSecrets;
  #applicationTraffic?: TrafficSecrets;
  /** RFC 8446 §4.4.4: each side's finished_key, derived with the handshake traffic secrets. */
  #finishedKeys?: TrafficSecrets;

  constructor(suite: Suite, observe: SecretObserver = ignore) {
    this.suite = suite;
    this.#observe = observe;
  }

  /**
   * RFC 8446 §7.1: Early Secret = HKDF-Extract(0, PSK). A handshake without a
   * PSK uses Hash.length zeros (and need not call this: `handshakeSecrets` does).
   */
  usePsk(psk: Uint8Array): void {
    const hash = this.suite.hash;
    this.#earlySecret = hash.hkdfExtract(EMPTY, psk);
    this.#observe("early_secret", this.#earlySecret);
  }

  /**
   * RFC 8446 §4.2.11.2: a PSK binder, the Finished computation keyed with
   * binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder", "")
   * over Transcript-Hash of the ClientHello truncated before the binders.
   */
  binder(kind: "external" | "resumption", truncatedHelloHash: Uint8Array): Uint8Array {
    const hash = this.suite.hash;
    const label = kind === "external" ? "ext binder" : "res binder";
    const key = deriveSecret(hash, this.#early(), label, hash.digest(EMPTY));
    this.#observe("binder_key", key);
    return this.finishedVerifyData(key, truncatedHelloHash);
  }

  /**
   * RFC 8446 §7.1: client_early_traffic_secret (which protects 0-RTT data) and
   * early_exporter_master_secret, from Transcript-Hash(ClientHello).
   */
  earlyTrafficSecret(helloHash: Uint8Array): Uint8Array {
    const hash = this.suite.hash;
    const early = this.#early();
    const client = deriveSecret(hash, early, "c e traffic", helloHash);
    this.#earlyTraffic = client;
    this.#observe("client_early_traffic_secret", client);
    this.#observe(
      "early_exporter_master_secret",
      deriveSecret(hash, early, "e exp master", helloHash),
    );
    return client;
  }

  /**
   * From the (EC)DHE shared secret (none in psk_ke mode: zeros) and
   * Transcript-Hash(ClientHello..ServerHello): handshake secret and both
   * handshake traffic secrets (and the early secret, PSK = 0, if no PSK was set),
   * and from these the Finished keys (RFC 8446 §4.4.4).
   */
  handshakeSecrets(sharedSecret: Uint8Array | undefined, helloHash: Uint8Array): TrafficSecrets {
    const hash = this.suite.hash;
    const early = this.#early();
    const ikm = sharedSecret ?? new Uint8Array(hash.outputLength);
    const hs = hash.hkdfExtract(derivedSalt(hash, early), ikm);
    this.#handshakeSecret = hs;
    this.#observe("handshake_secret", hs);
    const client = deriveSecret(hash, hs, "c hs traffic", helloHash);
    const server = deriveSecret(hash, hs, "s hs traffic", helloHash);
    this.#observe("client_handshake_traffic_secret", client);
    this.#observe("server_handshake_traffic_secret", server);
    this.#handshakeTraffic = { client, server };
    this.#finishedKeys = { client: this.#finishedKey(client), server: this.#finishedKey(server) };
    return this.#handshakeTraffic;
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
    this.#masterSecret = master;
    this.#observe("master_secret", master);
    const client = deriveSecret(hash, master, "c ap traffic", finishedHash);
    const server = deriveSecret(hash, master, "s ap traffic", finishedHash);
    const exporter = deriveSecret(hash, master, "exp master", finishedHash);
    this.#observe("client_application_traffic_secret_0", client);
    this.#observe("server_application_traffic_secret_0", server);
    this.#observe("exporter_master_secret", exporter);
    this.#applicationTraffic = { client, server };
    return this.#applicationTraffic;
  }

  /**
   * RFC 8446 §7.1: resumption_master_secret, from
   * Transcript-Hash(ClientHello..client Finished).
   */
  resumptionMasterSecret(clientFinishedHash: Uint8Array): Uint8Array {
    if (!this.#masterSecret) throw new Error("resumptionMasterSecret before applicationSecrets");
    const secret = deriveSecret(
      this.suite.hash,
      this.#masterSecret,
      "res master",
      clientFinishedHash,
    );
    this.#observe("resumption_master_secret", secret);
    return secret;
  }

  /**
   * RFC 8446 §4.6.1: the PSK of a ticket,
   * HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length).
   */
  ticketPsk(resumptionMasterSecret: Uint8Array, nonce: Uint8Array): Uint8Array {
    const hash = this.suite.hash;
    return hkdfExpandLabel(hash, resumptionMasterSecret, "resumption", nonce, hash.outputLength);
  }

  /**
   * The traffic secret that protects what `side` sends under `epoch`'s keys
   * (RFC 8446 §7.1), once derived: by `earlyTrafficSecret` (the client's
   * only), `handshakeSecrets` or `applicationSecrets`.
   */
  trafficSecret(side: KeySide, epoch: TrafficEpoch): Uint8Array {
    const secret = epoch === "early"
      ? (side === "client" ? this.#earlyTraffic : undefined)
      : (epoch === "handshake" ? this.#handshakeTraffic : this.#applicationTraffic)?.[side];
    if (!secret) throw new Error(`the ${side} ${epoch} traffic secret is not derived yet`);
    return secret;
  }

  /**
   * RFC 8446 §4.4.4: the verify_data of `side`'s Finished,
   * HMAC(finished_key, Transcript-Hash(...)), keyed from `side`'s handshake
   * traffic secret.
   */
  finished(side: KeySide, transcriptHash: Uint8Array): Uint8Array {
    const key = this.#finishedKeys?.[side];
    if (!key) throw new Error("finished before handshakeSecrets");
    return this.suite.hash.hmac(key, transcriptHash);
  }

  /** The early secret set by `usePsk`, or the one of a handshake without PSK. */
  #early(): Uint8Array {
    if (!this.#earlySecret) {
      const hash = this.suite.hash;
      this.#earlySecret = hash.hkdfExtract(EMPTY, new Uint8Array(hash.outputLength));
      this.#observe("early_secret", this.#earlySecret);
    }
    return this.#earlySecret;
  }

  /**
   * RFC 8446 §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)),
   * finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length).
   */
  finishedVerifyData(baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
    return this.suite.hash.hmac(this.#finishedKey(baseKey), transcriptHash);
  }

  /** RFC 8446 §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length). */
  #finishedKey(baseKey: Uint8Array): Uint8Array {
    const hash = this.suite.hash;
    return hkdfExpandLabel(hash, baseKey, "finished", EMPTY, hash.outputLength);
  }

  /**
   * Drops the secrets and Finished keys of the handshake, which nothing
   * needs once it is complete (KeyUpdate starts from the traffic secrets
   * the connection holds), and the observer (which may hold the handshake).
   */
  forgetHandshakeSecrets(): void {
    this.#observe = ignore;
    this.#earlySecret = undefined;
    this.#handshakeSecret = undefined;
    this.#masterSecret = undefined;
    this.#earlyTraffic = undefined;
    this.#handshakeTraffic = undefined;
    this.#applicationTraffic = undefined;
    this.#finishedKeys = undefined;
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
