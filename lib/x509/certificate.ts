/**
 * An X.509 certificate read strictly from DER (RFC 5280 §4.1). Parsing only
 * takes the structure apart; whether to trust it is decided elsewhere. The
 * extensions are decoded here too, but a malformed one does not stop the
 * parse: it is remembered, and refuses the certificate only if a path uses it.
 *
 * @module
 */

import { contextTag, DerError, DerReader, Tag } from "../wire/der.ts";
import { type Name, parseName } from "./dn.ts";
import { decodeExtensions, type Extensions } from "./extensions.ts";

/** One extension as it appears in the certificate (RFC 5280 §4.1.2.9). */
export interface RawExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/** A parsed certificate. */
export interface Certificate {
  /** The whole certificate. */
  readonly der: Uint8Array;
  /** The TBSCertificate: the bytes the issuer signed. */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  /** The serialNumber INTEGER's contents, as encoded (two's complement). */
  readonly serial: Uint8Array;
  /** The signatureAlgorithm AlgorithmIdentifier (DER). */
  readonly signatureAlgorithm: Uint8Array;
  /** The signature, without the BIT STRING's unused-bits byte. */
  readonly signature: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  /** Validity, in milliseconds since the epoch (whole seconds). */
  readonly notBefore: number;
  readonly notAfter: number;
  /** The SubjectPublicKeyInfo (DER). */
  readonly spki: Uint8Array;
  readonly rawExtensions: readonly RawExtension[];
  /** The decoded extensions, or why they cannot be decoded. */
  readonly extensions: Extensions | { readonly malformed: string };
  /** Whether issuer and subject are the same name (RFC 5280 §6.1: "self-issued"). */
  readonly selfIssued: boolean;
}

/** Parses a DER certificate. Throws `DerError` if it is not a well-formed X.509 certificate. */
export function parseCertificate(der: Uint8Array): Certificate {
  const outer = new DerReader(der);
  const cert = outer.sequence();
  outer.end();
  const tbs = cert.readElement(Tag.SEQUENCE);
  const signatureAlgorithm = cert.readElement(Tag.SEQUENCE);
  const signatureBits = cert.read(Tag.BIT_STRING);
  cert.end();
  if (signatureBits.length === 0 || signatureBits[0] !== 0) {
    throw new DerError("the signature BIT STRING has unused bits");
  }

  const t = new DerReader(tbs).sequence();
  let version = 1;
  const explicitVersion = t.optional(contextTag(0, true));
  if (explicitVersion) {
    const v = new DerReader(explicitVersion);
    const n = v.unsignedInteger();
    v.end();
    if (n.length !== 1 || n[0] > 2) throw new DerError("unknown certificate version");
    // X.690 §11.5: a DEFAULT value (v1) is never encoded.
    if (n[0] === 0) throw new DerError("version v1 must not be encoded explicitly");
    version = n[0] + 1;
  }
  const serial = t.read(Tag.INTEGER);
  if (serial.length === 0) throw new DerError("empty serialNumber");
  const tbsSignatureAlgorithm = t.readElement(Tag.SEQUENCE);
  // RFC 5280 §4.1.1.2: the two AlgorithmIdentifiers MUST be identical.
  if (!bytesEqual(tbsSignatureAlgorithm, signatureAlgorithm)) {
    throw new DerError("signatureAlgorithm differs from the TBSCertificate's signature field");
  }
  const issuer = parseName(t.readElement(Tag.SEQUENCE));
  const validity = t.sequence();
  const notBefore = readTime(validity);
  const notAfter = readTime(validity);
  validity.end();
  const subject = parseName(t.readElement(Tag.SEQUENCE));
  const spki = t.readElement(Tag.SEQUENCE);
  // RFC 5280 §4.1.2.8: issuerUniqueID [1] and subjectUniqueID [2], v2 and v3 only.
  for (const n of [1, 2]) {
    if (t.optional(contextTag(n, false)) && version < 2) {
      throw new DerError("unique identifiers need version 2 or 3");
    }
  }
  const rawExtensions: RawExtension[] = [];
  const extField = t.optional(contextTag(3, true));
  if (extField) {
    if (version !== 3) throw new DerError("extensions need version 3");
    const w = new DerReader(extField);
    const list = w.sequence();
    w.end();
    if (list.done) throw new DerError("empty extensions SEQUENCE");
    while (!list.done) {
      const e = list.sequence();
      const oid = e.oid();
      const critical = e.peekTag() === Tag.BOOLEAN ? e.boolean() : false;
      const value = e.read(Tag.OCTET_STRING);
      e.end();
      rawExtensions.push({ oid, critical, value });
    }
  }
  t.end();

  let extensions: Certificate["extensions"];
  try {
    extensions = decodeExtensions(rawExtensions);
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
    extensions = { malformed: e.message };
  }
  return {
    der,
    tbs,
    version,
    serial,
    signatureAlgorithm,
    signature: signatureBits.subarray(1),
    issuer,
    subject,
    notBefore,
    notAfter,
    spki,
    rawExtensions,
    extensions,
    selfIssued: bytesEqual(issuer.der, subject.der),
  };
}

/** RFC 5280 §4.1.2.5: UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
function readTime(r: DerReader): number {
  const { tag, content } = r.readAny();
  const text = String.fromCharCode(...content.subarray(0, 16));
  let m: RegExpMatchArray | null;
  let year: number;
  if (tag === Tag.UTCTime && content.length === 13) {
    m = text.match(/^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/);
    // RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY, otherwise 20YY.
    year = m ? Number(m[1]) + (Number(m[1]) >= 50 ? 1900 : 2000) : 0;
  } else if (tag === Tag.GeneralizedTime && content.length === 15) {
    m = text.match(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/);
    year = m ? Number(m[1]) : 0;
  } else {
    throw new DerError("a validity time is neither UTCTime nor GeneralizedTime in Zulu form");
  }
  if (!m) throw new DerError(`malformed time "${text}"`);
  const [month, day, hour, minute, second] = m.slice(2).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  if (
    d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day ||
    hour > 23 || minute > 59 || second > 59
  ) {
    throw new DerError(`impossible time "${text}"`);
  }
  return ms;
}

/** Whether two byte strings are equal (public data: no need for constant time). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
