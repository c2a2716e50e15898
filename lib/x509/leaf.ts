/**
 * The one thing the handshake needs from a certificate without trusting it:
 * the SubjectPublicKeyInfo that checks CertificateVerify (RFC 8446 §4.4.3).
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { inspectPublicKey } from "../crypto/public_key.ts";
import { DerReader, Tag } from "../wire/der.ts";

/**
 * The DER SubjectPublicKeyInfo of a DER certificate (RFC 5280 §4.1), read
 * far enough to know its algorithm: whatever is malformed in it is
 * bad_certificate here, whichever verifier let the chain through.
 */
export function leafPublicKey(certificate: Uint8Array): Uint8Array {
  try {
    const tbs = new DerReader(certificate).sequence().sequence();
    if (tbs.peekTag() === 0xa0) tbs.read(0xa0); // [0] EXPLICIT version
    tbs.read(Tag.INTEGER); // serialNumber
    tbs.read(Tag.SEQUENCE); // signature
    tbs.read(Tag.SEQUENCE); // issuer
    tbs.read(Tag.SEQUENCE); // validity
    tbs.read(Tag.SEQUENCE); // subject
    const spki = tbs.readElement(Tag.SEQUENCE); // subjectPublicKeyInfo
    inspectPublicKey(spki);
    return spki;
  } catch (e) {
    throw new TlsError(
      "cert_unparseable",
      `the peer's certificate cannot be parsed: ${(e as Error).message}`,
    );
  }
}
