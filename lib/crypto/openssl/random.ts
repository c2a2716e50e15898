/**
 * Randomness from libcrypto's RAND_bytes (OpenSSL's DRBG, seeded by the
 * operating system).
 *
 * @module
 */

import { libcrypto } from "./libcrypto.ts";
import { check } from "./native.ts";

/** The largest request RAND_bytes takes in one call (a C `int`). */
const MAX_REQUEST = 0x7fffffff;

/** Fills `buffer` with random bytes and returns it. */
function fillRandom<T extends Uint8Array>(buffer: T): T {
  if (buffer.length > MAX_REQUEST) {
    throw new RangeError(`cannot draw ${buffer.length} random bytes in one call`);
  }
  if (buffer.length > 0) check(libcrypto().RAND_bytes(buffer, buffer.length), "RAND_bytes");
  return buffer;
}

/** `length` new random bytes. */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return fillRandom(new Uint8Array(length));
}
