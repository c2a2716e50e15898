/**
 * A small PKI for tests, built in process with @peculiar/x509: roots,
 * intermediates and leaves with exactly the extensions a test wants, so
 * each bad chain differs from a good one in one rule.
 *
 * @module
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { contextTag, derItem, Tag } from "../lib/wire/der.ts";
import { type AlertName, TlsError } from "../lib/errors.ts";
import type { RefusalCode } from "../lib/x509/refusal.ts";
import type { PathVerifier } from "../lib/x509/verify.ts";
import type { VerifyContext } from "../lib/config.ts";
import { parseIp } from "../lib/x509/names.ts";
import assert from "node:assert/strict";
import { webcrypto } from "../lib/crypto/webcrypto/mod.ts";

/** The validation time of every test, and the default validity around it. */
export const NOW = new Date("2026-06-01T12:00:00Z");
const NOT_BEFORE = new Date("2025-01-01T00:00:00Z");
const NOT_AFTER = new Date("2027-01-01T00:00:00Z");

/** Key types a test certificate can hold. */
export type KeyType = "P-256" | "P-384" | "Ed25519" | "RSA-2048" | "RSA-1024" | "RSA-PSS";

/** A certificate with its key pair. */
export interface TestCert {
  readonly der: Uint8Array;
  readonly keys: CryptoKeyPair;
  readonly subject: string;
  readonly keyType: KeyType;
}

/** What to put in a certificate; anything left out gets the usual value for its kind. */
export interface CertOptions {
  subject: string;
  /** The issuer; absent: self-signed. */
  issuer?: TestCert;
  /** basicConstraints; null leaves the extension out. */
  basicConstraints?: { ca: boolean; pathLen?: number; critical?: boolean } | null;
  /** keyUsage flags (x509.KeyUsageFlags); null leaves the extension out. */
  keyUsage?: number | null;
  /** extendedKeyUsage OIDs; null leaves the extension out. */
  eku?: string[] | null;
  dns?: string[];
  ips?: string[];
  notBefore?: Date;
  notAfter?: Date;
  extensions?: x509.Extension[];
  keyType?: KeyType;
  /** Reuse a key pair (same key, another certificate). */
  keys?: CryptoKeyPair;
  /** Sign with SHA-1 instead of SHA-256 (for ECDSA and RSA). */
  sha1?: boolean;
  /** Leave out the authorityKeyIdentifier. */
  noAki?: boolean;
}

const { KeyUsageFlags } = x509;
/** Usual keyUsage of a CA and of a leaf. */
export const CA_USAGE = KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign;
export const LEAF_USAGE = KeyUsageFlags.digitalSignature;
export const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
export const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

function algorithm(type: KeyType, sha1 = false) {
  const hash = sha1 ? "SHA-1" : "SHA-256";
  switch (type) {
    case "P-256":
    case "P-384":
      return { name: "ECDSA", namedCurve: type, hash };
    case "Ed25519":
      return { name: "Ed25519" };
    case "RSA-2048":
    case "RSA-1024":
      return {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: type === "RSA-2048" ? 2048 : 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash,
      };
    case "RSA-PSS":
      return {
        name: "RSA-PSS",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash,
        saltLength: 32,
      };
  }
}

let serial = 1;

