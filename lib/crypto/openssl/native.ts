/**
 * The pointer plumbing shared by this folder: OpenSSL's error queue turned
 * into an Error, C strings, out-parameters, and the release of OpenSSL
 * objects that are dropped without being freed.
 *
 * @module
 */

import { libcrypto } from "./libcrypto.ts";

/** A libcrypto call failed; the message names the call and OpenSSL's reasons. */
class OpensslError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OpensslError";
  }
}

const encoder = new TextEncoder();
const errorText = new Uint8Array(256);

/** A NUL-terminated copy of `s`, to pass as a `const char *`. */
export function cString(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length + 1);
  encoder.encodeInto(s, bytes);
  return bytes;
}

/** Reads and empties OpenSSL's (thread-local) error queue, as one line of text. */
export function drainErrors(): string {
  const lib = libcrypto();
  const reasons: string[] = [];
  for (let code = lib.ERR_get_error(); code; code = lib.ERR_get_error()) {
    lib.ERR_error_string_n(code, errorText, BigInt(errorText.length));
    const end = errorText.indexOf(0);
    reasons.push(new TextDecoder().decode(errorText.subarray(0, end < 0 ? undefined : end)));
  }
  return reasons.join("; ");
}

/** An OpensslError for the failed call `what`, with the reasons OpenSSL queued. */
export function failure(what: string): OpensslError {
  const reasons = drainErrors();
  return new OpensslError(`OpenSSL ${what} failed${reasons ? `: ${reasons}` : ""}`);
}

/** Throws `failure(what)` unless `result` is 1 (OpenSSL's success). */
export function check(result: number, what: string): void {
  if (result !== 1) throw failure(what);
}

/** Throws `failure(what)` if a constructor returned NULL; otherwise the pointer. */
export function nonNull(pointer: Deno.PointerValue, what: string): Deno.PointerObject {
  if (pointer === null) throw failure(what);
  return pointer;
}

/**
 * An out-parameter of pointer or `size_t` type (`EVP_PKEY **`, `size_t *`):
 * 8 bytes for one call at a time. Every call in this folder is synchronous,
 * so one shared slot is never used by two calls at once. Where OpenSSL also
 * reads the slot (`EVP_PKEY **` of EVP_PKEY_generate), the caller sets it.
 */
export const outWord = new BigUint64Array(1);

/** An out-parameter of C `int` type (`int *outl`), shared like `outWord`. */
export const outInt = new Int32Array(1);

/** The pointer left in `outWord` by the last call, or null. */
export function outPointer(): Deno.PointerValue {
  return Deno.UnsafePointer.create(outWord[0]);
}

/** OpenSSL objects owned by JavaScript objects and not freed yet, by kind (see NativeOwner). */
const live = new Map<string, number>();

/**
 * How many OpenSSL objects of each kind JavaScript objects own right now
 * (hash contexts, key pairs, private keys): for the memory benchmark, which
 * shows that they are freed as fast as they are made.
 */
export function liveNativeObjects(): Record<string, number> {
  return Object.fromEntries(live);
}

/**
 * Frees what `free` is given when the JavaScript object owning it is
 * collected without having been released explicitly (a backstop: the code
 * that owns an object releases it when it knows the object's life is over).
 */
export class NativeOwner<T extends object> {
  readonly #kind: string;
  readonly #registry: FinalizationRegistry<Deno.PointerObject>;

  /** `kind` names the objects in liveNativeObjects(), e.g. "EVP_MD_CTX". */
  constructor(kind: string, free: (pointer: Deno.PointerObject) => void) {
    this.#kind = kind;
    live.set(kind, 0);
    this.#registry = new FinalizationRegistry((pointer) => {
      free(pointer);
      this.#count(-1);
    });
  }

  #count(delta: number): void {
    live.set(this.#kind, live.get(this.#kind)! + delta);
  }

  /** Frees `pointer` once `owner` is collected, unless `untrack` came first. */
  track(owner: T, pointer: Deno.PointerObject): void {
    this.#registry.register(owner, pointer, owner);
    this.#count(1);
  }

  /** Stops tracking `owner` (its pointer was freed explicitly). */
  untrack(owner: T): void {
    if (this.#registry.unregister(owner)) this.#count(-1);
  }
}
