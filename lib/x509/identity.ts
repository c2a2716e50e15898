/**
 * Whether the server's certificate is for the name the client asked for
 * (RFC 9525 §6, as browsers do it): DNS names against dNSName entries (a
 * wildcard only as the whole left-most label), IP addresses against
 * iPAddress entries only, and never the subject's common name.
 *
 * @module
 */

import type { TlsError } from "../errors.ts";
import type { Certificate } from "./certificate.ts";
import { formatGeneralName, type GeneralName } from "./general_name.ts";
import { dnsNameMatches, formatIp, isDnsName, normalizeDnsName, parseIp } from "./names.ts";
import { bytesEqual } from "./certificate.ts";
import { describe, refuse } from "./refusal.ts";

/** RFC 9525 §6.3: checks that the leaf is valid for `serverName` (a DNS name or an IP address). */
export function checkServerName(leaf: Certificate, serverName: string): TlsError | undefined {
  const who = describe(leaf, "leaf");
  const ext = leaf.extensions;
  const names = "malformed" in ext ? [] : ext.subjectAltName?.value ?? [];
  if (names.length === 0) {
    return refuse(
      "cert_no_subject_alt_name",
      `${who} has no subjectAltName, so it is not valid for any name ` +
        `(the subject CN is not used: RFC 9525 §6.2.1)`,
    );
  }
  const ip = parseIp(serverName);
  if (ip) {
    if (names.some((n) => n.type === "ip" && bytesEqual(n.bytes, ip))) return undefined;
    return refuse(
      "cert_not_valid_for_name",
      `${who} is not valid for IP address ${formatIp(ip)}: its names are ${listNames(names)}` +
        ` (an IP address matches only iPAddress names)`,
    );
  }
  const host = normalizeDnsName(serverName);
  if (
    names.some((n) => n.type === "dns" && isDnsName(n.value, true) && dnsNameMatches(n.value, host))
  ) {
    return undefined;
  }
  return refuse(
    "cert_not_valid_for_name",
    `${who} is not valid for "${serverName}": its names are ${listNames(names)}`,
  );
}

/** The names of a subjectAltName, each flagged if it can never match. */
function listNames(names: readonly GeneralName[]): string {
  const shown = names.slice(0, 20).map((n) => {
    const text = formatGeneralName(n);
    if (n.type === "dns" && n.value.includes("*") && !wildcardUsable(n.value)) {
      return `${text} (unusable wildcard: it must be the whole left-most label, ` +
        `followed by at least two labels, RFC 9525 §6.3)`;
    }
    if (n.type === "dns" && !isDnsName(n.value, true)) return `${text} (not a valid DNS name)`;
    if (n.type === "ip" && n.bytes.length !== 4 && n.bytes.length !== 16) {
      return `${text} (not an IP address)`;
    }
    return text;
  });
  if (names.length > shown.length) shown.push(`and ${names.length - shown.length} more`);
  return shown.join(", ");
}

function wildcardUsable(pattern: string): boolean {
  const labels = pattern.split(".");
  return labels[0] === "*" && labels.length >= 3 && isDnsName(pattern, true);
}
