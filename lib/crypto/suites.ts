/**
 * TLS 1.3 cipher suites (RFC 8446 §B.4) as a provider assembles them from
 * its hashes and AEADs, and the lookup of a negotiated suite.
 *
 * @module
 */

import { CipherSuite } from "../codepoints.ts";
import type { Aead, CryptoProvider, Hash, Suite } from "./provider.ts";

export type { HashName, Suite } from "./provider.ts";

/** The suite with code point `id` (e.g. 0x1301), from a hash and an AEAD. */
export function makeSuite(id: number, hash: Hash, aead: Aead): Suite {
  return { id, name: CipherSuite.name(id), hash, aead };
}

/** The suite with code point `id` that `crypto` implements, if any. */
export function suiteById(crypto: CryptoProvider, id: number): Suite | undefined {
  return crypto.suites.find((s) => s.id === id);
}
