/**
 * SHA-2 through libcrypto's EVP_MD: an incremental hash that can be forked
 * (EVP_MD_CTX_copy_ex), as a TLS 1.3 transcript needs (RFC 8446 §4.4.1),
 * and one-shot digests.
 *
 * @module
 */

import { type HashAlgorithm, hashLength } from "../sizes.ts";
import { libcrypto } from "./libcrypto.ts";
import { check, cString, NativeOwner, nonNull } from "./native.ts";

/** The hashes this folder runs. */
export type DigestName = HashAlgorithm;

/** OpenSSL's names for the hashes. */
export const OPENSSL_DIGEST_NAMES: Record<DigestName, string> = {
  "SHA-1": "SHA1",
  "SHA-256": "SHA2-256",
  "SHA-384": "SHA2-384",
  "SHA-512": "SHA2-512",
};

const fetched = new Map<DigestName, Deno.PointerObject>();

/**
 * The EVP_MD for `hash`, fetched once per process and kept (fetching is the
 * slow part of OpenSSL 3's digest start-up; a fetched EVP_MD is shared).
 */
export function evpMd(hash: DigestName): Deno.PointerObject {
  let md = fetched.get(hash);
  if (!md) {
    hashLength(hash);
    md = nonNull(
      libcrypto().EVP_MD_fetch(null, cString(OPENSSL_DIGEST_NAMES[hash]), null),
      `EVP_MD_fetch(${hash})`,
    );
    fetched.set(hash, md);
  }
  return md;
}

const owner = new NativeOwner<IncrementalHash>(
  "EVP_MD_CTX",
  (ctx) => libcrypto().EVP_MD_CTX_free(ctx),
);

/** A scratch context for reading a running hash without ending it. */
let peekContext: Deno.PointerObject | undefined;

/**
 * A running hash: `update` feeds it, `digest` reads the hash of everything
 * fed so far without ending it, `fork` copies it. `free` releases the
 * OpenSSL context at once; a dropped hash is freed when it is collected.
 */
export class IncrementalHash {
  /** The hash algorithm. */
  readonly hash: DigestName;
  /** Output length in bytes. */
  readonly length: number;
  #ctx: Deno.PointerObject | null;

  private constructor(hash: DigestName, ctx: Deno.PointerObject) {
    this.hash = hash;
    this.length = hashLength(hash);
    this.#ctx = ctx;
    owner.track(this, ctx);
  }

  /** A new, empty hash. */
  static create(hash: DigestName): IncrementalHash {
    const lib = libcrypto();
    const md = evpMd(hash);
    const ctx = nonNull(lib.EVP_MD_CTX_new(), "EVP_MD_CTX_new");
    try {
      check(lib.EVP_DigestInit_ex(ctx, md, null), `EVP_DigestInit_ex(${hash})`);
    } catch (e) {
      lib.EVP_MD_CTX_free(ctx);
      throw e;
    }
    return new IncrementalHash(hash, ctx);
  }

  #live(): Deno.PointerObject {
    if (!this.#ctx) throw new Error(`this ${this.hash} hash has been freed`);
    return this.#ctx;
  }

  /** Feeds `data` (read during the call, not kept). */
  update(data: Uint8Array): this {
    const ctx = this.#live();
    if (data.length > 0) {
      check(libcrypto().EVP_DigestUpdate(ctx, data, BigInt(data.length)), "EVP_DigestUpdate");
    }
    return this;
  }

  /** The hash of everything fed so far; the hash stays open for more. */
  digest(): Uint8Array<ArrayBuffer> {
    const lib = libcrypto();
    const ctx = this.#live();
    peekContext ??= nonNull(lib.EVP_MD_CTX_new(), "EVP_MD_CTX_new");
    check(lib.EVP_MD_CTX_copy_ex(peekContext, ctx), "EVP_MD_CTX_copy_ex");
    const out = new Uint8Array(this.length);
    check(lib.EVP_DigestFinal_ex(peekContext, out, null), "EVP_DigestFinal_ex");
    return out;
  }

  /** An independent copy of this hash's state. */
  fork(): IncrementalHash {
    const lib = libcrypto();
    const ctx = this.#live();
    const copy = nonNull(lib.EVP_MD_CTX_new(), "EVP_MD_CTX_new");
    try {
      check(lib.EVP_MD_CTX_copy_ex(copy, ctx), "EVP_MD_CTX_copy_ex");
    } catch (e) {
      lib.EVP_MD_CTX_free(copy);
      throw e;
    }
    return new IncrementalHash(this.hash, copy);
  }

  /** Frees the OpenSSL context now; the hash cannot be used afterwards. Idempotent. */
  free(): void {
    if (!this.#ctx) return;
    owner.untrack(this);
    libcrypto().EVP_MD_CTX_free(this.#ctx);
    this.#ctx = null;
  }
}

let oneShotContext: Deno.PointerObject | undefined;

/** The hash of `data`. */
export function digest(hash: DigestName, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const lib = libcrypto();
  const md = evpMd(hash);
  oneShotContext ??= nonNull(lib.EVP_MD_CTX_new(), "EVP_MD_CTX_new");
  check(lib.EVP_DigestInit_ex(oneShotContext, md, null), `EVP_DigestInit_ex(${hash})`);
  if (data.length > 0) {
    check(
      lib.EVP_DigestUpdate(oneShotContext, data, BigInt(data.length)),
      "EVP_DigestUpdate",
    );
  }
  const out = new Uint8Array(hashLength(hash));
  check(lib.EVP_DigestFinal_ex(oneShotContext, out, null), "EVP_DigestFinal_ex");
  return out;
}
