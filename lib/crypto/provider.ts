/**
 * The crypto provider: everything TLS 1.3 asks of cryptography, named once,
 * so that the protocol code (key schedule, transcript, record layer,
 * handshakes, certificate verification) never names a crypto library. In the
 * spirit of rustls's `CryptoProvider` (rustls/src/crypto/mod.rs).
 *
 * Hashes, HMAC and HKDF are synchronous. AEAD, key exchange and signatures
 * may answer with a value or a Promise (`MaybePromise`): a synchronous
 * provider (libcrypto through FFI) pays no thread hand-off, an asynchronous
 * one (WebCrypto) is awaited. Whatever the answer, a provider reads every
 * input before it returns: the caller may reuse or change its buffers as soon
 * as the call returns, even while the Promise is pending.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { NamedGroup } from "../codepoints.ts";
import type { PublicKeyInfo } from "./public_key.ts";

/** A value, or a Promise of it: what a synchronous or an asynchronous provider returns. */
export type MaybePromise<T> = T | Promise<T>;

/** The hashes of TLS 1.3's cipher suites (RFC 8446 §B.4). */
export type HashName = "SHA-256" | "SHA-384";

/** A running hash that can be forked: the transcript hash (RFC 8446 §4.4.1). */
export interface HashContext {
  /** Adds `data` to the hash (read before the call returns). */
  update(data: Uint8Array): void;
  /** An independent copy of this context: updating either leaves the other as it was. */
  fork(): HashContext;
  /** The hash of everything added so far; the context stays usable. */
  digest(): Uint8Array;
}

/**
 * A hash function with the HMAC (RFC 2104) and HKDF (RFC 5869) built on it,
 * all synchronous.
 */
export interface Hash {
  /** e.g. "SHA-256". */
  readonly name: HashName;
  /** Output length in bytes (32 or 48): Hash.length of RFC 8446 §7.1. */
  readonly outputLength: number;
  /** Starts an incremental hash. */
  start(): HashContext;
  /** The hash of `data`, in one step. */
  digest(data: Uint8Array): Uint8Array;
  /** HMAC-Hash(key, data). */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 5869 §2.2: HKDF-Extract(salt, IKM); an empty salt means `outputLength` zeros. */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** RFC 5869 §2.3: HKDF-Expand(PRK, info, L), for L ≤ 255 × `outputLength`. */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
}

/** An AEAD algorithm (RFC 5116) as TLS 1.3 records use it (RFC 8446 §5.2). */
export interface Aead {
  /** e.g. "AES-128-GCM". */
  readonly name: string;
  /** Key length in bytes: key_length of RFC 8446 §7.3. */
  readonly keyLength: number;
  /** Nonce (and write IV) length in bytes: iv_length of RFC 8446 §7.3 (12 for every TLS 1.3 AEAD). */
  readonly nonceLength: number;
  /** Authentication tag length in bytes (16 for every TLS 1.3 AEAD). */
  readonly tagLength: number;
  /** A key for sealing and opening, from `keyLength` raw bytes (copied; the caller may reuse them). */
  key(raw: Uint8Array): MaybePromise<AeadKey>;
}

/**
 * One AEAD key. Calls may overlap (an asynchronous provider may finish them
 * out of order); each reads its inputs before it returns and never keeps
 * or writes a caller's buffer afterwards.
 */
export interface AeadKey {
  /** AEAD-Encrypt: the ciphertext followed by the tag, in a buffer the caller owns. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): MaybePromise<Uint8Array>;
  /**
   * AEAD-Decrypt of ciphertext‖tag: the plaintext, in a buffer the caller
   * owns. Throws (or rejects) when the tag does not verify; the record layer
   * turns that into bad_record_mac (RFC 8446 §5.2).
   */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): MaybePromise<Uint8Array>;
  /**
   * Optional, synchronous: AEAD-Encrypt in place. `buffer` holds the
   * plaintext in its first `plaintextLength` bytes and room for the tag
   * after it (`buffer.length` is `plaintextLength` + the tag length); on
   * return it holds the ciphertext followed by the tag. The record layer
   * uses it, when offered, to seal each record where it will be sent: no
   * output array per record and no copy behind the header.
   */
  sealInPlace?(
    nonce: Uint8Array,
    aad: Uint8Array,
    buffer: Uint8Array,
    plaintextLength: number,
  ): void;
  /**
   * Optional, synchronous: AEAD-Decrypt in place. `buffer` holds
   * ciphertext‖tag; on return its first `buffer.length` − tag length bytes
   * hold the plaintext, and the view of them is returned. Throws when the
   * tag does not verify, leaving no plaintext in `buffer`. The record layer
   * uses it, when offered and when the caller gave it received bytes it may
   * overwrite, to open each record where it arrived: no array per record.
   */
  openInPlace?(nonce: Uint8Array, aad: Uint8Array, buffer: Uint8Array): Uint8Array;
}

/** A TLS 1.3 cipher suite (RFC 8446 §B.4): an AEAD and the hash of the transcript and HKDF. */
export interface Suite {
  /** The code point, e.g. 0x1301. */
  readonly id: number;
  /** The RFC name, e.g. `TLS_AES_128_GCM_SHA256`. */
  readonly name: string;
  /** The transcript and key schedule hash. */
  readonly hash: Hash;
  /** The record protection. */
  readonly aead: Aead;
}

