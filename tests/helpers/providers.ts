/**
 * The crypto providers every provider-dependent test runs with: the vector
 * tests (RFC 8448, Illustrated TLS 1.3), the in-memory matrix and the
 * hostile and fuzz replays each register one test per provider listed here.
 *
 * @module
 */

import { CipherSuite, NamedGroup } from "../../lib/codepoints.ts";
import type { ActiveKeyExchange, CryptoProvider } from "../../lib/crypto/provider.ts";
import { opensslProvider } from "../../lib/crypto/openssl/mod.ts";
import { webcrypto } from "../../lib/crypto/webcrypto/mod.ts";

/** The providers to test: the default, and OpenSSL's libcrypto through FFI. */
export const PROVIDERS: readonly CryptoProvider[] = [webcrypto, opensslProvider()];

/**
 * The groups every provider offered, in this order, before the post-quantum
 * hybrid became the first: tests that replay recorded or published
 * connections with fixed X25519 keys pin them, so their bytes stay as recorded.
 */
export const RECORDED_GROUPS: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
];

/** The suites offered before ChaCha20-Poly1305 joined them, pinned by the same tests. */
export const RECORDED_SUITES: readonly number[] = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
];

/** Registers `fn` as one test per provider, named "`name` [provider]". */
export function testEachProvider(
  name: string,
  fn: (crypto: CryptoProvider) => Promise<void> | void,
): void {
  for (const crypto of PROVIDERS) Deno.test(`${name} [${crypto.name}]`, () => fn(crypto));
}

/** The provider's implementation of `group` (a test of a group the provider lacks fails). */
export function groupOf(crypto: CryptoProvider, group: number) {
  const g = crypto.groups.find((g) => g.id === group);
  if (!g) throw new Error(`${crypto.name} has no ${NamedGroup.name(group)}`);
  return g;
}

/**
 * A key exchange from a fixed X25519 private key (32 raw bytes), for
 * reproducing published traces: RFC 8410 §7's PKCS#8 around it.
 */
export async function x25519FromPrivate(
  crypto: CryptoProvider,
  privateKey: Uint8Array,
  publicKey: Uint8Array,
): Promise<ActiveKeyExchange> {
  const pkcs8 = new Uint8Array([
    ...Uint8Array.fromHex("302e020100300506032b656e04220420"),
    ...privateKey,
  ]);
  return await groupOf(crypto, NamedGroup.x25519).withPrivateKey!(pkcs8, publicKey);
}
