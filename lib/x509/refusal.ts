/**
 * How the validator words a refusal: which certificate (by subject), which
 * rule (as a `cert_` code), which values, and the alert that goes with it
 * (from the code, in `TLS_ERROR_CODES`). The alerts follow
 * RFC 8446 §6.2 as Go's crypto/tls and rustls apply them: certificate_expired
 * for validity, unknown_ca when no path reaches a trust anchor,
 * unsupported_certificate for algorithms, keys and critical extensions this
 * validator will not accept, bad_certificate for everything the certificates
 * themselves get wrong (signatures, encoding, constraints, names), and
 * certificate_unknown when it gives up (resource limits).
 *
 * @module
 */

import { TlsError, type TlsErrorCode } from "../errors.ts";
import type { Certificate } from "./certificate.ts";

/** Where a certificate sits in a path. */
export type Role = "leaf" | "intermediate" | "anchor";

/** The codes of certificate refusals: those of `TLS_ERROR_CODES` that start with `cert_`. */
export type RefusalCode = Extract<TlsErrorCode, `cert_${string}`>;

/** A refusal: `code` names the rule (and so the alert), `message` the certificate and values. */
export function refuse(code: RefusalCode, message: string): TlsError {
  return new TlsError(code, message);
}

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
