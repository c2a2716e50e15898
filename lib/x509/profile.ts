/**
 * The rules one certificate must meet for its place in a path, apart from
 * its signature and its names: encoding and extensions (RFC 5280 §4), keys
 * (CABF Baseline Requirements §6.1.5), the role rules of basicConstraints,
 * keyUsage and extendedKeyUsage (RFC 5280 §4.2.1.3, §4.2.1.9, §4.2.1.12,
 * RFC 8446 §4.4.2.2), and validity (RFC 5280 §4.1.2.5).
 *
 * The CA issuance profile (version 3, serial number form, a non-empty
 * issuer, an authorityKeyIdentifier unless self-issued; for intermediates a
 * subjectKeyIdentifier and a critical basicConstraints) is enforced on the
 * certificates the peer sends. Trust anchors are configuration, chosen by
 * the user, and several roots in today's system bundles break those rules
 * (TWCA Global Root CA has no subjectKeyIdentifier, Chunghwa ePKI a
 * non-critical basicConstraints, Go Daddy G2 serial number 0, Certigna and
 * QuoVadis put issuer and serial in their authorityKeyIdentifier, and
 * cross-signed roots are trusted without one): anchors are held to
 * everything else.
 *
 * @module
 */

import type { TlsError } from "../errors.ts";
import { keyProblem } from "./algorithms.ts";
import { bytesEqual, type Certificate } from "./certificate.ts";
import { ExtensionOid, type Extensions, KeyPurpose } from "./extensions.ts";
import { formatGeneralName, prefixLength } from "./general_name.ts";
import { isDnsName } from "./names.ts";
import { describe, formatTime, refuse, type Role } from "./refusal.ts";

/** What the peer's certificate must be good for. */
export type Purpose = "serverAuth" | "clientAuth";

const PURPOSE_TEXT: Record<Purpose, string> = {
  serverAuth: "TLS server authentication (serverAuth)",
  clientAuth: "TLS client authentication (clientAuth)",
};

const PURPOSE_NAMES: Record<string, string> = {
  [KeyPurpose.any]: "anyExtendedKeyUsage",
  [KeyPurpose.serverAuth]: "serverAuth",
  [KeyPurpose.clientAuth]: "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
};

const EXTENSION_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(ExtensionOid).map(([k, v]) => [v, k]),
);

/** Checks `cert` for `role`, apart from validity, signature and names. */
export function checkCertificate(
  cert: Certificate,
  role: Role,
  purpose: Purpose,
): TlsError | undefined {
  const who = describe(cert, role);
  const ext = cert.extensions;
  if ("malformed" in ext) {
    return refuse("cert_malformed_extension", `${who} has a ${ext.malformed}`);
  }
  if (ext.duplicates.length > 0) {
    const oid = ext.duplicates[0];
    return refuse(
      "cert_duplicate_extension",
      `${who} has the ${EXTENSION_NAMES[oid] ?? oid} extension more than once (RFC 5280 §4.2)`,
    );
  }
  const issuance = role === "anchor" ? undefined : checkIssuance(cert, role, who, ext);
  if (issuance) return issuance;
  if (ext.unknownCritical.length > 0) {
    return refuse(
      "cert_unknown_critical_extension",
      `${who} has a critical extension this validator does not understand ` +
        `(${ext.unknownCritical.join(", ")}), which RFC 5280 §4.2 requires refusing`,
    );
  }
  const key = keyProblem(cert.spki);
  if (key) return refuse("cert_key_refused", `${who} is refused: ${key}`);
  if (ext.policyConstraints?.value.requireExplicitPolicy !== undefined) {
    return refuse(
      "cert_requires_explicit_policy",
      `${who} requires an explicit certificate policy (policyConstraints), ` +
        `and this validator does not process certificate policies`,
    );
  }
  if (ext.extKeyUsage) {
    const purposes = ext.extKeyUsage.value;
    if (!purposes.includes(KeyPurpose[purpose]) && !purposes.includes(KeyPurpose.any)) {
      const listed = purposes.map((p) => PURPOSE_NAMES[p] ?? p).join(", ");
      return refuse(
        "cert_wrong_purpose",
        `${who} is not valid for ${
          PURPOSE_TEXT[purpose]
        }: its extendedKeyUsage allows only ${listed}`,
      );
    }
  }
  return checkKeyIdentifiers(cert, role, who, ext) ??
    (role === "leaf" ? checkEndEntity(cert, who, ext) : checkCa(cert, who, ext));
}

