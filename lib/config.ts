/**
 * What a connection is configured with, and what it reports once the
 * handshake is done. Randomness, time and key shares are injectable, so that
 * tests can replay a connection byte for byte.
 *
 * @module
 */

import { defaultProvider } from "./crypto/default.ts";
import type {
  ActiveKeyExchange,
  CryptoProvider,
  MaybePromise,
  SigningKey,
} from "./crypto/provider.ts";
import type { TraceEvent } from "./trace.ts";
import type { TicketKeys } from "./session/ticket_keys.ts";
import type { SessionStore } from "./session/store.ts";
import type { UsedTickets } from "./session/used_tickets.ts";

/** A certificate chain (leaf first, DER) with the private key of the leaf. */
export interface CertifiedKey {
  /** The certificates, DER, leaf first, then the intermediates (the root may be left out). */
  readonly chain: readonly Uint8Array[];
  /** The leaf's private key, from the connection's crypto provider. */
  readonly key: SigningKey;
}

/** What a certificate verifier is told about the connection. */
export interface VerifyContext {
  /** Whose chain this is: the server's (checked for serverAuth) or a client's (clientAuth). */
  readonly peer: "server" | "client";
  /** The DNS name or IP address the client asked for (server chains only). */
  readonly serverName?: string;
  /** The validation time. */
  readonly now: Date;
  /** The connection's crypto provider, which checks the signatures. */
  readonly crypto: CryptoProvider;
  /** Reports each link checked (`certificate_link` events), when tracing. */
  readonly trace?: (event: TraceEvent) => void;
}

/**
 * Decides whether to trust a peer's certificate chain. Throws a `TlsError`
 * carrying the alert to send (bad_certificate, unknown_ca, ...) to refuse.
 */
export interface CertificateVerifier {
  /** Resolves if `chain` (DER, leaf first, as the peer sent it) is trusted; throws `TlsError` if not. */
  verify(chain: readonly Uint8Array[], context: VerifyContext): Promise<void>;
}

/** Settings common to both sides. */
export interface CommonConfig {
  /** ALPN protocols, in order of preference (RFC 7301). */
  alpn?: readonly string[];
  /** Named groups to offer or accept, in order of preference. */
  groups?: readonly number[];
  /** Cipher suites to offer or accept, in order of preference. */
  cipherSuites?: readonly number[];
  /** Signature schemes accepted in the peer's CertificateVerify, in order of preference. */
  signatureSchemes?: readonly number[];
  /**
   * Largest record content this side sends, in bytes (default and maximum
   * 2^14, RFC 8446 §5.1). Smaller values split handshake messages across
   * records, to exercise a peer's reassembly.
   */
  maxFragmentSize?: number;
  /**
   * Largest handshake message accepted, in bytes (default 131072: more than
   * OpenSSL's 100 KiB certificate list, enough for long chains). A larger
   * one is refused with decode_error as soon as its header arrives.
   */
  maxHandshakeMessage?: number;
  /**
   * Most bytes the peer may send before the handshake completes (default
   * twice `maxHandshakeMessage`): this bounds the reading, hashing and
   * buffering one unfinished handshake costs.
   */
  maxHandshakeBytes?: number;
  /**
   * Most records in a row that carry nothing: ChangeCipherSpec, empty
   * application data, user_canceled (default 16, as Go's crypto/tls).
   */
  maxIgnoredRecords?: number;
  /**
   * Most KeyUpdates accepted from the peer in a row, with no application
   * data between them (default 32, as BoringSSL); each update_requested
   * among them is answered. Application data starts the count again.
   */
  maxKeyUpdatesInARow?: number;
  /**
   * The cryptography: suites, groups, hashes, signatures, randomness
   * (default: the `webcrypto` provider).
   */
  crypto?: CryptoProvider;
  /** Source of random bytes (default: the crypto provider's). */
  random?: (n: number) => Uint8Array;
  /** The clock (default: the system clock). */
  now?: () => Date;
  /**
   * Source of our ephemeral key exchange for a group, instead of a fresh one
   * from the provider: for tests that replay connections with fixed keys
   * (Diffie-Hellman groups only: a server completes the exchange with it).
   */
  keyShares?: (group: number) => MaybePromise<ActiveKeyExchange>;
  /** Receives NSS key log lines (SSLKEYLOGFILE format), only when set. */
  keyLog?: (line: string) => void;
  /** Receives every step of the handshake, for `--trace`. */
  trace?: (event: TraceEvent) => void;
}

/**
 * An external PSK (RFC 8446 §4.2.11): a secret both sides were given, with
 * the identity that names it. Used with SHA-256 suites (as OpenSSL's
 * `-psk` does); the server then needs no certificate.
 */
export interface ExternalPsk {
  /** The identity sent in pre_shared_key (e.g. UTF-8 "Client_identity"). */
  readonly identity: Uint8Array;
  /** The key itself (at least 16 bytes). */
  readonly secret: Uint8Array;
}

