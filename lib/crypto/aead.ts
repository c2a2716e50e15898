/**
 * Record protection keys (RFC 8446 §5.2, §5.3): traffic keys and IVs from a
 * traffic secret (§7.3), and the per-record nonce, the IV XOR the 64-bit
 * record sequence number, around the provider's AEAD key.
 *
 * @module
 */

import { hkdfExpandLabel } from "./hkdf.ts";
import { then } from "./maybe.ts";
import type { AeadKey, MaybePromise, Suite } from "./provider.ts";

/** The write key and IV of RFC 8446 §7.3, derived from one traffic secret. */
export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * The authentication tag length of every AEAD in TLS 1.3's suites here
 * (AES-GCM, ChaCha20-Poly1305: RFC 5116, RFC 8439), for code that reads
 * records without keys (`inspect`, tests).
 */
export const TAG_LENGTH = 16;

/** RFC 8446 §7.3: [sender]_write_key and [sender]_write_iv from a traffic secret. */
export function trafficKeys(suite: Suite, secret: Uint8Array): TrafficKeys {
  const { hash, aead } = suite;
  return {
    key: hkdfExpandLabel(hash, secret, "key", EMPTY, aead.keyLength),
    iv: hkdfExpandLabel(hash, secret, "iv", EMPTY, aead.nonceLength),
  };
}

/**
 * One direction's AEAD state: the provider's key (made once), the IV and
 * the sequence number of the next record.
 */
export class RecordCipher {
  readonly #key: AeadKey;
  readonly #iv: Uint8Array;
  /** The nonce of the synchronous in-place calls, which read it before they return. */
  readonly #scratchNonce: Uint8Array;
  /** The tag length of the suite's AEAD, in bytes. */
  readonly tagLength: number;
  /** The sequence number of the next record (RFC 8446 §5.3). */
  seq = 0;

  private constructor(key: AeadKey, iv: Uint8Array, tagLength: number) {
    this.#key = key;
    this.#iv = iv;
    this.#scratchNonce = new Uint8Array(iv.length);
    this.tagLength = tagLength;
  }

  /** Derives keys from `secret` and makes the AEAD key. */
  static fromSecret(suite: Suite, secret: Uint8Array): MaybePromise<RecordCipher> {
    const { key, iv } = trafficKeys(suite, secret);
    return RecordCipher.fromKeys(suite, key, iv);
  }

  /** Makes the suite's AEAD key from a raw key, with its IV. */
  static fromKeys(suite: Suite, key: Uint8Array, iv: Uint8Array): MaybePromise<RecordCipher> {
    const tagLength = suite.aead.tagLength;
    return then(suite.aead.key(key), (k) => new RecordCipher(k, iv, tagLength));
  }

  /** RFC 8446 §5.3: the nonce for sequence number `seq`. */
  nonce(seq: number): Uint8Array {
    return this.#nonceInto(new Uint8Array(this.#iv.length), seq);
  }

  /**
   * The nonce for `seq`, written into `n`: the IV XOR the sequence number
   * as a 64-bit big-endian value (numbers here stay below 2^53).
   */
  #nonceInto(n: Uint8Array, seq: number): Uint8Array {
    n.set(this.#iv);
    const end = n.length;
    const high = Math.floor(seq / 0x100000000), low = seq >>> 0;
    n[end - 8] ^= high >>> 24;
    n[end - 7] ^= (high >>> 16) & 0xff;
    n[end - 6] ^= (high >>> 8) & 0xff;
    n[end - 5] ^= high & 0xff;
    n[end - 4] ^= low >>> 24;
    n[end - 3] ^= (low >>> 16) & 0xff;
    n[end - 2] ^= (low >>> 8) & 0xff;
    n[end - 1] ^= low & 0xff;
    return n;
  }

  /**
   * Encrypts one TLSInnerPlaintext with the given additional data (the record
   * header) and consumes a sequence number. Calls may overlap: the sequence
   * number is taken synchronously, so records keep the order of the calls.
   */
  seal(plaintext: Uint8Array, aad: Uint8Array): MaybePromise<Uint8Array> {
    return this.#key.seal(this.nonce(this.seq++), aad, plaintext);
  }

  /** Whether the key seals in place (`sealInPlace`): a synchronous provider's option. */
  get sealsInPlace(): boolean {
    return this.#key.sealInPlace !== undefined;
  }

  /**
   * Seals the TLSInnerPlaintext in the first `plaintextLength` bytes of
   * `buffer` in place, the tag after it, and consumes a sequence number.
   * Only where `sealsInPlace`.
   */
  sealInPlace(aad: Uint8Array, buffer: Uint8Array, plaintextLength: number): void {
    const nonce = this.#nonceInto(this.#scratchNonce, this.seq++);
    this.#key.sealInPlace!(nonce, aad, buffer, plaintextLength);
  }

  /** Whether the key opens in place (`openInPlace`): a synchronous provider's option. */
  get opensInPlace(): boolean {
    return this.#key.openInPlace !== undefined;
  }

  /**
   * Opens one record body (ciphertext‖tag) where it lies and consumes a
   * sequence number: returns the view of `body` that holds the plaintext.
   * Throws on a bad tag. Only where `opensInPlace`.
   */
  openInPlace(body: Uint8Array, aad: Uint8Array): Uint8Array {
    const nonce = this.#nonceInto(this.#scratchNonce, this.seq++);
    return this.#key.openInPlace!(nonce, aad, body);
  }

  /**
   * Decrypts one record body and consumes a sequence number. Throws (or
   * rejects) on a bad tag (the caller turns this into bad_record_mac).
   */
  open(ciphertext: Uint8Array, aad: Uint8Array): MaybePromise<Uint8Array> {
    return this.#key.open(this.nonce(this.seq++), aad, ciphertext);
  }
}
