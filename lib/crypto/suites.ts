/**
 * The cipher suites this engine implements (RFC 8446 §B.4) and what each
 * one fixes: the AEAD key length and the hash of the transcript and key
 * schedule.
 *
 * @module
 */

import { CipherSuite } from "../codepoints.ts";

/** A WebCrypto hash name used by TLS 1.3. */
export type HashName = "SHA-256" | "SHA-384";

/** One TLS 1.3 cipher suite: AES-GCM with a key size, and a hash. */
export interface Suite {
  /** The code point, e.g. 0x1301. */
  readonly id: number;
  /** The RFC name, e.g. `TLS_AES_128_GCM_SHA256`. */
  readonly name: string;
  /** Transcript and HKDF hash. */
  readonly hash: HashName;
  /** Hash output length in bytes (32 or 48). */
  readonly hashLen: number;
  /** AES key length in bytes (16 or 32). */
  readonly keyLen: number;
}

/** The implemented suites, in this engine's default order of preference. */
export const SUITES: readonly Suite[] = [
  {
    id: CipherSuite.TLS_AES_128_GCM_SHA256,
    name: "TLS_AES_128_GCM_SHA256",
    hash: "SHA-256",
    hashLen: 32,
    keyLen: 16,
  },
  {
    id: CipherSuite.TLS_AES_256_GCM_SHA384,
    name: "TLS_AES_256_GCM_SHA384",
    hash: "SHA-384",
    hashLen: 48,
    keyLen: 32,
  },
];

/** The implemented suite with code point `id`, if any. */
export function suiteById(id: number): Suite | undefined {
  return SUITES.find((s) => s.id === id);
}
