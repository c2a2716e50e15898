/**
 * AEAD ciphers (RFC 5116) through libcrypto's EVP_CIPHER: AES-128-GCM and
 * AES-256-GCM (NIST SP 800-38D), and ChaCha20-Poly1305 (RFC 8439), with
 * TLS 1.3's 12-byte nonces and 16-byte tags (RFC 8446 §5.2). An
 * EVP_CIPHER_CTX holds a key's schedule; each record only sets its nonce.
 *
 * @module
 */

import { libcrypto } from "./libcrypto.ts";
import { check, cString, drainErrors, failure, nonNull, outInt } from "./native.ts";

/** The AEADs this folder runs. */
export type AeadName = "AES-128-GCM" | "AES-256-GCM" | "ChaCha20-Poly1305";

/** Nonce length in bytes (RFC 8446 §5.3: iv_length is 12 for every TLS 1.3 AEAD). */
export const NONCE_LENGTH = 12;
/** Tag length in bytes. */
export const TAG_LENGTH = 16;

/** `EVP_CTRL_AEAD_GET_TAG` and `EVP_CTRL_AEAD_SET_TAG` (openssl/evp.h). */
const EVP_CTRL_AEAD_GET_TAG = 0x10;
const EVP_CTRL_AEAD_SET_TAG = 0x11;
/** The largest length EVP_CipherUpdate takes (a C `int`). */
const MAX_INPUT = 0x7fffffff - TAG_LENGTH;

const KEY_LENGTHS: Record<AeadName, number> = {
  "AES-128-GCM": 16,
  "AES-256-GCM": 32,
  "ChaCha20-Poly1305": 32,
};

/** Key length in bytes of `aead`. */
export function aeadKeyLength(aead: AeadName): number {
  const n = KEY_LENGTHS[aead];
  if (n === undefined) throw new TypeError(`unknown AEAD ${aead}`);
  return n;
}

/** A record's tag did not verify (the caller answers with bad_record_mac). */
export class AeadAuthenticationError extends Error {
  constructor(aead: AeadName) {
    super(`${aead} authentication failed: the record was altered or has the wrong key`);
    this.name = "AeadAuthenticationError";
  }
}

const fetched = new Map<AeadName, Deno.PointerObject>();

/** The EVP_CIPHER for `aead`, fetched once per process. */
function evpCipher(aead: AeadName): Deno.PointerObject {
  let cipher = fetched.get(aead);
  if (!cipher) {
    aeadKeyLength(aead);
    cipher = nonNull(
      libcrypto().EVP_CIPHER_fetch(null, cString(aead), null),
      `EVP_CIPHER_fetch(${aead})`,
    );
    fetched.set(aead, cipher);
  }
  return cipher;
}

/** Where EVP_CipherFinal_ex may write when decrypting (it writes nothing for these AEADs). */
const finalOutput = new Uint8Array(TAG_LENGTH);

/**
 * How many EVP_CIPHER_CTXs each AEAD keeps. A context holds one key's
 * schedule at a time and belongs to the AeadKey that used it last; a key
 * whose context was taken by others sets itself up again on its next record
 * (0.1–0.2 µs here, against 0.07 µs to set a nonce). So the native memory of
 * record protection is fixed, whatever the number of keys made and dropped,
 * and nothing waits for the garbage collector to free it.
 */
const POOL_SIZE = 16;

interface Slot {
  readonly ctx: Deno.PointerObject;
  owner: AeadKey | null;
}

const pools = new Map<AeadName, { slots: Slot[]; hand: number }>();

