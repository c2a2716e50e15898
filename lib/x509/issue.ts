/**
 * Certificate issuance for `handshake ca`: a root CA, an optional
 * intermediate, and server and client leaves, with the extensions RFC 5280
 * and the CA/Browser Forum Baseline Requirements (§7.1.2) expect, so that
 * OpenSSL, curl, Node, rustls (Deno) and Chromium accept them.
 *
 * @example
 * ```ts
 * const ca = await createRootCa();
 * const server = await issueLeaf(ca, { names: ["localhost", "127.0.0.1"], usage: "server" });
 * ```
 *
 * @module
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import {
  type CertificateKey,
  generateCertificateKey,
  importSigningKey,
  type KeyType,
  signatureAlgorithm,
} from "./webcrypto_issuing.ts";
import { type Issued, toIssued } from "./issued.ts";
import { sanEntry } from "./san.ts";
import { ApiMisuseError } from "../errors.ts";

export type { KeyType } from "./webcrypto_issuing.ts";
export type { Issued } from "./issued.ts";
export { certificateInfo, IssuerError, loadIssuer } from "./issued.ts";

/** What to issue; every field has a default. */
export interface IssueOptions {
  /** Subject common name; defaults to a generated CA name, or a leaf's first name. */
  commonName?: string;
  /** Key type of the new certificate's key; default ecdsa-p256. */
  keyType?: KeyType;
  /**
   * Lifetime from notBefore, in whole days: default CA_DAYS for CAs,
   * LEAF_DAYS for leaves; never past the issuer's notAfter.
   */
  days?: number;
  /**
   * Start of validity; default an hour ago, to tolerate clocks running a
   * little behind, or `days` before a notAfter that has already passed.
   */
  notBefore?: Date;
  /** End of validity; default notBefore + days. */
  notAfter?: Date;
}

/** Default lifetime of a CA: ten years, as mkcert's root. */
export const CA_DAYS = 3650;
/**
 * Default lifetime of a leaf: 825 days, the most Apple platforms accept for
 * a TLS server certificate (and mkcert's choice). Publicly trusted
 * certificates are held to 398 days; a private root is not.
 */
export const LEAF_DAYS = 825;

const DAY_MS = 86_400_000;
const BACKDATE_MS = 3_600_000;
const ORG_CA = "handshake development CA";
const ORG_LEAF = "handshake development certificate";
const { digitalSignature, keyEncipherment, keyCertSign, cRLSign } = x509.KeyUsageFlags;

/**
 * A self-signed root CA: basicConstraints CA:TRUE (critical) with
 * pathLenConstraint 1 by default, so that it can sign one level of
 * intermediate; keyUsage keyCertSign and cRLSign (critical). `pathLen: null`
 * leaves the path length unconstrained.
 */
export async function createRootCa(
  opts: IssueOptions & { pathLen?: number | null } = {},
): Promise<Issued> {
  const key = await generateCertificateKey(opts.keyType ?? "ecdsa-p256");
  return await certify({
    key,
    issuer: undefined,
    name: (keyId) => subjectName(ORG_CA, opts.commonName ?? `${ORG_CA} ${keyId}`),
    validity: validity(opts, CA_DAYS),
    extensions: caExtensions(opts.pathLen === undefined ? 1 : opts.pathLen),
  });
}

/**
 * An intermediate CA signed by `issuer`: as a root, but pathLenConstraint 0
 * by default (it signs leaves only).
 */
export async function createIntermediateCa(
  issuer: Issued,
  opts: IssueOptions & { pathLen?: number | null } = {},
): Promise<Issued> {
  const key = await generateCertificateKey(opts.keyType ?? "ecdsa-p256");
  return await certify({
    key,
    issuer,
    name: (keyId) => subjectName(ORG_CA, opts.commonName ?? `handshake intermediate CA ${keyId}`),
    validity: validity(opts, CA_DAYS, issuer),
    extensions: caExtensions(opts.pathLen === undefined ? 0 : opts.pathLen),
  });
}

/**
 * A leaf (end-entity) certificate signed by `issuer` for `names` (DNS names
 * and IP literals, written to subjectAltName as given): basicConstraints
 * CA:FALSE, keyUsage digitalSignature (plus keyEncipherment for RSA server
 * keys, as is conventional), extendedKeyUsage serverAuth or clientAuth.
 * The common name is `commonName`, else the first name; a client
 * certificate may have no names at all.
 */
