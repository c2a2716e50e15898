/**
 * What client and server do alike when the peer proves who it is (RFC 8446
 * §4.4.2, §4.4.3): ask the verifier about its chain, then check its
 * CertificateVerify against the leaf's key. Also the preferences both sides
 * read from their configuration.
 *
 * @module
 */

import { AlertDescription, TlsError } from "../errors.ts";
import { SignatureScheme } from "../codepoints.ts";
import type { CertificateVerifier, CommonConfig, VerifyContext } from "../config.ts";
import { GROUPS } from "../crypto/key_share.ts";
import { inspectPublicKey } from "../crypto/public_key.ts";
import { HANDSHAKE_SCHEMES, schemeFitsKey, verifySignature } from "../crypto/signature.ts";
import { type Suite, suiteById, SUITES } from "../crypto/suites.ts";
import type { Side } from "../trace.ts";
import { leafPublicKey } from "../x509/leaf.ts";
import type { HandshakeIO } from "./io.ts";
import { certificateVerifyContent } from "./io.ts";
import type { CertificateVerify } from "./messages.ts";

/** The groups, suites and signature schemes a side offers or accepts, in its order of preference. */
export interface Preferences {
  readonly groups: readonly number[];
  readonly suites: readonly Suite[];
  readonly schemes: readonly number[];
}

/** Reads the preferences from a configuration, with this engine's defaults. */
export function preferences(config: CommonConfig): Preferences {
  return {
    groups: config.groups ?? GROUPS,
    suites: (config.cipherSuites ?? SUITES.map((s) => s.id)).map((id) => suiteById(id)!),
    schemes: config.signatureSchemes ?? HANDSHAKE_SCHEMES,
  };
}

/** Asks `verifier` whether to trust the peer's chain, and reports the verdict to the trace. */
export async function verifyPeerChain(
  io: HandshakeIO,
  verifier: CertificateVerifier,
  chain: readonly Uint8Array[],
  context: Omit<VerifyContext, "now" | "trace">,
): Promise<void> {
  const { peer } = context;
  try {
    await verifier.verify(chain, { ...context, now: io.now(), trace: (e) => io.trace(e) });
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
      AlertDescription.illegal_parameter,
      `the ${from} signed with ${scheme}, which was not offered`,
    );
  }
  const spki = leafPublicKey(leaf);
  if (!schemeFitsKey(cv.scheme, inspectPublicKey(spki))) {
    throw new TlsError(
      AlertDescription.illegal_parameter,
      `the ${from} signed with ${scheme}, which does not fit its certificate's key`,
    );
  }
  const content = certificateVerifyContent(from, transcriptHash);
  const ok = await verifySignature(cv.scheme, spki, content, cv.signature);
  io.trace({ kind: "signature", from, scheme: cv.scheme, transcriptHash, ok });
  if (!ok) {
    throw new TlsError(
      AlertDescription.decrypt_error,
      `the ${from}'s CertificateVerify signature (${scheme}) does not verify`,
    );
  }
}
