/**
 * Path building (RFC 4158, RFC 5280 §6.1): from the leaf, through the
 * certificates the peer sent (in any order, extras ignored), to a trust
 * anchor, depth first, trusting anchors before intermediates and preferring
 * issuers whose subjectKeyIdentifier matches. Each link is checked as it is
 * added (the issuer's own rules, validity and the signature); the rules of a
 * whole path (pathLenConstraint, name constraints) when an anchor is
 * reached. A failed candidate sends the search back to try the next one.
 * A leaf that is byte for byte one of the trust anchors is trusted as it
 * is, as Go and OpenSSL do: the user chose to trust that very certificate.
 *
 * A hostile peer cannot make it spin: no (subject, key) pair appears twice
 * in a path, the number of intermediates is bounded, and so are the
 * signature checks and candidates one verification may spend.
 *
 * @module
 */

import { AlertDescription, type TlsError } from "../errors.ts";
import type { TraceEvent } from "../trace.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { signatureAlgorithm } from "./algorithms.ts";
import { bytesEqual, type Certificate } from "./certificate.ts";
import { checkNameConstraints, type ConstraintBudget } from "./name_constraints.ts";
import { checkCertificate, checkValidity, type Purpose } from "./profile.ts";
import { describe, quoted, refuse, type Role } from "./refusal.ts";

/** Limits on one verification. */
export interface PathLimits {
  /** Most intermediates in a path, not counting self-issued ones (as pathLenConstraint counts). */
  readonly maxIntermediates: number;
  /** Most signature checks one verification may make. */
  readonly maxSignatureChecks: number;
}

/** What the search is for. */
export interface PathQuery {
  readonly leaf: Certificate;
  readonly intermediates: readonly Certificate[];
  readonly purpose: Purpose;
  readonly now: Date;
  /** The provider that checks the signatures. */
  readonly crypto: CryptoProvider;
  readonly trace?: (event: TraceEvent) => void;
}

/** Trust anchors indexed by subject, with their checks cached per purpose. */
export class AnchorSet {
  readonly certificates: readonly Certificate[];
  readonly #bySubject = new Map<string, Certificate[]>();

  constructor(certificates: readonly Certificate[]) {
    this.certificates = certificates;
    for (const c of certificates) push(this.#bySubject, c.subject.der.toHex(), c);
  }

  /** The anchors whose subject is `name` (DER). */
  withSubject(name: Uint8Array): readonly Certificate[] {
    return this.#bySubject.get(name.toHex()) ?? [];
  }
}

/** Candidate evaluations allowed per signature check (bounds searches over cached results). */
const STEPS_PER_SIGNATURE = 20;

/**
 * Finds a valid path for `query.leaf`, returned leaf first and anchor last,
 * or throws the most telling refusal met on the way.
 */
export async function buildPath(
  anchors: AnchorSet,
  query: PathQuery,
  limits: PathLimits,
): Promise<Certificate[]> {
  return await new Search(anchors, query, limits).run();
}

class Search {
  readonly #anchors: AnchorSet;
  readonly #q: PathQuery;
  readonly #limits: PathLimits;
  readonly #bySubject = new Map<string, Certificate[]>();
  readonly #checked = new Map<Certificate, TlsError | null>();
  readonly #signatures = new Map<Certificate, Map<Certificate, Promise<boolean>>>();
  readonly #constraints: ConstraintBudget = { comparisons: 0 };
  #signatureChecks = 0;
  #steps = 0;
  #best?: { error: TlsError; depth: number };

  constructor(anchors: AnchorSet, query: PathQuery, limits: PathLimits) {
    this.#anchors = anchors;
    this.#q = query;
    this.#limits = limits;
    for (const c of query.intermediates) {
      // A copy of a trust anchor adds nothing: the anchor itself is tried first.
      const isAnchor = anchors.withSubject(c.subject.der).some((a) => bytesEqual(a.spki, c.spki));
      if (!isAnchor) push(this.#bySubject, c.subject.der.toHex(), c);
    }
  }

  async run(): Promise<Certificate[]> {
    const leaf = this.#q.leaf;
    // The user trusted this very certificate (Go and OpenSSL agree): its own checks suffice.
    if (this.#anchors.withSubject(leaf.subject.der).some((a) => bytesEqual(a.der, leaf.der))) {
      this.#q.trace?.({
        kind: "certificate_link",
        subject: leaf.subject.text,
        issuer: leaf.subject.text,
        ok: true,
        detail: "the certificate is itself a trust anchor",
      });
      return [leaf];
    }
    const path = await this.#extend([leaf], 0);
    if (path) return path;
    throw this.#best?.error ?? this.#noIssuer(leaf, "leaf");
  }

