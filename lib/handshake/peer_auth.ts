/**
 * What client and server do alike when the peer proves who it is (RFC 8446
 * §4.4.2, §4.4.3): ask the verifier about its chain, then check its
 * CertificateVerify against the leaf's key. Also the preferences both sides
 * read from their configuration.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { NamedGroup, SignatureScheme } from "../codepoints.ts";
import {
  type CertificateVerifier,
  type CommonConfig,
  cryptoOf,
  type VerifyContext,
} from "../config.ts";
import type { CryptoProvider, KeyExchangeGroup, Suite } from "../crypto/provider.ts";
import { inspectPublicKey } from "../crypto/public_key.ts";
import { HANDSHAKE_SCHEMES, schemeFitsKey, verifySignature } from "../crypto/signature.ts";
import { suiteById } from "../crypto/suites.ts";
import type { Side } from "../trace.ts";
import { leafPublicKey } from "../x509/leaf.ts";
import type { HandshakeIO } from "./io.ts";
import { certificateVerifyContent } from "./io.ts";
import type { CertificateVerify } from "./messages.ts";

/**
 * The crypto provider, and the groups, suites and signature schemes a side
 * offers or accepts, in its order of preference.
 */
export interface Preferences {
  readonly crypto: CryptoProvider;
  readonly groups: readonly number[];
  readonly suites: readonly Suite[];
  readonly schemes: readonly number[];
}

/**
 * Reads the preferences from a configuration, with the provider's defaults;
 * suites the provider does not implement are left out.
 */
export function preferences(config: CommonConfig): Preferences {
  const crypto = cryptoOf(config);
  const suiteIds = config.cipherSuites ?? crypto.suites.map((s) => s.id);
  return {
    crypto,
    groups: config.groups ?? crypto.groups.map((g) => g.id),
    suites: suiteIds.map((id) => suiteById(crypto, id)).filter((s) => s !== undefined),
    schemes: config.signatureSchemes ?? HANDSHAKE_SCHEMES,
  };
}

/** The provider's implementation of `group`, if any. */
export function findGroup(crypto: CryptoProvider, group: number): KeyExchangeGroup | undefined {
  return crypto.groups.find((g) => g.id === group);
}

/** The provider's implementation of `group`; one we offered but cannot run is our bug. */
export function requireGroup(crypto: CryptoProvider, group: number): KeyExchangeGroup {
  const g = findGroup(crypto, group);
  if (!g) {
    throw new TlsError(
      "group_not_implemented",
      `group ${NamedGroup.name(group)} is not implemented by the ${crypto.name} crypto provider`,
    );
  }
  return g;
}

/** Asks `verifier` whether to trust the peer's chain, and reports the verdict to the trace. */
export async function verifyPeerChain(
  io: HandshakeIO,
  verifier: CertificateVerifier,
  chain: readonly Uint8Array[],
  context: Omit<VerifyContext, "now" | "crypto" | "trace">,
): Promise<void> {
  const { peer } = context;
  try {
    await verifier.verify(chain, {
      ...context,
      now: io.now(),
      crypto: io.crypto,
      trace: (e) => io.trace(e),
    });
    io.trace({ kind: "certificate_check", peer, ok: true, detail: "trusted" });
  } catch (e) {
    io.trace({ kind: "certificate_check", peer, ok: false, detail: (e as Error).message });
    throw e;
  }
}

/**
 * RFC 8446 §4.4.3: the peer's signature must use a scheme we offered, fit
 * its certificate's key, and verify over the transcript hash so far.
 */
export async function checkCertificateVerify(
  io: HandshakeIO,
  cv: CertificateVerify,
  from: Side,
  leaf: Uint8Array,
  accepted: readonly number[],
  transcriptHash: Uint8Array,
): Promise<void> {
  const scheme = SignatureScheme.name(cv.scheme);
  if (!accepted.includes(cv.scheme)) {
    throw new TlsError(
      "signature_scheme_not_offered",
      `the ${from} signed with ${scheme}, which was not offered`,
    );
  }
  const spki = leafPublicKey(leaf);
  if (!schemeFitsKey(cv.scheme, inspectPublicKey(spki))) {
    throw new TlsError(
      "signature_scheme_key_mismatch",
      `the ${from} signed with ${scheme}, which does not fit its certificate's key`,
    );
  }
  const content = certificateVerifyContent(from, transcriptHash);
  const ok = await verifySignature(io.crypto, cv.scheme, spki, content, cv.signature);
  io.trace({ kind: "signature", from, scheme: cv.scheme, transcriptHash, ok });
  if (!ok) {
    throw new TlsError(
      "bad_certificate_verify_signature",
      `the ${from}'s CertificateVerify signature (${scheme}) does not verify`,
    );
  }
}
