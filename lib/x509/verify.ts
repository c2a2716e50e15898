/**
 * The certificate verifier: RFC 5280 path validation from the peer's chain
 * to a set of trust anchors, with the identity rules of RFC 9525 for
 * servers, refusing with a message that names the certificate, the rule and
 * the values, and the alert RFC 8446 §6.2 calls for.
 *
 * @module
 */

import type { CertificateVerifier, VerifyContext } from "../config.ts";
import { ApiMisuseError } from "../errors.ts";
import { DerError } from "../wire/der.ts";
import { type Certificate, parseCertificate } from "./certificate.ts";
import { checkServerName } from "./identity.ts";
import { AnchorSet, buildPath, type PathLimits } from "./path.ts";
import { checkCertificate, checkValidity, type Purpose } from "./profile.ts";
import { refuse } from "./refusal.ts";

/** Limits on path building (defaults in parentheses). */
export interface PathVerifierOptions {
  /**
   * Most intermediates in a path (6, as rustls' webpki), not counting
   * self-issued ones, as RFC 5280 §4.2.1.9 counts pathLenConstraint.
   */
  maxIntermediates?: number;
  /** Most signature checks one verification may make (100, as Go and webpki). */
  maxSignatureChecks?: number;
}

/**
 * Verifies a peer's chain against trust anchors: for a client checking a
 * server (serverAuth, and the server name when one is given) or a server
 * checking a client certificate (clientAuth).
 *
 * @example
 * ```ts
 * import { parseTrustAnchors, PathVerifier } from "../mod.ts";
 * declare const caPem: string; // the CA certificate(s), PEM
 * const verifier = new PathVerifier(parseTrustAnchors(caPem), { maxIntermediates: 3 });
 * ```
 */
export class PathVerifier implements CertificateVerifier {
  readonly #anchors: AnchorSet;
  readonly #limits: PathLimits;

  /**
   * Trusts the CA certificates `anchors` (DER, e.g. from `parseTrustAnchors`).
   * One that cannot be parsed throws an `ApiMisuseError` (`invalid_trust_anchor`) naming it.
   */
  constructor(anchors: readonly Uint8Array[], options: PathVerifierOptions = {}) {
    this.#anchors = new AnchorSet(anchors.map((der, i) => {
      try {
        return parseCertificate(der);
      } catch (e) {
        if (!(e instanceof DerError)) throw e;
        throw new ApiMisuseError(
          "invalid_trust_anchor",
          `trust anchor #${i + 1} cannot be parsed: ${e.message}`,
        );
      }
    }));
    this.#limits = {
      maxIntermediates: options.maxIntermediates ?? 6,
      maxSignatureChecks: options.maxSignatureChecks ?? 100,
    };
  }

  /** The trust anchors' subjects (DER), for a CertificateRequest's certificate_authorities. */
  get anchorSubjects(): Uint8Array[] {
    return this.#anchors.certificates.map((c) => c.subject.der);
  }

  /** Refuses the chain with a `TlsError` unless it is valid (see `verifyPath`). */
  async verify(chain: readonly Uint8Array[], context: VerifyContext): Promise<void> {
    await this.verifyPath(chain, context);
  }

  /**
   * Validates `chain` (DER, leaf first, then whatever the peer sent) and
   * returns the path used, leaf first and trust anchor last.
   */
  async verifyPath(chain: readonly Uint8Array[], context: VerifyContext): Promise<Uint8Array[]> {
    if (chain.length === 0) throw refuse("cert_chain_empty", "the peer sent no certificate");
    const [leaf, ...intermediates] = chain.map(parsePeerCertificate);
    const purpose: Purpose = context.peer === "server" ? "serverAuth" : "clientAuth";
    const problem = checkCertificate(leaf, "leaf", purpose) ??
      checkValidity(leaf, "leaf", context.now) ??
      (context.peer === "server" && context.serverName !== undefined
        ? checkServerName(leaf, context.serverName)
        : undefined);
    if (problem) throw problem;
    const path = await buildPath(
      this.#anchors,
      {
        leaf,
        intermediates,
        purpose,
        now: context.now,
        crypto: context.crypto,
        trace: context.trace,
      },
      this.#limits,
    );
    return path.map((c) => c.der);
  }
}

function parsePeerCertificate(der: Uint8Array, index: number): Certificate {
  try {
    return parseCertificate(der);
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    const which = index === 0
      ? "the peer's certificate"
      : `certificate #${index + 1} of the peer's chain`;
    throw refuse("cert_unparseable", `${which} cannot be parsed: ${e.message}`);
  }
}