/** A server's session tickets (RFC 8446 §4.6.1) and the resumptions it accepts (§2.2). */
export interface TicketSettings {
  /** The keys that seal and open tickets (share them to resume across servers). */
  readonly keys: TicketKeys;
  /** Tickets sent after each full or resumed handshake (default 2; 0 sends none but still resumes). */
  readonly count?: number;
  /** ticket_lifetime in seconds (default 7200, at most 604800 = 7 days, RFC 8446 §4.6.1). */
  readonly lifetime?: number;
  /** Accept psk_ke (PSK without (EC)DHE, so without forward secrecy); default psk_dhe_ke only. */
  readonly pskKe?: boolean;
  /**
   * 0-RTT (RFC 8446 §2.3, §4.2.10): tickets allow up to `maxBytes` of early
   * data, accepted at most once per ticket (recorded in `used`, §8.1) and
   * only with a fresh ticket age (§8.3). Without it, early data is declined.
   */
  readonly earlyData?: { readonly maxBytes: number; readonly used: UsedTickets };
}

/** Client settings. */
export interface ClientConfig extends CommonConfig {
  /**
   * The name the server must prove: a DNS name (also sent as SNI) or an IP
   * address (never sent as SNI, RFC 6066 §3).
   */
  serverName?: string;
  /** Decides whether the server's chain is trusted. */
  verifier: CertificateVerifier;
  /** Our certificate, sent when the server asks for one (RFC 8446 §4.4.2). */
  certificate?: CertifiedKey;
  /**
   * Where tickets are kept: offered to resume (RFC 8446 §2.2) when one fits
   * the server name, and where the server's NewSessionTickets go. Without
   * it, tickets received are dropped.
   */
  sessions?: SessionStore;
  /** An external PSK to offer (RFC 8446 §4.2.11); with it, no ticket is offered. */
  externalPsk?: ExternalPsk;
  /**
   * The PSK key exchange modes to offer (RFC 8446 §4.2.9), in order of
   * preference (default psk_dhe_ke only; psk_ke gives up forward secrecy).
   */
  pskModes?: readonly ("psk_dhe_ke" | "psk_ke")[];
  /**
   * Data to send as 0-RTT (RFC 8446 §2.3) when a stored ticket allows it (up
   * to its max_early_data_size); whether the server accepted it is in
   * `HandshakeInfo.earlyData`. Early data the server rejected is not resent
   * by the engine.
   */
  earlyData?: Uint8Array;
}

/** Server settings. */
export interface ServerConfig extends CommonConfig {
  /** The chain and key the server proves itself with (optional with external PSKs only). */
  certificate?: CertifiedKey;
  /** Session tickets: send them, and resume the sessions they name. */
  tickets?: TicketSettings;
  /** External PSKs the server accepts, by identity (RFC 8446 §4.2.11). */
  externalPsks?: readonly ExternalPsk[];
  /** Ask clients for a certificate (RFC 8446 §4.3.2) and check it with this verifier. */
  clientAuth?: {
    verifier: CertificateVerifier;
    /** Refuse clients that send none (alert certificate_required). */
    required: boolean;
    /** DER DistinguishedNames sent in certificate_authorities. */
    authorities?: readonly Uint8Array[];
  };
}

/** What a completed handshake negotiated. */
export interface HandshakeInfo {
  /** Always "TLSv1.3". */
  readonly version: "TLSv1.3";
  /** The crypto provider's name, e.g. `webcrypto`. */
  readonly provider: string;
  /** e.g. `TLS_AES_128_GCM_SHA256`. */
  readonly cipherSuite: string;
  /** e.g. `x25519`. */
  readonly group: string;
  /** The scheme of the server's CertificateVerify, e.g. `ecdsa_secp256r1_sha256`. */
  readonly signatureScheme: string;
  /** The negotiated application protocol, if any. */
  readonly alpn?: string;
  /** The server name the client sent (SNI), if any. */
  readonly serverName?: string;
  /** Whether a HelloRetryRequest was needed. */
  readonly helloRetry: boolean;
  /**
   * The peer's certificate chain as sent (DER, leaf first); empty if it sent
   * none. On a resumed server, the client certificate of the original session.
   */
  readonly peerCertificates: readonly Uint8Array[];
  /** Whether the handshake used a PSK: a ticket (resumption) or an external PSK. */
  readonly resumed: boolean;
  /** The PSK key exchange mode (RFC 8446 §4.2.9), when a PSK was used. */
  readonly pskMode?: "psk_dhe_ke" | "psk_ke";
  /** What became of 0-RTT data (RFC 8446 §4.2.10). */
  readonly earlyData: "accepted" | "rejected" | "none";
  /** Client: how many bytes of `ClientConfig.earlyData` the server accepted as 0-RTT data. */
  readonly earlyDataAccepted?: number;
}

/** The crypto provider a configuration names, or the default one. */
export function cryptoOf(config: CommonConfig): CryptoProvider {
  return config.crypto ?? defaultProvider;
}

/** The limits a connection applies when its config leaves them unset (see `CommonConfig`). */
export const DEFAULT_LIMITS = {
  maxHandshakeMessage: 131072,
  maxIgnoredRecords: 16,
  maxKeyUpdatesInARow: 32,
} as const;
