/**
 * HMAC and HKDF (RFC 5869) with TLS 1.3's HKDF-Expand-Label and
 * Derive-Secret (RFC 8446 §7.1), on WebCrypto's HMAC. WebCrypto's own HKDF
 * always extracts before expanding, and TLS needs the two steps apart.
 *
 * @module
 */

import { Writer } from "../wire/writer.ts";
import type { HashName } from "./suites.ts";

const encoder = new TextEncoder();

/**
 * The HMAC keys imported for secrets this module derived, kept with each
 * secret (by object identity), so that a secret several labels are derived
 * from (a traffic secret gives a key, an IV and a Finished key) is imported
 * into WebCrypto once. Only secrets returned by this module are registered,
 * and the engine never changes a secret's bytes once derived.
 */
const importedKeys = new WeakMap<Uint8Array, { hash?: HashName; key?: Promise<CryptoKey> }>();

/** Registers a secret derived here, so that its HMAC key is imported at most once. */
function derived(secret: Uint8Array): Uint8Array {
  importedKeys.set(secret, {});
  return secret;
}

/** The WebCrypto HMAC key for `secret`: imported once for secrets this module derived. */
function hmacKey(hash: HashName, secret: Uint8Array): Promise<CryptoKey> {
  const entry = importedKeys.get(secret);
  if (entry?.key && entry.hash === hash) return entry.key;
  const key = crypto.subtle.importKey(
    "raw",
    secret as BufferSource,
    { name: "HMAC", hash },
    false,
    ["sign"],
  );
  if (entry) {
    entry.hash = hash;
    entry.key = key;
  }
  return key;
}

/**
 * Lets go of the HMAC key imported for `secret` (it is imported again if
 * needed): for a secret kept long after its last derivation, such as a
 * traffic secret held for a KeyUpdate.
 */
export function releaseKey(secret: Uint8Array): void {
  const entry = importedKeys.get(secret);
  if (entry) entry.key = undefined;
}

/** HMAC-`hash`(key, data). */
export async function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await hmacKey(hash, key);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data as BufferSource));
}

/** The hash of `data`. */
export async function digest(hash: HashName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, data as BufferSource));
}

/** Output length of `hash` in bytes. */
export function hashLength(hash: HashName): number {
  return hash === "SHA-256" ? 32 : 48;
}

/** RFC 5869 §2.2: HKDF-Extract(salt, IKM); an empty salt means HashLen zeros. */
export async function hkdfExtract(
  hash: HashName,
  salt: Uint8Array,
  ikm: Uint8Array,
): Promise<Uint8Array> {
  return derived(await hmac(hash, salt.length ? salt : new Uint8Array(hashLength(hash)), ikm));
}

/** RFC 5869 §2.3: HKDF-Expand(PRK, info, L). */
export async function hkdfExpand(
  hash: HashName,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const key = await hmacKey(hash, prk);
  const out = new Uint8Array(length);
  let prev = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    const input = new Uint8Array(prev.length + info.length + 1);
    input.set(prev);
    input.set(info, prev.length);
    input[input.length - 1] = i;
    prev = new Uint8Array(await crypto.subtle.sign("HMAC", key, input));
    out.set(prev.subarray(0, Math.min(prev.length, length - at)), at);
    at += prev.length;
  }
  return derived(out);
}

/**
 * RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, Context, Length), where
 * the info is the HkdfLabel structure with the label prefixed by "tls13 ".
 */
export function hkdfExpandLabel(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const info = new Writer(10 + label.length + context.length)
    .u16(length)
    .vec8(encoder.encode("tls13 " + label))
    .vec8(context)
    .finish();
  return hkdfExpand(hash, secret, info, length);
}

/** RFC 8446 §7.1: Derive-Secret(Secret, Label, Messages), given Transcript-Hash(Messages). */
export function deriveSecret(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashLength(hash));
}
