/**
 * A certificate together with its private key, as `handshake ca` makes and
 * reuses them: building one from what was just signed, loading an existing
 * CA (`ca.pem` + `ca-key.pem`) and checking that its key matches, and
 * reading back what a certificate says (subject, names, validity,
 * constraints) to show the person.
 *
 * @module
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import {
  type CertificateKey,
  type KeyType,
  readCertificateKey,
  sha256,
} from "./webcrypto_issuing.ts";
import { pkcs8FromPem } from "../crypto/pkcs8.ts";
import { decodePem, encodePem } from "./pem.ts";

/** A certificate and its private key, in DER and PEM. */
export interface Issued {
  /** The certificate, DER. */
  certificate: Uint8Array;
  certificatePem: string;
  /** The private key, PKCS#8 DER (RFC 5208). */
  privateKey: Uint8Array;
  privateKeyPem: string;
  keyType: KeyType;
  /** The subject as text, in certificate order, e.g. "O=handshake development certificate, CN=localhost". */
  subject: string;
  notAfter: Date;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex, as `openssl x509 -fingerprint`. */
  fingerprint: string;
}

/** What a certificate says, for display and for checks on a reused CA. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** subjectAltName entries as "DNS:name" and "IP:address". */
  names: string[];
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints cA (RFC 5280 §4.2.1.9). */
  ca: boolean;
  /** pathLenConstraint, when present. */
  pathLen?: number;
  /** Whether keyUsage is absent or has keyCertSign (RFC 5280 §4.2.1.3). */
  canSignCertificates: boolean;
}

/**
 * A problem with an existing CA: `file` says whether the certificate or the
 * key is at fault; `mismatch`, that the key is fine but not the certificate's.
 */
export class IssuerError extends Error {
  readonly file: "certificate" | "key";
  readonly mismatch: boolean;

  constructor(file: "certificate" | "key", message: string, mismatch = false) {
    super(message);
    this.name = "IssuerError";
    this.file = file;
    this.mismatch = mismatch;
  }
}

/** SHA-256 of `der` as "AB:CD:...", the form `openssl x509 -fingerprint -sha256` prints. */
export async function fingerprint(der: Uint8Array): Promise<string> {
  const hex = (await sha256(der)).toHex().toUpperCase();
  return hex.match(/../g)!.join(":");
}

/** Pairs a certificate with its key. */
export async function toIssued(cert: x509.X509Certificate, key: CertificateKey): Promise<Issued> {
  const der = new Uint8Array(cert.rawData);
  return {
    certificate: der,
    certificatePem: encodePem("CERTIFICATE", der),
    privateKey: key.pkcs8,
    privateKeyPem: encodePem("PRIVATE KEY", key.pkcs8),
    keyType: key.keyType,
    subject: cert.subject,
    notAfter: cert.notAfter,
    fingerprint: await fingerprint(der),
  };
}

/** Reads what a DER certificate says. Throws if it cannot be parsed. */
export function certificateInfo(der: Uint8Array): CertificateInfo {
  const cert = new x509.X509Certificate(der as BufferSource);
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    names: (san?.names.items ?? []).map((n) => `${n.type.toUpperCase()}:${n.value}`),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    ca: bc?.ca ?? false,
    pathLen: bc?.pathLength,
    canSignCertificates: !ku || (ku.usages & x509.KeyUsageFlags.keyCertSign) !== 0,
  };
}

/**
 * Loads an existing CA from its certificate and private key PEM texts.
 * Throws an IssuerError saying which of the two is wrong, and how: no PEM
 * block, not a CA certificate, a key in a format or of a type we cannot
 * use, or a key that is not the certificate's.
 */
export async function loadIssuer(certificatePem: string, keyPem: string): Promise<Issued> {
  const certBlock = decodePemSafely("certificate", certificatePem).find((b) =>
    b.label === "CERTIFICATE"
  );
  if (!certBlock) throw new IssuerError("certificate", "it holds no CERTIFICATE PEM block");
  let cert: x509.X509Certificate, info: CertificateInfo;
  try {
    cert = new x509.X509Certificate(certBlock.der as BufferSource);
    info = certificateInfo(certBlock.der);
  } catch (e) {
    throw new IssuerError("certificate", `it is not a valid certificate (${(e as Error).message})`);
  }
  if (!info.ca || !info.canSignCertificates) {
    throw new IssuerError("certificate", `${info.subject} is not a CA certificate`);
  }
  const key = await readKey(keyPem);
  const certSpki = new Uint8Array(cert.publicKey.rawData);
  if (certSpki.toHex() !== key.spki.toHex()) {
    throw new IssuerError("key", `it is not the private key of ${info.subject}`, true);
  }
  return toIssued(cert, key);
}

async function readKey(pem: string): Promise<CertificateKey> {
  const blocks = decodePemSafely("key", pem);
  try {
    return await readCertificateKey(pkcs8FromPem(blocks));
  } catch (e) {
    throw new IssuerError("key", (e as Error).message);
  }
}

function decodePemSafely(file: "certificate" | "key", text: string) {
  try {
    return decodePem(text);
  } catch (e) {
    throw new IssuerError(file, (e as Error).message);
  }
}
