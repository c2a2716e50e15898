/**
 * Names a certificate is issued for, as subjectAltName entries (RFC 5280
 * §4.2.1.6): IP address literals become iPAddress entries, everything else a
 * dNSName. `checkCertificateName` is the strict check for names a person
 * typed; `sanEntry` takes any string as given, so tests can issue
 * certificates with deliberately bad names.
 *
 * @module
 */

import { ApiMisuseError } from "../errors.ts";
import { formatIp, parseIp } from "./names.ts";

/** One subjectAltName entry; IP addresses in canonical text (RFC 5952 for IPv6). */
export interface SanEntry {
  readonly type: "dns" | "ip";
  readonly value: string;
}

/** The entry for `name`: iPAddress when it is an IPv4 or IPv6 literal, else dNSName verbatim. */
export function sanEntry(name: string): SanEntry {
  const ip = parseIp(name);
  return ip ? { type: "ip", value: formatIp(ip) } : { type: "dns", value: name };
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Checks a name given for a certificate and returns its canonical form:
 * an IP literal as canonical text, or a DNS host name (RFC 1123 §2.1)
 * lower-cased, without a trailing dot, internationalised names in their
 * A-label (punycode) form, and a wildcard only as the whole left-most label
 * of a name with at least two more labels (RFC 9525 §6.3).
 * Throws an Error saying what is wrong otherwise.
 */
export function checkCertificateName(name: string): SanEntry {
  const ip = parseIp(name);
  if (ip) return { type: "ip", value: formatIp(ip) };
  let host = name.toLowerCase().replace(/\.$/, "");
  const wildcard = host.startsWith("*.");
  if (wildcard) host = host.slice(2);
  // Internationalised names: letters, marks, digits, dots and hyphens only, so that the URL
  // parser's A-label conversion (UTS #46) cannot take a port or path out of the name.
  if (/[^\x20-\x7e]/.test(host) && /^[\p{L}\p{M}\p{N}.-]+$/u.test(host)) {
    try {
      host = new URL(`http://${host}/`).hostname;
    } catch {
      // Left as it is: the label check below says what is wrong.
    }
  }
  const labels = host.split(".");
  if (wildcard) host = `*.${host}`;
  const bad = `"${name}" is neither a DNS name nor an IP address`;
  if (host.length > 253 || !labels.every((l) => LABEL.test(l))) {
    throw new ApiMisuseError(
      "invalid_certificate_name",
      `${bad}: DNS labels are 1-63 letters, digits and inner hyphens`,
    );
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) {
    throw new ApiMisuseError(
      "invalid_certificate_name",
      `${bad}: it looks like an IPv4 address but is not one`,
    );
  }
  if (wildcard && labels.length < 2) {
    throw new ApiMisuseError(
      "invalid_certificate_name",
      `"${name}": a wildcard needs at least two labels after it, as in *.example.test`,
    );
  }
  return { type: "dns", value: host };
}
