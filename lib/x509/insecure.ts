/**
 * `--insecure`: a verifier that trusts every chain. The connection is still
 * encrypted, but to whoever answered: anyone on the path can read and
 * change it. For testing against servers whose certificates cannot be
 * checked; the caller is expected to warn.
 *
 * @module
 */

import type { CertificateVerifier, VerifyContext } from "../config.ts";

/** Accepts any chain, reporting in the trace that nothing was checked. */
export class InsecureVerifier implements CertificateVerifier {
  /** Resolves for any chain: nothing is verified (anyone on the path can impersonate the peer). */
  verify(_chain: readonly Uint8Array[], context: VerifyContext): Promise<void> {
    context.trace?.({
      kind: "certificate_link",
      subject: "the peer's certificate",
      issuer: "(not checked)",
      ok: true,
      detail: "certificate verification is disabled (--insecure)",
    });
    return Promise.resolve();
  }
}
