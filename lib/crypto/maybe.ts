/**
 * Chaining for `MaybePromise` results: a synchronous provider's value goes
 * on at once, with no microtask and no Promise; an asynchronous one's is
 * awaited.
 *
 * @module
 */

import type { MaybePromise } from "./provider.ts";

/** `f(value)`, at once when `value` is not a Promise. */
export function then<T, U>(
  value: MaybePromise<T>,
  f: (value: T) => MaybePromise<U>,
): MaybePromise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}
