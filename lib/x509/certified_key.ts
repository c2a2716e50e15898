/**
 * Loads a server's (or client's) certificate chain and private key from PEM
 * and checks that they belong together, so that a mismatched pair is refused
 * at start rather than by every peer.
 *
 * @module
 */

import type { CertifiedKey } from "../config.ts";
import { defaultProvider } from "../crypto/default.ts";
import type { CryptoProvider, SigningKey } from "../crypto/provider.ts";
import { verifySignature } from "../crypto/signature.ts";
import { pkcs8FromPem } from "../crypto/pkcs8.ts";
import { leafPublicKey } from "./leaf.ts";
import { decodePem } from "./pem.ts";

/** Why a certificate/key pair could not be loaded; `which` says which input is at fault. */
export class CertifiedKeyError extends Error {
  /** The input at fault: the certificate, the key, or that they do not belong together. */
  readonly which: "certificate" | "key" | "pair";

  /** `which` input is at fault, and `message` says how. */
  constructor(which: "certificate" | "key" | "pair", message: string) {
    super(message);
    this.name = "CertifiedKeyError";
    this.which = which;
  }
}

/**
 * Reads a PEM chain (leaf first) and a PEM PKCS#8 private key and proves
 * they match by signing a fresh challenge with the key and verifying it with
 * the certificate's public key. The key is loaded into `crypto`, the
 * provider of the connections that will use it.
 *
 * @example
 * ```ts
 * import { loadCertifiedKey } from "../mod.ts";
 * declare const chainPem: string, keyPem: string; // e.g. read from server.pem and server-key.pem
 * const certificate = await loadCertifiedKey(chainPem, keyPem);
 * // { chain: [leaf, ...intermediates], key }: a ServerConfig's `certificate`
 * ```
 */
export async function loadCertifiedKey(
  chainPem: string,
  keyPem: string,
  crypto: CryptoProvider = defaultProvider,
): Promise<CertifiedKey> {
  const chain = decodePem(chainPem).filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
  if (chain.length === 0) {
    throw new CertifiedKeyError("certificate", "holds no PEM CERTIFICATE block");
  }
  let key: SigningKey;
  try {
    key = await crypto.loadSigningKey(pkcs8FromPem(decodePem(keyPem)));
  } catch (e) {
    throw new CertifiedKeyError("key", (e as Error).message);
  }
  let spki: Uint8Array;
  try {
    spki = leafPublicKey(chain[0]);
  } catch (e) {
    throw new CertifiedKeyError("certificate", (e as Error).message);
  }
  const scheme = key.schemes[0];
  const challenge = crypto.randomBytes(32);
  const signature = await key.sign(scheme, challenge);
  if (!(await verifySignature(crypto, scheme, spki, challenge, signature))) {
    throw new CertifiedKeyError(
      "pair",
      "the private key does not match the certificate's public key",
    );
  }
  return { chain, key };
}