/** A context for `aead` that `key` may take: a new one while the pool grows, then the next in turn. */
function takeSlot(aead: AeadName, key: AeadKey): Slot {
  let pool = pools.get(aead);
  if (!pool) pools.set(aead, pool = { slots: [], hand: 0 });
  let slot = pool.slots.find((s) => s.owner === null);
  if (!slot && pool.slots.length < POOL_SIZE) {
    const lib = libcrypto();
    const ctx = nonNull(lib.EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new");
    if (lib.EVP_CipherInit_ex(ctx, evpCipher(aead), null, null, null, 1) !== 1) {
      const error = failure(`EVP_CipherInit_ex(${aead})`);
      lib.EVP_CIPHER_CTX_free(ctx);
      throw error;
    }
    slot = { ctx, owner: null };
    pool.slots.push(slot);
  }
  if (!slot) {
    slot = pool.slots[pool.hand];
    pool.hand = (pool.hand + 1) % pool.slots.length;
  }
  slot.owner = key;
  return slot;
}

/**
 * One AEAD key. `seal` and `open` read their inputs during the call, keep
 * none of them, and return a new array that belongs to the caller. The key
 * bytes are copied; `free` erases the copy and hands back the context.
 */
export class AeadKey {
  /** The algorithm. */
  readonly aead: AeadName;
  readonly #key: Uint8Array;
  #slot: Slot | null = null;
  #freed = false;

  private constructor(aead: AeadName, key: Uint8Array) {
    this.aead = aead;
    this.#key = key;
  }

  /** A key for `aead` from `key` (copied; the caller may reuse its buffer). */
  static create(aead: AeadName, key: Uint8Array): AeadKey {
    const expected = aeadKeyLength(aead);
    if (key.length !== expected) {
      throw new RangeError(`${aead} needs a ${expected}-byte key, got ${key.length} bytes`);
    }
    evpCipher(aead);
    return new AeadKey(aead, key.slice());
  }

  /**
   * Starts one message on this key's context, taking one (and setting the
   * key) if another key has it: direction, nonce and additional data.
   */
  #start(encrypt: 0 | 1, nonce: Uint8Array, aad: Uint8Array, length: number): Deno.PointerObject {
    if (this.#freed) throw new Error(`this ${this.aead} key has been freed`);
    if (nonce.length !== NONCE_LENGTH) {
      throw new RangeError(`${this.aead} needs a ${NONCE_LENGTH}-byte nonce, got ${nonce.length}`);
    }
    if (length > MAX_INPUT || aad.length > MAX_INPUT) {
      throw new RangeError(`${this.aead} input of ${length} bytes is too long`);
    }
    const lib = libcrypto();
    let key: Uint8Array | null = null;
    if (this.#slot?.owner !== this) {
      this.#slot = takeSlot(this.aead, this);
      key = this.#key;
    }
    const ctx = this.#slot.ctx;
    if (lib.EVP_CipherInit_ex(ctx, null, null, key, nonce, encrypt) !== 1) {
      this.#slot.owner = null; // its key state is unknown now
      throw failure("EVP_CipherInit_ex");
    }
    if (aad.length > 0) {
      check(lib.EVP_CipherUpdate(ctx, null, outInt, aad, aad.length), "EVP_CipherUpdate(aad)");
    }
    return ctx;
  }

  /** Encrypts `plaintext`: ciphertext followed by the 16-byte tag, in a new array. */
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    this.#sealTo(nonce, plaintext, aad, out);
    return out;
  }

  /**
   * Encrypts the first `n` bytes of `buffer` in place and writes the tag
   * after them (`buffer` is `n` + 16 bytes long).
   */
  sealInPlace(nonce: Uint8Array, buffer: Uint8Array, n: number, aad: Uint8Array): void {
    if (buffer.length !== n + TAG_LENGTH) {
      throw new RangeError(
        `sealing ${n} bytes in place needs ${n + TAG_LENGTH}, not ${buffer.length}`,
      );
    }
    this.#sealTo(nonce, buffer.subarray(0, n), aad, buffer);
  }

  /** Ciphertext of `plaintext` into `out` (which may start at the same byte), the tag after it. */
  #sealTo(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array): void {
    const ctx = this.#start(1, nonce, aad, plaintext.length);
    const lib = libcrypto();
    const n = plaintext.length;
    if (n > 0) {
      // EVP_CipherUpdate allows the output to be the input exactly (in place), as here or apart.
      check(lib.EVP_CipherUpdate(ctx, out, outInt, plaintext, n), "EVP_CipherUpdate");
      if (outInt[0] !== n) throw new Error(`${this.aead} wrote ${outInt[0]} of ${n} bytes`);
    }
    const tag = out.subarray(n, n + TAG_LENGTH);
    check(lib.EVP_CipherFinal_ex(ctx, tag, outInt), "EVP_CipherFinal_ex");
    check(lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, tag), "get AEAD tag");
  }

  /**
   * Decrypts and authenticates `sealed` (ciphertext followed by the tag).
   * Throws AeadAuthenticationError if the tag does not verify; no plaintext
   * is returned then.
   */
  open(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array<ArrayBuffer> {
    if (sealed.length < TAG_LENGTH) throw new AeadAuthenticationError(this.aead);
    const n = sealed.length - TAG_LENGTH;
    const ctx = this.#start(0, nonce, aad, n);
    const lib = libcrypto();
    const out = new Uint8Array(n);
    if (n > 0) {
      check(lib.EVP_CipherUpdate(ctx, out, outInt, sealed.subarray(0, n), n), "EVP_CipherUpdate");
      if (outInt[0] !== n) throw new Error(`${this.aead} wrote ${outInt[0]} of ${n} bytes`);
    }
    const tag = sealed.subarray(n);
    check(lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, tag), "set AEAD tag");
    if (lib.EVP_CipherFinal_ex(ctx, finalOutput, outInt) !== 1) {
      drainErrors();
      out.fill(0);
      throw new AeadAuthenticationError(this.aead);
    }
    return out;
  }

  /**
   * Decrypts and authenticates `buffer` (ciphertext followed by the tag) in
   * place: on return its first `buffer.length` - 16 bytes hold the
   * plaintext, and the view of them is returned. Throws
   * AeadAuthenticationError if the tag does not verify, with those bytes
   * zeroed (no unauthenticated plaintext is left behind).
   */
  openInPlace(nonce: Uint8Array, buffer: Uint8Array, aad: Uint8Array): Uint8Array {
    if (buffer.length < TAG_LENGTH) throw new AeadAuthenticationError(this.aead);
    const n = buffer.length - TAG_LENGTH;
    const ctx = this.#start(0, nonce, aad, n);
    const lib = libcrypto();
    const plaintext = buffer.subarray(0, n);
    if (n > 0) {
      // EVP_CipherUpdate allows the output to be the input exactly (in place).
      check(lib.EVP_CipherUpdate(ctx, plaintext, outInt, plaintext, n), "EVP_CipherUpdate");
      if (outInt[0] !== n) throw new Error(`${this.aead} wrote ${outInt[0]} of ${n} bytes`);
    }
    const tag = buffer.subarray(n);
    check(lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, tag), "set AEAD tag");
    if (lib.EVP_CipherFinal_ex(ctx, finalOutput, outInt) !== 1) {
      drainErrors();
      plaintext.fill(0);
      throw new AeadAuthenticationError(this.aead);
    }
    return plaintext;
  }

  /** Erases the key and hands back its context; the key cannot be used afterwards. Idempotent. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#key.fill(0);
    if (this.#slot?.owner === this) this.#slot.owner = null;
    this.#slot = null;
  }
}
