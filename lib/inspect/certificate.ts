/**
 * A certificate as people read it: subject, issuer, common name and
 * subjectAltNames, serial number, validity, public key type, and its SHA-256
 * fingerprint. For the trace, `connect --json` and `serve --mode http`.
 *
 * @module
 */

import { describePublicKey, inspectPublicKey } from "../crypto/public_key.ts";
import { defaultProvider } from "../crypto/default.ts";
import { parseCertificate } from "../x509/certificate.ts";
import { AttributeType, attributeValues } from "../x509/dn.ts";
import { formatGeneralName } from "../x509/general_name.ts";
import { formatTime } from "../x509/refusal.ts";

/** One certificate, described. */
export interface CertificateView {
  /** RFC 4514 text, e.g. `CN=localhost,O=handshake development certificate`. */
  readonly subject: string;
  readonly issuer: string;
  readonly commonName?: string;
  /** subjectAltName entries, e.g. `DNS:localhost`, `IP:127.0.0.1`. */
  readonly subjectAltNames: readonly string[];
  /** The serial number, hex. */
  readonly serial: string;
  /** RFC 3339, e.g. `2025-01-01T00:00:00Z`. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** e.g. `ECDSA P-256`, `Ed25519`, `RSA 2048`. */
  readonly publicKey: string;
  /** Whether issuer and subject are the same name (a root, usually). */
  readonly selfIssued: boolean;
}

/** Describes a DER certificate; one that does not parse gives `undefined`. */
export function describeCertificate(der: Uint8Array): CertificateView | undefined {
  let cert;
  try {
    cert = parseCertificate(der);
  } catch {
    return undefined;
  }
  const san = "malformed" in cert.extensions ? undefined : cert.extensions.subjectAltName;
  let publicKey: string;
  try {
    publicKey = describePublicKey(inspectPublicKey(cert.spki));
  } catch {
    publicKey = "unreadable key";
  }
  return {
    subject: cert.subject.text,
    issuer: cert.issuer.text,
    commonName: attributeValues(cert.subject, AttributeType.commonName)[0],
    subjectAltNames: san ? san.value.map(formatGeneralName) : [],
    serial: cert.serial.toHex(),
    notBefore: formatTime(cert.notBefore),
    notAfter: formatTime(cert.notAfter),
    publicKey,
    selfIssued: cert.selfIssued,
  };
}

/** The SHA-256 fingerprint of a DER certificate, hex. */
export function fingerprint(der: Uint8Array): Promise<string> {
  return Promise.resolve(defaultProvider.hashes["SHA-256"].digest(der).toHex());
}
