/**
 * HMAC (RFC 2104) through libcrypto's EVP_MAC, and HKDF (RFC 5869) built on
 * it, so that TLS 1.3 can run Extract and Expand as separate steps
 * (RFC 8446 §7.1).
 *
 * @module
 */

import { hashLength } from "../sizes.ts";
import { type DigestName, OPENSSL_DIGEST_NAMES } from "./digest.ts";
import { libcrypto } from "./libcrypto.ts";
import { check, cString, failure, nonNull, outWord } from "./native.ts";
import { ParamBlock } from "./params.ts";

/**
 * One EVP_MAC_CTX per hash, set to HMAC with that digest once and re-keyed
 * by EVP_MAC_init for every call (all calls are synchronous, so one context
 * per hash serves them all). Kept for the life of the process.
 */
const contexts = new Map<DigestName, Deno.PointerObject>();
let hmacAlgorithm: Deno.PointerObject | undefined;

function macContext(hash: DigestName): Deno.PointerObject {
  let ctx = contexts.get(hash);
  if (ctx) return ctx;
  const lib = libcrypto();
  hashLength(hash);
  hmacAlgorithm ??= nonNull(lib.EVP_MAC_fetch(null, cString("HMAC"), null), "EVP_MAC_fetch(HMAC)");
  ctx = nonNull(lib.EVP_MAC_CTX_new(hmacAlgorithm), "EVP_MAC_CTX_new");
  const digestParams = new ParamBlock([
    { key: "digest", type: "utf8", value: OPENSSL_DIGEST_NAMES[hash] },
  ]);
  if (lib.EVP_MAC_CTX_set_params(ctx, digestParams.params) !== 1) {
    const error = failure(`EVP_MAC_CTX_set_params(HMAC, ${hash})`);
    lib.EVP_MAC_CTX_free(ctx);
    throw error;
  }
  contexts.set(hash, ctx);
  return ctx;
}

/**
 * A zero-length key must still be a valid pointer for EVP_MAC_init (a NULL
 * key means "keep the previous key").
 */
const EMPTY_KEY = new Uint8Array(1);

/** HMAC-`hash`(key, data...): the data parts are fed in order, as if concatenated. */
export function hmac(
  hash: DigestName,
  key: Uint8Array,
  ...data: Uint8Array[]
): Uint8Array<ArrayBuffer> {
  const lib = libcrypto();
  const ctx = macContext(hash);
  const k = key.length > 0 ? key : EMPTY_KEY;
  check(lib.EVP_MAC_init(ctx, k, BigInt(key.length), null), "EVP_MAC_init(HMAC)");
  for (const part of data) {
    if (part.length > 0) {
      check(lib.EVP_MAC_update(ctx, part, BigInt(part.length)), "EVP_MAC_update(HMAC)");
    }
  }
  const out = new Uint8Array(hashLength(hash));
  check(lib.EVP_MAC_final(ctx, out, outWord, BigInt(out.length)), "EVP_MAC_final(HMAC)");
  if (Number(outWord[0]) !== out.length) {
    throw new Error(`HMAC-${hash} gave ${outWord[0]} bytes, expected ${out.length}`);
  }
  return out;
}

/** RFC 5869 §2.2: HKDF-Extract(salt, IKM); an empty salt means HashLen zeros. */
export function hkdfExtract(
  hash: DigestName,
  salt: Uint8Array,
  ikm: Uint8Array,
): Uint8Array<ArrayBuffer> {
  return hmac(hash, salt.length > 0 ? salt : new Uint8Array(hashLength(hash)), ikm);
}

/** RFC 5869 §2.3: HKDF-Expand(PRK, info, L), with L at most 255 × HashLen. */
export function hkdfExpand(
  hash: DigestName,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array<ArrayBuffer> {
  const hashLen = hashLength(hash);
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLen) {
    throw new RangeError(`HKDF-Expand length ${length} is outside 0..${255 * hashLen}`);
  }
  const out = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    counter[0] = i;
    previous = hmac(hash, prk, previous, info, counter);
    out.set(previous.subarray(0, Math.min(hashLen, length - at)), at);
    at += hashLen;
  }
  return out;
}
