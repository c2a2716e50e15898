/**
 * Name constraints (RFC 5280 §4.2.1.10, §6.1.4 (g), §6.1.3 (b), (c)): a CA's
 * permitted and excluded subtrees of DNS names, IP address ranges and
 * directory names, applied to the names of every certificate below it.
 *
 * A name of a form with constraints this validator cannot compare (email,
 * URI, otherName, ...) refuses the certificate, as RFC 5280 requires. A
 * wildcard name `*.X` stands for every name one label below X: it is
 * permitted only if all of those are, and excluded if any of them is (the
 * defensive reading of CVE-2025-61727).
 *
 * @module
 */

import type { TlsError } from "../errors.ts";
import type { Certificate } from "./certificate.ts";
import { AttributeType, attributeValues, nameWithinSubtree } from "./dn.ts";
import type { Subtrees } from "./extensions.ts";
import { formatGeneralName, type GeneralName, type NameForm, nameForm } from "./general_name.ts";
import { isDnsName } from "./names.ts";
import { describe, refuse, type Role } from "./refusal.ts";

/** Most name-to-subtree comparisons one verification may make (Go's limit). */
const MAX_CONSTRAINT_COMPARISONS = 250_000;

/** The comparisons spent so far in one verification. */
export interface ConstraintBudget {
  comparisons: number;
}

/** Checks the names of `cert` (at `role`) against the name constraints of the CA `ca`. */
export function checkNameConstraints(
  cert: Certificate,
  role: Role,
  ca: Certificate,
  caRole: Role,
  budget: ConstraintBudget,
): TlsError | undefined {
  const ext = ca.extensions;
  const nc = "malformed" in ext ? undefined : ext.nameConstraints?.value;
  if (!nc) return undefined;
  const who = describe(cert, role), constrainer = describe(ca, caRole);
  const permittedByForm = byForm(nc.permitted), excludedByForm = byForm(nc.excluded);
  for (const name of namesOf(cert)) {
    const form = nameForm(name);
    const permitted = permittedByForm.get(form) ?? [];
    const excluded = excludedByForm.get(form) ?? [];
    if (permitted.length === 0 && excluded.length === 0) continue;
    budget.comparisons += permitted.length + excluded.length;
    if (budget.comparisons > MAX_CONSTRAINT_COMPARISONS) {
      return refuse(
        "cert_name_constraints_gave_up",
        `gave up checking name constraints after ${MAX_CONSTRAINT_COMPARISONS} comparisons ` +
          `(${who} has many names, and ${constrainer} many constraints)`,
      );
    }
    const text = formatGeneralName(name);
    if (form !== "dns" && form !== "ip" && form !== "dn") {
      return refuse(
        "cert_name_constraint_unsupported",
        `${who} has the name ${text}, and ${constrainer} constrains names of that form, ` +
          `which this validator cannot check (RFC 5280 §4.2.1.10 requires refusing it)`,
      );
    }
    const hit = excluded.find((c) => matches(name, c, "excluded"));
    if (hit) {
      return refuse(
        "cert_name_excluded",
        `${who} has the name ${text}, which the name constraints of ${constrainer} exclude ` +
          `(excluded: ${formatGeneralName(hit)}; RFC 5280 §4.2.1.10)`,
      );
    }
    if (permitted.length > 0 && !permitted.some((c) => matches(name, c, "permitted"))) {
      return refuse(
        "cert_name_not_permitted",
        `${who} has the name ${text}, outside what the name constraints of ${constrainer} ` +
          `permit (${summarize(permitted)}; RFC 5280 §4.2.1.10)`,
      );
    }
  }
  return undefined;
}

function byForm(subtrees: Subtrees): Map<NameForm, GeneralName[]> {
  const out = new Map<NameForm, GeneralName[]>();
  for (const c of subtrees) {
    const form = nameForm(c);
    const list = out.get(form);
    if (list) list.push(c);
    else out.set(form, [c]);
  }
  return out;
}

/** The names RFC 5280 §4.2.1.10 constrains: the subject, its emailAddress attributes, the SANs. */
function namesOf(cert: Certificate): GeneralName[] {
  const out: GeneralName[] = [];
  if (cert.subject.rdns.length > 0) out.push({ type: "dn", name: cert.subject });
  for (const value of attributeValues(cert.subject, AttributeType.emailAddress)) {
    out.push({ type: "email", value });
  }
  const ext = cert.extensions;
  if (!("malformed" in ext)) out.push(...(ext.subjectAltName?.value ?? []));
  return out;
}

/**
 * Whether `name` falls in the subtree `base`. For a permitted subtree the
 * whole of a wildcard's range must fall in it; for an excluded one, any
 * part. A malformed name counts as inside an excluded subtree and outside
 * a permitted one.
 */
function matches(name: GeneralName, base: GeneralName, side: "permitted" | "excluded"): boolean {
  const excluded = side === "excluded";
  if (name.type === "dns" && base.type === "dns") {
    if (!isDnsName(name.value, true)) return excluded;
    const n = name.value.toLowerCase(), c = base.value.toLowerCase();
    if (!n.startsWith("*.")) return dnsWithin(n, c);
    const parent = n.slice(2);
    return dnsWithin(parent, c) || (excluded && c.slice(c.indexOf(".") + 1) === parent);
  }
  if (name.type === "ip" && base.type === "ip") {
    const ip = name.bytes, len = ip.length;
    if (len !== 4 && len !== 16) return excluded;
    if (base.bytes.length !== 2 * len) return false;
    for (let i = 0; i < len; i++) {
      const mask = base.bytes[len + i];
      if ((ip[i] & mask) !== (base.bytes[i] & mask)) return false;
    }
    return true;
  }
  if (name.type === "dn" && base.type === "dn") return nameWithinSubtree(name.name, base.name);
  return false;
}

/** RFC 5280 §4.2.1.10: a DNS name is within `base` if it is `base` with zero or more labels added. */
function dnsWithin(name: string, base: string): boolean {
  return base === "" || name === base || name.endsWith("." + base);
}

function summarize(subtrees: Subtrees): string {
  const shown = subtrees.slice(0, 5).map(formatGeneralName);
  if (subtrees.length > 5) shown.push(`and ${subtrees.length - 5} more`);
  return shown.join(", ");
}