/** RFC 5280 §4.1.2.5: notBefore ≤ time ≤ notAfter, at whole seconds (the encoding's precision). */
export function checkValidity(cert: Certificate, role: Role, now: Date): TlsError | undefined {
  const t = Math.floor(now.getTime() / 1000) * 1000;
  const when = `(validation time ${formatTime(now.getTime())})`;
  if (t < cert.notBefore) {
    return refuse(
      "cert_not_yet_valid",
      `${describe(cert, role)} is not valid before ${formatTime(cert.notBefore)} ${when}`,
    );
  }
  if (t > cert.notAfter) {
    return refuse(
      "cert_expired",
      `${describe(cert, role)} expired on ${formatTime(cert.notAfter)} ${when}`,
    );
  }
  return undefined;
}

/** The CA issuance profile, for certificates the peer sent. */
function checkIssuance(
  cert: Certificate,
  role: Role,
  who: string,
  ext: Extensions,
): TlsError | undefined {
  if (cert.version !== 3) {
    return refuse(
      "cert_not_v3",
      `${who} is a version ${cert.version} certificate; only version 3 is accepted`,
    );
  }
  const serial = cert.serial;
  if (serial[0] & 0x80) {
    return refuse("cert_bad_serial", `${who} has a negative serial number (RFC 5280 §4.1.2.2)`);
  }
  if (serial.length > 1 && serial[0] === 0 && !(serial[1] & 0x80)) {
    return refuse("cert_bad_serial", `${who} has a non-minimally encoded serial number`);
  }
  if (serial.every((b) => b === 0)) {
    return refuse(
      "cert_bad_serial",
      `${who} has serial number 0 (RFC 5280 §4.1.2.2 requires a positive one)`,
    );
  }
  if (serial.length - (serial[0] === 0 ? 1 : 0) > 20) {
    return refuse(
      "cert_bad_serial",
      `${who} has a serial number longer than 20 octets (RFC 5280 §4.1.2.2)`,
    );
  }
  if (cert.issuer.rdns.length === 0) {
    return refuse("cert_empty_issuer", `${who} has an empty issuer name (RFC 5280 §4.1.2.4)`);
  }
  if (!ext.authorityKeyIdentifier && !cert.selfIssued) {
    return refuse(
      "cert_missing_authority_key_id",
      `${who} has no authorityKeyIdentifier, which RFC 5280 §4.2.1.1 requires of every ` +
        `certificate that is not self-signed`,
    );
  }
  if (role === "intermediate") {
    if (!ext.subjectKeyIdentifier) {
      return refuse(
        "cert_ca_missing_subject_key_id",
        `${who} is a CA without a subjectKeyIdentifier (RFC 5280 §4.2.1.2)`,
      );
    }
    if (ext.basicConstraints && !ext.basicConstraints.critical) {
      return refuse(
        "cert_extension_criticality",
        `${who} has a non-critical basicConstraints (RFC 5280 §4.2.1.9)`,
      );
    }
  }
  return undefined;
}

/**
 * The encoding rules of the key identifier, AIA and policyConstraints
 * extensions (RFC 5280 §4.2.1.1, §4.2.1.2, §4.2.1.11, §4.2.2.1), for every
 * certificate including anchors: no root in current system bundles breaks them.
 */
function checkKeyIdentifiers(
  cert: Certificate,
  role: Role,
  who: string,
  ext: Extensions,
): TlsError | undefined {
  const aki = ext.authorityKeyIdentifier, ski = ext.subjectKeyIdentifier;
  if (aki?.critical) {
    return refuse(
      "cert_extension_criticality",
      `${who} marks authorityKeyIdentifier critical (RFC 5280 §4.2.1.1)`,
    );
  }
  if (ski?.critical) {
    return refuse(
      "cert_extension_criticality",
      `${who} marks subjectKeyIdentifier critical (RFC 5280 §4.2.1.2)`,
    );
  }
  if (aki && !aki.value.keyId) {
    return refuse(
      "cert_authority_key_id_without_key_id",
      `${who} has an authorityKeyIdentifier without a keyIdentifier (RFC 5280 §4.2.1.1)`,
    );
  }
  // A self-issued anchor stands for a self-signed root: its two key identifiers name one key.
  if (
    role === "anchor" && cert.selfIssued && aki?.value.keyId && ski &&
    !bytesEqual(aki.value.keyId, ski.value)
  ) {
    return refuse(
      "cert_self_signed_key_id_mismatch",
      `${who} is self-signed but its authorityKeyIdentifier differs from its subjectKeyIdentifier`,
    );
  }
  if (ext.authorityInfoAccess?.critical) {
    return refuse(
      "cert_extension_criticality",
      `${who} marks authorityInfoAccess critical (RFC 5280 §4.2.2.1)`,
    );
  }
  if (ext.policyConstraints && !ext.policyConstraints.critical) {
    return refuse(
      "cert_extension_criticality",
      `${who} has a non-critical policyConstraints (RFC 5280 §4.2.1.11)`,
    );
  }
  return undefined;
}