/**
 * A key exchange group (RFC 8446 §4.2.7), shaped so that a KEM fits as well
 * as (EC)DHE: the client starts an exchange and completes it from the
 * server's share; the server completes in one step from the client's share.
 */
export interface KeyExchangeGroup {
  /** The NamedGroup code point. */
  readonly id: number;
  /** Client side: a fresh key pair (or KEM decapsulation key) and the share to send. */
  start(): MaybePromise<ActiveKeyExchange>;
  /**
   * Server side, in one step from the client's share: our share and the
   * shared secret. An unusable client share throws (or rejects with)
   * `invalidKeyShare(...)`, a TlsError carrying illegal_parameter.
   */
  complete(peerShare: Uint8Array): MaybePromise<CompletedKeyExchange>;
  /**
   * For tests that replay connections with fixed keys (RFC 8448, the
   * Illustrated TLS 1.3 Connection, fuzz replays): an exchange from a fixed
   * private key, PKCS#8 DER (RFC 5915 for EC, RFC 8410 for X25519), with its
   * public share. Optional: groups without such keys (KEMs) leave it out.
   */
  withPrivateKey?(pkcs8: Uint8Array, share: Uint8Array): MaybePromise<ActiveKeyExchange>;
}

/** A started key exchange: our share, waiting for the peer's. */
export interface ActiveKeyExchange {
  /** The NamedGroup code point. */
  readonly group: number;
  /** Our share as sent in key_share (RFC 8446 §4.2.8). */
  readonly share: Uint8Array;
  /**
   * The shared secret from the peer's share, after checking it (§4.2.8.2,
   * §7.4); an unusable share throws (or rejects with) `invalidKeyShare(...)`.
   */
  complete(peerShare: Uint8Array): MaybePromise<Uint8Array>;
}

/** A key exchange completed in one step (the server's side). */
export interface CompletedKeyExchange {
  /** Our share, for the ServerHello's key_share. */
  readonly share: Uint8Array;
  /** The shared secret, the input of the handshake secret (RFC 8446 §7.1). */
  readonly secret: Uint8Array;
}

/** A hash for certificate signatures (X.509 does not bind the hash to the curve). */
export type SignatureHash = "SHA-256" | "SHA-384" | "SHA-512";

/**
 * How to check a signature, for CertificateVerify (RFC 8446 §4.4.3, mapped
 * from a SignatureScheme) and for certificates (RFC 5280 §4.1.1.3, from the
 * signatureAlgorithm). ECDSA signatures are DER Ecdsa-Sig-Value (RFC 3279
 * §2.2.3), as both carry them; the curve is the SubjectPublicKeyInfo's.
 */
export type SignatureAlgorithm =
  | { readonly kind: "ecdsa"; readonly hash: SignatureHash }
  | { readonly kind: "ed25519" }
  | { readonly kind: "rsa-pkcs1"; readonly hash: SignatureHash }
  | { readonly kind: "rsa-pss"; readonly hash: SignatureHash; readonly saltLength: number };

/** Our private key, loaded from PKCS#8, that signs CertificateVerify (RFC 8446 §4.4.3). */
export interface SigningKey {
  /** The key's type and size (e.g. ECDSA P-256, RSA 2048). */
  readonly info: PublicKeyInfo;
  /** The TLS 1.3 SignatureSchemes this key can produce, in order of preference. */
  readonly schemes: readonly number[];
  /**
   * Signs `message` with `scheme` (one of `schemes`); ECDSA signatures come
   * out DER-encoded, RSA-PSS with a salt as long as the hash (§4.2.3).
   */
  sign(scheme: number, message: Uint8Array): MaybePromise<Uint8Array>;
}

/** A complete set of cryptography for the engine. */
export interface CryptoProvider {
  /** Shown in traces, `connect --json` and the serve connection line, e.g. "webcrypto". */
  readonly name: string;
  /** The cipher suites implemented, in order of preference. */
  readonly suites: readonly Suite[];
  /** The key exchange groups implemented, in order of preference. */
  readonly groups: readonly KeyExchangeGroup[];
  /** The suites' hashes by name (also for certificate pins and fingerprints). */
  readonly hashes: Readonly<Record<HashName, Hash>>;
  /**
   * Loads a private key from PKCS#8 DER (RFC 5208). Throws an Error with a
   * readable message for a malformed or unsupported key.
   */
  loadSigningKey(pkcs8: Uint8Array): MaybePromise<SigningKey>;
  /**
   * Whether `signature` over `message` verifies under the key in `spki` (DER
   * SubjectPublicKeyInfo) with `algorithm`. False on any mismatch: a key of
   * another type, a malformed key or signature, a wrong signature.
   */
  verify(
    spki: Uint8Array,
    algorithm: SignatureAlgorithm,
    message: Uint8Array,
    signature: Uint8Array,
  ): MaybePromise<boolean>;
  /** `n` bytes from a cryptographically secure generator. */
  randomBytes(n: number): Uint8Array;
}

/** The error a key exchange reports for a peer's unusable share: illegal_parameter (RFC 8446 §4.2.8). */
export function invalidKeyShare(group: number, why: string): TlsError {
  return new TlsError(
    "invalid_key_share",
    `the ${NamedGroup.name(group)} key share ${why}`,
  );
}
