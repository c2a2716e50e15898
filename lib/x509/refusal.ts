/**
 * How the validator words a refusal: which certificate (by subject), which
 * rule, which values, and the alert that goes with it. The alerts follow
 * RFC 8446 §6.2 as Go's crypto/tls and rustls apply them: certificate_expired
 * for validity, unknown_ca when no path reaches a trust anchor,
 * unsupported_certificate for algorithms, keys and critical extensions this
 * validator will not accept, bad_certificate for everything the certificates
 * themselves get wrong (signatures, encoding, constraints, names), and
 * certificate_unknown when it gives up (resource limits).
 *
 * @module
 */

import { AlertDescription, TlsError } from "../errors.ts";
import type { Certificate } from "./certificate.ts";

/** Where a certificate sits in a path. */
export type Role = "leaf" | "intermediate" | "anchor";

/** Constructors for the refusals, by alert. */
export const refuse = {
  bad: (message: string) => new TlsError(AlertDescription.bad_certificate, message),
  expired: (message: string) => new TlsError(AlertDescription.certificate_expired, message),
  unknownCa: (message: string) => new TlsError(AlertDescription.unknown_ca, message),
  unsupported: (message: string) => new TlsError(AlertDescription.unsupported_certificate, message),
  unknown: (message: string) => new TlsError(AlertDescription.certificate_unknown, message),
};

/** A certificate's subject in quotes, e.g. `"CN=localhost"`, for messages. */
export function quoted(cert: Certificate): string {
  const text = cert.subject.text;
  if (text === "") return "(empty subject)";
  return text.length > 160 ? `"${text.slice(0, 150)}…" (${text.length} characters)` : `"${text}"`;
}

/** e.g. `certificate "CN=localhost"`, `intermediate "CN=CA 2"`, `trust anchor "CN=Root"`. */
export function describe(cert: Certificate, role: Role): string {
  const noun = role === "leaf"
    ? "certificate"
    : role === "intermediate"
    ? "intermediate"
    : "trust anchor";
  return `${noun} ${quoted(cert)}`;
}

/** RFC 3339 at whole seconds, e.g. `2024-01-01T00:00:00Z`. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