  /** Depth-first: every acceptable issuer of the last certificate in `path`, anchors first. */
  async #extend(path: Certificate[], intermediates: number): Promise<Certificate[] | undefined> {
    const child = path[path.length - 1];
    const childRole: Role = path.length === 1 ? "leaf" : "intermediate";
    const candidates = [
      ...this.#anchors.withSubject(child.issuer.der).map((cert) => ({
        cert,
        role: "anchor" as const,
      })),
      ...this.#preferred(child).map((cert) => ({ cert, role: "intermediate" as const })),
    ];
    let tried = 0;
    for (const { cert, role } of candidates) {
      if (++this.#steps > this.#limits.maxSignatureChecks * STEPS_PER_SIGNATURE) {
        throw this.#gaveUp();
      }
      if (
        path.some((p) =>
          bytesEqual(p.subject.der, cert.subject.der) && bytesEqual(p.spki, cert.spki)
        )
      ) {
        continue; // RFC 4158 §5.2: a loop.
      }
      tried++;
      const count = intermediates + (role === "intermediate" && !cert.selfIssued ? 1 : 0);
      if (count > this.#limits.maxIntermediates) {
        this.#record(
          refuse(
            "cert_path_too_long",
            `no path from ${describe(this.#q.leaf, "leaf")} reaches a trust anchor within ` +
              `${this.#limits.maxIntermediates} intermediates`,
          ),
          path.length,
        );
        continue;
      }
      const problem = this.#check(cert, role) ??
        await this.#signature(child, childRole, cert, role);
      this.#q.trace?.({
        kind: "certificate_link",
        subject: child.subject.text,
        issuer: cert.subject.text,
        ok: !problem,
        detail: problem ? problem.message : `signed by ${describe(cert, role)}`,
      });
      if (problem) {
        this.#record(problem, path.length);
        continue;
      }
      const longer = [...path, cert];
      if (role === "anchor") {
        const error = this.#checkPath(longer);
        if (!error) return longer;
        this.#record(error, longer.length);
        continue;
      }
      const found = await this.#extend(longer, count);
      if (found) return found;
    }
    if (tried === 0) this.#record(this.#noIssuer(child, childRole), path.length);
    return undefined;
  }

  /** Intermediates named as `child`'s issuer, those whose key identifier does not differ first. */
  #preferred(child: Certificate): Certificate[] {
    const found = this.#bySubject.get(child.issuer.der.toHex()) ?? [];
    return [
      ...found.filter((c) => !keyIdsDiffer(child, c)),
      ...found.filter((c) => keyIdsDiffer(child, c)),
    ];
  }

  /** The issuer's own rules and validity, once per certificate. */
  #check(cert: Certificate, role: Role): TlsError | undefined {
    let result = this.#checked.get(cert);
    if (result === undefined) {
      result = checkCertificate(cert, role, this.#q.purpose) ??
        checkValidity(cert, role, this.#q.now) ??
        null;
      this.#checked.set(cert, result);
    }
    return result ?? undefined;
  }

  /** Whether `issuer`'s key made `child`'s signature, within the budget. */
  async #signature(
    child: Certificate,
    childRole: Role,
    issuer: Certificate,
    issuerRole: Role,
  ): Promise<TlsError | undefined> {
    const alg = signatureAlgorithm(child.signatureAlgorithm);
    if ("refused" in alg) {
      return refuse(
        "cert_signature_algorithm_refused",
        `${
          describe(child, childRole)
        } is signed with ${alg.name}, which is refused: ${alg.refused}`,
      );
    }
    let byIssuer = this.#signatures.get(child);
    if (!byIssuer) this.#signatures.set(child, byIssuer = new Map());
    let ok = byIssuer.get(issuer);
    if (!ok) {
      if (++this.#signatureChecks > this.#limits.maxSignatureChecks) throw this.#gaveUp();
      ok = Promise.resolve(
        this.#q.crypto.verify(issuer.spki, alg.params, child.tbs, child.signature),
      );
      byIssuer.set(issuer, ok);
    }
    if (await ok) return undefined;
    if (keyIdsDiffer(child, issuer)) {
      // Another CA with the same name: the child's issuer is simply not this one.
      return refuse(
        "cert_issuer_mismatch",
        `${describe(child, childRole)} was issued by a CA named ${quoted(issuer)}, but not by ` +
          `${
            describe(issuer, issuerRole)
          }: the key identifiers differ and the signature does not verify`,
      );
    }
    return refuse(
      "cert_bad_signature",
      `the ${alg.name} signature on ${describe(child, childRole)} does not verify with the ` +
        `public key of ${describe(issuer, issuerRole)}`,
    );
  }

  /** RFC 5280 §6.1.4 (l), (m) and (g): pathLenConstraint and name constraints, top down. */
  #checkPath(path: readonly Certificate[]): TlsError | undefined {
    const roleAt = (i: number): Role =>
      i === 0 ? "leaf" : i === path.length - 1 ? "anchor" : "intermediate";
    let remaining = Infinity;
    let limitedBy: Certificate | undefined;
    for (let i = path.length - 1; i >= 1; i--) {
      const cert = path[i];
      if (i < path.length - 1 && !cert.selfIssued) {
        if (remaining <= 0) {
          return refuse(
            "cert_path_len_exceeded",
            `${describe(cert, "intermediate")} is a CA below ${quoted(limitedBy!)}, whose ` +
              `pathLenConstraint allows no more CA certificates below it (RFC 5280 §4.2.1.9)`,
          );
        }
        remaining--;
      }
      const ext = cert.extensions;
      const pathLen = "malformed" in ext ? undefined : ext.basicConstraints?.value.pathLen;
      if (pathLen !== undefined && pathLen < remaining) {
        remaining = pathLen;
        limitedBy = cert;
      }
    }
    for (let i = path.length - 1; i >= 1; i--) {
      for (let j = i - 1; j >= 0; j--) {
        // RFC 5280 §6.1.3 (b): self-issued intermediates are exempt, the leaf never.
        if (j > 0 && path[j].selfIssued) continue;
        const error = checkNameConstraints(
          path[j],
          roleAt(j),
          path[i],
          roleAt(i),
          this.#constraints,
        );
        if (error) {
          if (error.alert === AlertDescription.certificate_unknown) throw error;
          return error;
        }
      }
    }
    return undefined;
  }

  /**
   * Keeps the most telling refusal: any other reason beats unknown_ca (a
   * candidate was found but failed), and a deeper failure beats a shallower
   * one (that path came closer to an anchor).
   */
  #record(error: TlsError, depth: number): void {
    const rank = (e: TlsError, d: number) =>
      (e.alert === AlertDescription.unknown_ca ? 0 : 1000) + d;
    if (!this.#best || rank(error, depth) > rank(this.#best.error, this.#best.depth)) {
      this.#best = { error, depth };
    }
  }

  #noIssuer(cert: Certificate, role: Role): TlsError {
    if (cert.selfIssued) {
      return refuse(
        "cert_self_signed_untrusted",
        `${describe(cert, role)} is self-signed and is not a trust anchor`,
      );
    }
    return refuse(
      "cert_unknown_issuer",
      `${describe(cert, role)} was issued by ${
        cert.issuer.text ? `"${cert.issuer.text}"` : "(empty name)"
      }, which is neither a trust anchor nor among the certificates the peer sent`,
    );
  }

  #gaveUp(): TlsError {
    return refuse(
      "cert_path_search_gave_up",
      `gave up looking for a path after ${this.#limits.maxSignatureChecks} signature checks ` +
        `(the peer sent ${this.#q.intermediates.length + 1} certificates)`,
    );
  }
}

/** Whether `child`'s authorityKeyIdentifier and `issuer`'s subjectKeyIdentifier are both there and differ. */
function keyIdsDiffer(child: Certificate, issuer: Certificate): boolean {
  const c = child.extensions, i = issuer.extensions;
  const aki = "malformed" in c ? undefined : c.authorityKeyIdentifier?.value.keyId;
  const ski = "malformed" in i ? undefined : i.subjectKeyIdentifier?.value;
  return aki !== undefined && ski !== undefined && !bytesEqual(aki, ski);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
