/**
 * Signatures through libcrypto's EVP_DigestSign / EVP_DigestVerify: ECDSA
 * (signatures DER-encoded as ECDSA-Sig-Value, RFC 3279 §2.2.3, which is
 * what TLS and X.509 carry), Ed25519 (RFC 8032), RSASSA-PSS and RSASSA-PKCS1
 * v1.5 (RFC 8017). Private keys come from PKCS#8 DER, public keys from
 * SubjectPublicKeyInfo DER.
 *
 * @module
 */

import { isNistCurve } from "../sizes.ts";
import { type DigestName, evpMd } from "./digest.ts";
import { libcrypto } from "./libcrypto.ts";
import { decodeKey, type KeyKind, keyKind, publicKeyFromSpki } from "./keys.ts";
import {
  check,
  drainErrors,
  failure,
  NativeOwner,
  nonNull,
  outPointer,
  outWord,
} from "./native.ts";

/** How to sign or verify. */
export type SignatureAlgorithm =
  | {
    readonly kind: "ecdsa";
    readonly hash: DigestName;
    /** The curve the key must be on, if the scheme binds one (TLS 1.3 does, X.509 does not). */
    readonly curve?: string;
  }
  | { readonly kind: "ed25519" }
  | { readonly kind: "rsa-pss"; readonly hash: DigestName; readonly saltLength: number }
  | { readonly kind: "rsa-pkcs1"; readonly hash: DigestName };

/** `RSA_PKCS1_PADDING`, `RSA_PKCS1_PSS_PADDING` (openssl/rsa.h). */
const RSA_PKCS1_PADDING = 1, RSA_PKCS1_PSS_PADDING = 6;

/** Why `key` cannot be used for `alg`, or undefined if it can. */
function mismatch(alg: SignatureAlgorithm, key: KeyKind): string | undefined {
  switch (alg.kind) {
    case "ecdsa":
      if (key.type !== "ecdsa") return "ECDSA needs an EC key";
      if (alg.curve && key.curve !== alg.curve) {
        return `this scheme needs a ${alg.curve} key, not ${key.curve}`;
      }
      // The curves of TLS and the Web PKI; ECDSA on any other curve is refused.
      return isNistCurve(key.curve) ? undefined : `ECDSA on ${key.curve} is not used here`;
    case "ed25519":
      return key.type === "ed25519" ? undefined : "Ed25519 needs an Ed25519 key";
    case "rsa-pss":
      return key.type === "rsa" || key.type === "rsa-pss" ? undefined : "RSA-PSS needs an RSA key";
    case "rsa-pkcs1":
      return key.type === "rsa" ? undefined : "RSA PKCS#1 v1.5 needs an rsaEncryption key";
  }
}

/**
 * Starts a sign or verify operation on a new EVP_MD_CTX (returned; the
 * caller frees it), with RSA padding and salt length set from `alg`.
 */
function startOperation(
  sign: boolean,
  pkey: Deno.PointerObject,
  alg: SignatureAlgorithm,
): Deno.PointerObject {
  const lib = libcrypto();
  const md = alg.kind === "ed25519" ? null : evpMd(alg.hash);
  const mctx = nonNull(lib.EVP_MD_CTX_new(), "EVP_MD_CTX_new");
  try {
    outWord[0] = 0n;
    const init = sign ? lib.EVP_DigestSignInit : lib.EVP_DigestVerifyInit;
    check(
      init(mctx, outWord, md, null, pkey),
      sign ? "EVP_DigestSignInit" : "EVP_DigestVerifyInit",
    );
    // The EVP_PKEY_CTX belongs to the EVP_MD_CTX and is freed with it.
    const pctx = nonNull(outPointer(), "EVP_DigestSignInit (no EVP_PKEY_CTX)");
    if (alg.kind === "rsa-pss") {
      check(lib.EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), "set RSA-PSS padding");
      check(lib.EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, alg.saltLength), "set RSA-PSS salt");
    } else if (alg.kind === "rsa-pkcs1") {
      check(lib.EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), "set RSA PKCS#1 padding");
    }
    return mctx;
  } catch (e) {
    lib.EVP_MD_CTX_free(mctx);
    throw e;
  }
}

