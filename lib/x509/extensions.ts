/**
 * The certificate extensions path validation reads (RFC 5280 §4.2), decoded
 * strictly. Anything malformed throws `DerError`; the certificate then
 * carries the reason and is refused if a path uses it.
 *
 * @module
 */

import { contextTag, DerError, DerReader, Tag } from "../wire/der.ts";
import {
  type GeneralName,
  readGeneralName,
  readGeneralNameList,
  readGeneralNames,
} from "./general_name.ts";
import type { RawExtension } from "./certificate.ts";

/** Extension OIDs (RFC 5280 §4.2.1, RFC 5280 §4.2.2). */
export const ExtensionOid = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  certificatePolicies: "2.5.29.32",
  policyMappings: "2.5.29.33",
  authorityKeyIdentifier: "2.5.29.35",
  policyConstraints: "2.5.29.36",
  extKeyUsage: "2.5.29.37",
  inhibitAnyPolicy: "2.5.29.54",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
} as const;

/** extendedKeyUsage purposes (RFC 5280 §4.2.1.12). */
export const KeyPurpose = {
  any: "2.5.29.37.0",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** keyUsage bits (RFC 5280 §4.2.1.3), bit 0 first. */
const KEY_USAGE_NAMES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;

/** A keyUsage bit by name. */
export type KeyUsageName = typeof KEY_USAGE_NAMES[number];

/** One decoded extension: its criticality and its value. */
export interface Decoded<T> {
  readonly critical: boolean;
  readonly value: T;
}

/** RFC 5280 §4.2.1.10: one side (permitted or excluded) of a nameConstraints extension. */
export type Subtrees = readonly GeneralName[];

/** The extensions a certificate carries, decoded. */
export interface Extensions {
  readonly basicConstraints?: Decoded<{ ca: boolean; pathLen?: number }>;
  readonly keyUsage?: Decoded<ReadonlySet<KeyUsageName>>;
  readonly extKeyUsage?: Decoded<readonly string[]>;
  readonly subjectAltName?: Decoded<readonly GeneralName[]>;
  readonly nameConstraints?: Decoded<{ permitted: Subtrees; excluded: Subtrees }>;
  readonly authorityKeyIdentifier?: Decoded<{ keyId?: Uint8Array; issuerAndSerial: boolean }>;
  readonly subjectKeyIdentifier?: Decoded<Uint8Array>;
  readonly authorityInfoAccess?: Decoded<number>;
  readonly policyConstraints?: Decoded<{ requireExplicitPolicy?: number }>;
  /** Critical extensions no rule here understands, by OID. */
  readonly unknownCritical: readonly string[];
  /** OIDs that appear more than once (RFC 5280 §4.2 forbids it). */
  readonly duplicates: readonly string[];
}

type Decoder = (value: Uint8Array) => unknown;

/**
 * The extensions understood here. certificatePolicies, policyMappings and
 * inhibitAnyPolicy are understood in the sense of RFC 5280 §6.1 with
 * initial-explicit-policy unset: they only shape the policy tree, which
 * decides nothing unless a policyConstraints extension requires an explicit
 * policy, and such certificates are refused (see policyConstraints).
 */
const DECODERS: Record<string, [keyof Extensions | undefined, Decoder]> = {
  [ExtensionOid.basicConstraints]: ["basicConstraints", decodeBasicConstraints],
  [ExtensionOid.keyUsage]: ["keyUsage", decodeKeyUsage],
  [ExtensionOid.extKeyUsage]: ["extKeyUsage", decodeExtKeyUsage],
  [ExtensionOid.subjectAltName]: ["subjectAltName", readGeneralNames],
  [ExtensionOid.nameConstraints]: ["nameConstraints", decodeNameConstraints],
  [ExtensionOid.authorityKeyIdentifier]: ["authorityKeyIdentifier", decodeAuthorityKeyId],
  [ExtensionOid.subjectKeyIdentifier]: ["subjectKeyIdentifier", decodeOctetString],
  [ExtensionOid.authorityInfoAccess]: ["authorityInfoAccess", decodeAuthorityInfoAccess],
  [ExtensionOid.policyConstraints]: ["policyConstraints", decodePolicyConstraints],
  [ExtensionOid.certificatePolicies]: [undefined, decodeSequence],
  [ExtensionOid.policyMappings]: [undefined, decodeSequence],
  [ExtensionOid.inhibitAnyPolicy]: [undefined, decodeInteger],
};

/** Decodes the extensions path validation reads; throws `DerError` on any malformed one. */
export function decodeExtensions(raw: readonly RawExtension[]): Extensions {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const unknownCritical: string[] = [];
  for (const ext of raw) {
    if (seen.has(ext.oid)) duplicates.push(ext.oid);
    seen.add(ext.oid);
    const known = DECODERS[ext.oid];
    if (!known) {
      if (ext.critical) unknownCritical.push(ext.oid);
      continue;
    }
    const [field, decode] = known;
    let value: unknown;
    try {
      value = decode(ext.value);
    } catch (e) {
      if (!(e instanceof DerError)) throw e;
      throw new DerError(`malformed ${field ?? ext.oid} extension: ${e.message}`);
    }
    if (field) out[field] = { critical: ext.critical, value };
  }
  return { ...out, unknownCritical, duplicates } as Extensions;
}

function whole(bytes: Uint8Array): DerReader {
  return new DerReader(bytes);
}

/** RFC 5280 §4.2.1.9: SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }. */
function decodeBasicConstraints(bytes: Uint8Array): { ca: boolean; pathLen?: number } {
  const r = whole(bytes);
  const seq = r.sequence();
  r.end();
  const ca = seq.peekTag() === Tag.BOOLEAN ? seq.boolean() : false;
  let pathLen: number | undefined;
  if (seq.peekTag() === Tag.INTEGER) {
    const n = seq.unsignedInteger();
    pathLen = n.length > 2 ? 0xffff : n.reduce((a, b) => a * 256 + b, 0);
  }
  seq.end();
  return { ca, pathLen };
}

/** RFC 5280 §4.2.1.3: a BIT STRING with at least one bit set. */
function decodeKeyUsage(bytes: Uint8Array): Set<KeyUsageName> {
  const r = whole(bytes);
  const bits = r.read(Tag.BIT_STRING);
  r.end();
  if (bits.length === 0 || bits[0] > 7) throw new DerError("bad BIT STRING");
  const usages = new Set<KeyUsageName>();
  KEY_USAGE_NAMES.forEach((name, i) => {
    const byte = bits[1 + (i >> 3)];
    if (byte !== undefined && byte & (0x80 >> (i & 7))) usages.add(name);
  });
  if (usages.size === 0) throw new DerError("no key usage bit is set");
  return usages;
}

/** RFC 5280 §4.2.1.12: SEQUENCE SIZE (1..MAX) OF KeyPurposeId. */
function decodeExtKeyUsage(bytes: Uint8Array): string[] {
  const r = whole(bytes);
  const seq = r.sequence();
  r.end();
  const purposes: string[] = [];
  while (!seq.done) purposes.push(seq.oid());
  if (purposes.length === 0) throw new DerError("no key purpose is listed");
  return purposes;
}

/**
 * RFC 5280 §4.2.1.10: SEQUENCE { permittedSubtrees [0], excludedSubtrees [1] },
 * each SEQUENCE SIZE (1..MAX) OF GeneralSubtree { base, minimum [0] DEFAULT 0,
 * maximum [1] }, where minimum MUST be zero and maximum MUST be absent. At
 * least one side must be present.
 */
function decodeNameConstraints(bytes: Uint8Array): { permitted: Subtrees; excluded: Subtrees } {
  const r = whole(bytes);
  const seq = r.sequence();
  r.end();
  const side = (n: number): GeneralName[] => {
    const content = seq.optional(contextTag(n, true));
    if (!content) return [];
    const list = new DerReader(content);
    const out: GeneralName[] = [];
    while (!list.done) {
      const subtree = list.sequence();
      out.push(readGeneralName(subtree));
      if (!subtree.done) {
        throw new DerError("a GeneralSubtree has a minimum or maximum (RFC 5280 forbids them)");
      }
    }
    if (out.length === 0) throw new DerError("empty GeneralSubtrees");
    return out;
  };
  const permitted = side(0), excluded = side(1);
  seq.end();
  if (permitted.length === 0 && excluded.length === 0) {
    throw new DerError("neither permitted nor excluded subtrees");
  }
  return { permitted, excluded };
}

/**
 * RFC 5280 §4.2.1.1: SEQUENCE { keyIdentifier [0], authorityCertIssuer [1],
 * authorityCertSerialNumber [2] }; issuer and serial come together.
 */
function decodeAuthorityKeyId(bytes: Uint8Array): { keyId?: Uint8Array; issuerAndSerial: boolean } {
  const r = whole(bytes);
  const seq = r.sequence();
  r.end();
  const keyId = seq.optional(contextTag(0, false));
  const issuer = seq.optional(contextTag(1, true));
  const serial = seq.optional(contextTag(2, false));
  seq.end();
  if ((issuer === undefined) !== (serial === undefined)) {
    throw new DerError("authorityCertIssuer and authorityCertSerialNumber must come together");
  }
  if (issuer) readGeneralNameList(issuer);
  return { keyId, issuerAndSerial: issuer !== undefined };
}

function decodeOctetString(bytes: Uint8Array): Uint8Array {
  const r = whole(bytes);
  const v = r.read(Tag.OCTET_STRING);
  r.end();
  return v;
}

/** RFC 5280 §4.2.2.1: SEQUENCE SIZE (1..MAX) OF AccessDescription { accessMethod, accessLocation }. */
function decodeAuthorityInfoAccess(bytes: Uint8Array): number {
  const r = whole(bytes);
  const seq = r.sequence();
  r.end();
  let n = 0;
  while (!seq.done) {
    const ad = seq.sequence();
    ad.oid();
    readGeneralName(ad);
    ad.end();
    n++;
  }
  if (n === 0) throw new DerError("no AccessDescription");
  return n;
}

/** RFC 5280 §4.2.1.11: SEQUENCE { requireExplicitPolicy [0], inhibitPolicyMapping [1] }, not empty. */
function decodePolicyConstraints(bytes: Uint8Array): { requireExplicitPolicy?: number } {
  const r = whole(bytes);
  const seq = r.sequence();
  r.end();
  const require = seq.optional(contextTag(0, false));
  const inhibit = seq.optional(contextTag(1, false));
  seq.end();
  if (!require && !inhibit) throw new DerError("empty policyConstraints");
  return { requireExplicitPolicy: require ? require.reduce((a, b) => a * 256 + b, 0) : undefined };
}

function decodeSequence(bytes: Uint8Array): void {
  const r = whole(bytes);
  const seq = r.sequence();
  r.end();
  if (seq.done) throw new DerError("empty SEQUENCE");
}

function decodeInteger(bytes: Uint8Array): void {
  const r = whole(bytes);
  r.unsignedInteger();
  r.end();
}
