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
}

/** Server settings. */
export interface ServerConfig extends CommonConfig {
  /** The chain and key the server proves itself with. */
  certificate: CertifiedKey;
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
  /** The peer's certificate chain as sent (DER, leaf first); empty if it sent none. */
  readonly peerCertificates: readonly Uint8Array[];
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