const privateOwner = new NativeOwner<PrivateKey>(
  "EVP_PKEY (signing)",
  (pkey) => libcrypto().EVP_PKEY_free(pkey),
);

/**
 * A private key that signs. `free` releases it at once; a dropped key is
 * freed when it is collected.
 */
export class PrivateKey {
  /** The key's kind. */
  readonly kind: KeyKind;
  #pkey: Deno.PointerObject | null;

  private constructor(pkey: Deno.PointerObject) {
    this.#pkey = pkey;
    privateOwner.track(this, pkey);
    this.kind = keyKind(pkey);
  }

  /** Reads a PKCS#8 PrivateKeyInfo (RFC 5208, RFC 5958); the DER is not kept. */
  static fromPkcs8(der: Uint8Array): PrivateKey {
    const pkey = decodeKey("private", der);
    if (pkey instanceof Error) throw new Error(`not a usable private key: ${pkey.message}`);
    return new PrivateKey(pkey);
  }

  /** Signs `data` (read during the call only); ECDSA signatures come out DER-encoded. */
  sign(alg: SignatureAlgorithm, data: Uint8Array): Uint8Array<ArrayBuffer> {
    if (!this.#pkey) throw new Error("this private key has been freed");
    const why = mismatch(alg, this.kind);
    if (why) throw new Error(`cannot sign: ${why}`);
    const lib = libcrypto();
    const mctx = startOperation(true, this.#pkey, alg);
    try {
      const size = lib.EVP_PKEY_get_size(this.#pkey);
      if (size <= 0) throw failure("EVP_PKEY_get_size");
      const signature = new Uint8Array(size);
      outWord[0] = BigInt(size);
      check(
        lib.EVP_DigestSign(mctx, signature, outWord, data, BigInt(data.length)),
        "EVP_DigestSign",
      );
      return signature.slice(0, Number(outWord[0]));
    } finally {
      lib.EVP_MD_CTX_free(mctx);
    }
  }

  /** Frees the key now; it cannot be used afterwards. Idempotent. */
  free(): void {
    if (!this.#pkey) return;
    privateOwner.untrack(this);
    libcrypto().EVP_PKEY_free(this.#pkey);
    this.#pkey = null;
  }
}

/**
 * Verifies `signature` over `data` with the SubjectPublicKeyInfo `spki`.
 * Returns false for a bad signature, a malformed key or signature, and a
 * key that does not fit `alg`.
 */
export function verifySignature(
  spki: Uint8Array,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  return withPublicKey(spki, (pkey) => {
    if (mismatch(alg, keyKind(pkey)) || signature.length === 0) return false;
    const lib = libcrypto();
    let mctx: Deno.PointerObject;
    try {
      mctx = startOperation(false, pkey, alg);
    } catch {
      return false; // e.g. a PSS-restricted key refusing this hash or salt length
    }
    try {
      const ok = lib.EVP_DigestVerify(
        mctx,
        signature,
        BigInt(signature.length),
        data,
        BigInt(data.length),
      );
      if (ok !== 1) drainErrors();
      return ok === 1;
    } finally {
      lib.EVP_MD_CTX_free(mctx);
    }
  }) ?? false;
}

/**
 * The public keys verified with most recently, by their SubjectPublicKeyInfo
 * (a CA's and a server's keys recur from connection to connection). At most
 * PUBLIC_KEY_CACHE_SIZE, each freed when it is pushed out; every use is
 * within one synchronous call, so none is freed while in use.
 */
const publicKeys = new Map<string, Deno.PointerObject>();
const PUBLIC_KEY_CACHE_SIZE = 32;

/** Runs `use` with the public key read from `spki`; undefined if unreadable. */
function withPublicKey<T>(spki: Uint8Array, use: (pkey: Deno.PointerObject) => T): T | undefined {
  const id = spki.toHex();
  let pkey = publicKeys.get(id);
  if (pkey) {
    publicKeys.delete(id); // to the end: most recently used
  } else {
    const built = publicKeyFromSpki(spki);
    if (built instanceof Error) return undefined;
    pkey = built;
    if (publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) {
      const [oldest, key] = publicKeys.entries().next().value!;
      publicKeys.delete(oldest);
      libcrypto().EVP_PKEY_free(key);
    }
  }
  publicKeys.set(id, pkey);
  return use(pkey);
}