export async function issueLeaf(
  issuer: Issued,
  opts: IssueOptions & { names: string[]; usage: "server" | "client" },
): Promise<Issued> {
  const commonName = opts.commonName ?? opts.names[0];
  if (!commonName) {
    throw new ApiMisuseError(
      "certificate_needs_name",
      "a leaf certificate needs a name or a commonName",
    );
  }
  const key = await generateCertificateKey(opts.keyType ?? "ecdsa-p256");
  const rsaServer = opts.usage === "server" && key.keyType.startsWith("rsa-");
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(digitalSignature | (rsaServer ? keyEncipherment : 0), true),
    new x509.ExtendedKeyUsageExtension([
      opts.usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    ]),
    new x509.BasicConstraintsExtension(false, undefined, true),
  ];
  if (opts.names.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(opts.names.map(sanEntry)));
  }
  return await certify({
    key,
    issuer,
    name: () => subjectName(ORG_LEAF, commonName),
    validity: validity(opts, LEAF_DAYS, issuer),
    extensions,
  });
}

/** RFC 5280 §4.2.1.9 and §4.2.1.3: what makes a certificate a CA. */
function caExtensions(pathLen: number | null): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLen ?? undefined, true),
    new x509.KeyUsagesExtension(keyCertSign | cRLSign, true),
  ];
}

/** Subject with organization and common name, in UTF8String (RFC 5280 §4.1.2.4). */
function subjectName(organization: string, commonName: string): x509.Name {
  return new x509.Name([
    { O: [{ utf8String: organization }] },
    { CN: [{ utf8String: commonName }] },
  ]);
}

/**
 * notBefore and notAfter, in whole seconds, as certificates hold them. A
 * notAfter derived from `days` is cut to the issuer's (a certificate that
 * outlives its issuer is of no use); an explicit one is kept as given.
 */
function validity(
  opts: IssueOptions,
  defaultDays: number,
  issuer?: Issued,
): { notBefore: Date; notAfter: Date } {
  const days = opts.days ?? defaultDays;
  if (!Number.isInteger(days) || days < 1) {
    throw new ApiMisuseError(
      "invalid_validity",
      `days must be a positive whole number, not ${days}`,
    );
  }
  const second = (t: number) => new Date(Math.floor(t / 1000) * 1000);
  const now = Date.now(), end = opts.notAfter?.getTime();
  const notBefore = second(
    opts.notBefore?.getTime() ??
      (end !== undefined && end < now ? end - days * DAY_MS : now - BACKDATE_MS),
  );
  const notAfter = second(
    end ??
      Math.min(notBefore.getTime() + days * DAY_MS, issuer?.notAfter.getTime() ?? Infinity),
  );
  if (notAfter <= notBefore) {
    throw new ApiMisuseError(
      "invalid_validity",
      `notAfter (${notAfter.toISOString()}) is not after notBefore`,
    );
  }
  return { notBefore, notAfter };
}

/**
 * Signs a certificate for `key` with `issuer`'s key (or `key` itself for a
 * root), adding a random positive 128-bit serial number (BR §7.1: at least
 * 64 random bits), subjectKeyIdentifier (RFC 5280 §4.2.1.2, method 1), and
 * authorityKeyIdentifier naming the issuer's subjectKeyIdentifier
 * (§4.2.1.1; a root names itself). The issuer name is copied from the
 * issuer's subject, so that name chaining works byte for byte.
 */
async function certify(p: {
  key: CertificateKey;
  issuer: Issued | undefined;
  name: (keyId: string) => x509.Name;
  validity: { notBefore: Date; notAfter: Date };
  extensions: x509.Extension[];
}): Promise<Issued> {
  const ski = await x509.SubjectKeyIdentifierExtension.create(p.key.spki as BufferSource);
  const subject = p.name(ski.keyId.slice(0, 8).toUpperCase());
  const signer = p.issuer ? { keyType: p.issuer.keyType, pkcs8: p.issuer.privateKey } : p.key;
  let issuerName = subject, authorityKeyId = ski.keyId;
  if (p.issuer) {
    const issuerCert = new x509.X509Certificate(p.issuer.certificate as BufferSource);
    issuerName = issuerCert.subjectName;
    authorityKeyId = issuerCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ??
      new Uint8Array(await issuerCert.publicKey.getKeyIdentifier()).toHex();
  }
  const serial = crypto.getRandomValues(new Uint8Array(16));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toHex(),
    subject,
    issuer: issuerName,
    notBefore: p.validity.notBefore,
    notAfter: p.validity.notAfter,
    publicKey: p.key.spki as BufferSource,
    signingKey: await importSigningKey(signer),
    signingAlgorithm: signatureAlgorithm(signer.keyType),
    extensions: [
      ...p.extensions,
      ski,
      new x509.AuthorityKeyIdentifierExtension(authorityKeyId),
    ],
  });
  return await toIssued(cert, p.key);
}
