/**
 * Runs x509-limbo test cases (https://x509-limbo.com, schema in
 * `limbo-schema.json` next to the suite) through `PathVerifier`, as a
 * client validating a server would. Shared by `tools/limbo.ts` (the whole
 * suite) and `tests/x509_limbo_test.ts` (a fast subset).
 *
 * @module
 */

import { PathVerifier } from "../../lib/x509/verify.ts";
import { decodePem } from "../../lib/x509/pem.ts";
import { parseCertificate } from "../../lib/x509/certificate.ts";
import { TlsError } from "../../lib/errors.ts";
import { defaultProvider } from "../../lib/crypto/default.ts";

/** One test case, with the fields this harness reads. */
export interface LimboCase {
  readonly id: string;
  readonly features: readonly string[];
  readonly conflicts_with: readonly string[];
  readonly validation_kind: "SERVER" | "CLIENT";
  readonly trusted_certs: readonly string[];
  readonly untrusted_intermediates: readonly string[];
  readonly peer_certificate: string;
  readonly validation_time: string | null;
  readonly expected_peer_name: { kind: "DNS" | "IP" | "RFC822"; value: string } | null;
  readonly expected_result: "SUCCESS" | "FAILURE";
  readonly max_chain_depth: number | null;
  readonly key_usage: readonly string[];
  readonly extended_key_usage: readonly string[];
}

/** One result, in limbo's LimboResult format. */
export interface LimboResult {
  readonly id: string;
  readonly actual_result: "SUCCESS" | "FAILURE" | "SKIPPED";
  readonly context: string;
}

/** Where the suite lives, from the repository root. */
export const DEFAULT_LIMBO_DIR = new URL("../../../shared/x509-limbo/", import.meta.url);

/**
 * The feature tags not run, and why. Everything else runs, including the
 * pedantic tags the validator happens to meet (serial numbers, subscriber
 * keys, the RFC 5280 AKI rules) and the denial-of-service cases.
 */
export const SKIPPED_FEATURES: Readonly<Record<string, string>> = {
  "has-crl": "revocation is not checked (no CRL or OCSP support)",
  "pedantic-public-suffix-wildcard": "needs the Public Suffix List, which is not shipped",
  "pedantic-webpki-eku":
    "CABF rules on EKU presence and criticality: a leaf without EKU is accepted (RFC 5280 §4.2.1.12, as Go, rustls and browsers do)",
  "rfc5280-incompatible-with-webpki":
    "the validator follows the web PKI profile where the two disagree (its webpki:: counterpart runs)",
};

/**
 * Cases that contradict a case of the profile followed here, and why
 * (limbo marks three such rfc5280/webpki pairs with `conflicts_with`).
 */
export const SKIPPED_CONFLICTS: Readonly<Record<string, string>> = {
  "rfc5280::ca-as-leaf":
    "contradicts webpki::ca-as-leaf: a CA certificate is refused as the peer's own certificate",
};

/** Why `tc` is not run, or undefined if it is. */
export function skipReason(tc: LimboCase): string | undefined {
  if (tc.validation_kind !== "SERVER") return "only SERVER validation is run";
  const feature = tc.features.find((f) => f in SKIPPED_FEATURES);
  if (feature) return `${feature}: ${SKIPPED_FEATURES[feature]}`;
  if (tc.id in SKIPPED_CONFLICTS) return SKIPPED_CONFLICTS[tc.id];
  if (tc.key_usage.some((u) => u !== "digitalSignature")) {
    return "asks for a key usage other than digitalSignature, which is what TLS needs";
  }
  if (tc.extended_key_usage.some((u) => u !== "serverAuth")) {
    return "asks for an extended key usage other than serverAuth";
  }
  return undefined;
}

/** Reads `limbo.json.gz` from `dir`. */
export async function loadLimbo(dir: URL = DEFAULT_LIMBO_DIR): Promise<LimboCase[]> {
  const file = await Deno.open(new URL("limbo.json.gz", dir));
  const text = await new Response(
    file.readable.pipeThrough(new DecompressionStream("gzip")),
  ).text();
  return JSON.parse(text).testcases;
}

/** The known failures (`exceptions.json`): case ID → a one-line reason. */
export async function loadExceptions(): Promise<Record<string, string>> {
  return JSON.parse(await Deno.readTextFile(new URL("exceptions.json", import.meta.url)));
}

/** Decodes PEM once per distinct text: the suite repeats roots across many cases. */
export class DerCache {
  readonly #der = new Map<string, Uint8Array>();

  get(pem: string): Uint8Array {
    let der = this.#der.get(pem);
    if (!der) {
      der = decodePem(pem)[0]?.der ?? new Uint8Array();
      this.#der.set(pem, der);
    }
    return der;
  }
}

/** Runs one (not skipped) case. */
export async function runCase(tc: LimboCase, cache: DerCache): Promise<LimboResult> {
  // As upstream harnesses do, a trust anchor that cannot be parsed is left out.
  const anchors = tc.trusted_certs.map((p) => cache.get(p)).filter(parses);
  const verifier = new PathVerifier(anchors, {
    maxIntermediates: tc.max_chain_depth ?? undefined,
  });
  const chain = [tc.peer_certificate, ...tc.untrusted_intermediates].map((p) => cache.get(p));
  const now = tc.validation_time ? new Date(tc.validation_time) : new Date();
  try {
    const path = await verifier.verifyPath(chain, {
      peer: "server",
      serverName: tc.expected_peer_name?.value,
      now,
      crypto: defaultProvider,
    });
    return { id: tc.id, actual_result: "SUCCESS", context: `path of ${path.length} certificates` };
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    return {
      id: tc.id,
      actual_result: "FAILURE",
      context: `${e.code} (${e.alertName}): ${e.message}`,
    };
  }
}

function parses(der: Uint8Array): boolean {
  try {
    parseCertificate(der);
    return true;
  } catch {
    return false;
  }
}