/** Rules for the certificate that issues others (RFC 5280 §6.1.4 (k), (n)). */
function checkCa(cert: Certificate, who: string, ext: Extensions): TlsError | undefined {
  if (!ext.basicConstraints?.value.ca) {
    return refuse(
      "cert_issuer_not_ca",
      `${who} is not a CA (${
        ext.basicConstraints ? "its basicConstraints cA is FALSE" : "it has no basicConstraints"
      }), ` +
        `so it may not sign certificates (RFC 5280 §4.2.1.9)`,
    );
  }
  const ku = ext.keyUsage?.value;
  if (ku && !ku.has("keyCertSign")) {
    return refuse(
      "cert_issuer_no_key_cert_sign",
      `${who} may not sign certificates: its keyUsage (${[...ku].join(", ")}) lacks keyCertSign ` +
        `(RFC 5280 §4.2.1.3)`,
    );
  }
  if (cert.subject.rdns.length === 0) {
    return refuse(
      "cert_ca_empty_subject",
      `${who} is a CA with an empty subject (RFC 5280 §4.1.2.6)`,
    );
  }
  const nc = ext.nameConstraints?.value;
  for (const base of nc ? [...nc.permitted, ...nc.excluded] : []) {
    const ok = base.type === "dns"
      ? base.value === "" || isDnsName(base.value)
      : base.type === "ip"
      ? (base.bytes.length === 8 || base.bytes.length === 32) &&
        prefixLength(base.bytes.subarray(base.bytes.length / 2)) !== undefined
      : true;
    if (!ok) {
      return refuse(
        "cert_malformed_name_constraint",
        `${who} has a malformed name constraint ${formatGeneralName(base)} (RFC 5280 §4.2.1.10)`,
      );
    }
  }
  return undefined;
}

/** Rules for the peer's own certificate (RFC 5280 §4.2.1.9, RFC 8446 §4.4.2.2). */
function checkEndEntity(cert: Certificate, who: string, ext: Extensions): TlsError | undefined {
  if (ext.basicConstraints?.value.ca) {
    return refuse(
      "cert_leaf_is_ca",
      `${who} is a CA certificate (basicConstraints cA=TRUE) and cannot be used as the peer's ` +
        `own certificate`,
    );
  }
  const ku = ext.keyUsage?.value;
  if (ku && !ku.has("digitalSignature")) {
    return refuse(
      "cert_no_digital_signature",
      `${who} may not make signatures: its keyUsage (${[...ku].join(", ")}) lacks ` +
        `digitalSignature (RFC 8446 §4.4.2.2)`,
    );
  }
  if (ku?.has("keyCertSign")) {
    return refuse(
      "cert_leaf_key_cert_sign",
      `${who} is not a CA but its keyUsage asserts keyCertSign (RFC 5280 §4.2.1.9)`,
    );
  }
  if (ext.nameConstraints) {
    return refuse(
      "cert_leaf_name_constraints",
      `${who} has nameConstraints, which only CA certificates may carry (RFC 5280 §4.2.1.10)`,
    );
  }
  const san = ext.subjectAltName;
  if (cert.subject.rdns.length === 0 && !san?.critical) {
    return refuse(
      "cert_subject_alt_name_criticality",
      `${who} has an empty subject and ${san ? "a non-critical" : "no"} subjectAltName ` +
        `(RFC 5280 §4.2.1.6 requires a critical one)`,
    );
  }
  if (cert.subject.rdns.length > 0 && san?.critical) {
    return refuse(
      "cert_subject_alt_name_criticality",
      `${who} marks subjectAltName critical although its subject is not empty ` +
        `(CABF Baseline Requirements §7.1.2.7.12)`,
    );
  }
  return undefined;
}