/** Issues one certificate. */
export async function issue(o: CertOptions): Promise<TestCert> {
  const keyType = o.keyType ?? "P-256";
  const keys = o.keys ??
    await crypto.subtle.generateKey(algorithm(keyType), true, ["sign", "verify"]) as CryptoKeyPair;
  const isCa = o.basicConstraints?.ca ?? false;
  const extensions: x509.Extension[] = [];
  if (o.basicConstraints !== null && (o.basicConstraints || isCa)) {
    const bc = o.basicConstraints!;
    extensions.push(new x509.BasicConstraintsExtension(bc.ca, bc.pathLen, bc.critical ?? true));
  }
  const ku = o.keyUsage === undefined ? (isCa ? CA_USAGE : LEAF_USAGE) : o.keyUsage;
  if (ku !== null) extensions.push(new x509.KeyUsagesExtension(ku, true));
  const eku = o.eku === undefined ? (isCa ? null : [SERVER_AUTH]) : o.eku;
  if (eku !== null) extensions.push(new x509.ExtendedKeyUsageExtension(eku, false));
  const names = [
    ...(o.dns ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(o.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  const signer = o.issuer?.keys ?? keys;
  if (o.issuer && !o.noAki) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(o.issuer.keys.publicKey));
  }
  extensions.push(...(o.extensions ?? []));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(2, "0"),
    subject: o.subject,
    issuer: o.issuer?.subject ?? o.subject,
    notBefore: o.notBefore ?? NOT_BEFORE,
    notAfter: o.notAfter ?? NOT_AFTER,
    signingAlgorithm: algorithm(o.issuer?.keyType ?? keyType, o.sha1),
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    extensions,
  });
  return { der: new Uint8Array(cert.rawData), keys, subject: o.subject, keyType };
}

/** A CA certificate (root if `issuer` is absent). */
export function ca(
  subject: string,
  issuer?: TestCert,
  o: Partial<CertOptions> = {},
): Promise<TestCert> {
  return issue({ subject, issuer, basicConstraints: { ca: true }, ...o });
}

/** A server leaf for `dns` names. */
export function leaf(
  subject: string,
  issuer: TestCert,
  dns: string[],
  o: Partial<CertOptions> = {},
): Promise<TestCert> {
  return issue({ subject, issuer, dns, ...o });
}

/** A nameConstraints extension (RFC 5280 §4.2.1.10) with DNS and IP (CIDR) subtrees. */
export function nameConstraints(
  c: { permitted?: string[]; excluded?: string[] },
  critical = true,
): x509.Extension {
  const subtree = (s: string) => {
    const [addr, bits] = s.split("/");
    const ip = bits !== undefined ? parseIp(addr) : undefined;
    if (!ip) {
      return derItem(Tag.SEQUENCE, derItem(contextTag(2, false), new TextEncoder().encode(s)));
    }
    const mask = new Uint8Array(ip.length);
    for (let i = 0; i < Number(bits); i++) mask[i >> 3] |= 0x80 >> (i & 7);
    return derItem(Tag.SEQUENCE, derItem(contextTag(7, false), new Uint8Array([...ip, ...mask])));
  };
  const side = (n: number, list?: string[]) =>
    list ? [...derItem(contextTag(n, true), concat(list.map(subtree)))] : [];
  const value = derItem(
    Tag.SEQUENCE,
    new Uint8Array([...side(0, c.permitted), ...side(1, c.excluded)]),
  );
  return new x509.Extension("2.5.29.30", critical, value as BufferSource);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.length;
  return out;
}

/** The context of a client checking a server for `serverName` at NOW. */
export function server(serverName?: string, extra: Partial<VerifyContext> = {}): VerifyContext {
  return { peer: "server", serverName, now: NOW, crypto: webcrypto, ...extra };
}

/**
 * Asserts that verification refuses with `code` and its `alert`, and (where
 * the test is about what the message reports) a message containing `fragment`.
 */
export async function assertRefused(
  verifier: PathVerifier,
  chain: readonly TestCert[] | readonly Uint8Array[],
  context: VerifyContext,
  code: RefusalCode,
  alert: AlertName,
  fragment?: string | RegExp,
): Promise<void> {
  const ders = chain.map((c) => c instanceof Uint8Array ? c : c.der);
  await assert.rejects(verifier.verify(ders, context), (e) => {
    assert.ok(e instanceof TlsError, `not a TlsError: ${e}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.alertName, alert, e.message);
    if (typeof fragment === "string") assert.ok(e.message.includes(fragment), e.message);
    else if (fragment) assert.match(e.message, fragment);
    return true;
  });
}
