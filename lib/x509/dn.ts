/**
 * Distinguished names (RFC 5280 §4.1.2.4): parsed from DER, printed as
 * RFC 4514 text for messages, and compared the way name constraints need
 * (RFC 5280 §7.1, simplified: attribute types exactly, string values with
 * case and white space folded).
 *
 * @module
 */

import { DerError, DerReader, Tag } from "../wire/der.ts";

/** One AttributeTypeAndValue of a relative distinguished name. */
export interface Attribute {
  /** The attribute type, as a dotted OID. */
  readonly type: string;
  /** The DER tag of the value (UTF8String, PrintableString, ...). */
  readonly tag: number;
  /** The value's contents. */
  readonly value: Uint8Array;
}

/** A Name: its DER (compared byte for byte when chaining) and its RDNs, most general first. */
export interface Name {
  readonly der: Uint8Array;
  readonly rdns: readonly (readonly Attribute[])[];
  /** RFC 4514 text, most specific RDN first, e.g. `CN=localhost,O=Example`. */
  readonly text: string;
}

/** OIDs of attribute types met in certificates. */
export const AttributeType = {
  commonName: "2.5.4.3",
  emailAddress: "1.2.840.113549.1.9.1",
} as const;

const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.17": "postalCode",
  "2.5.4.42": "GN",
  "2.5.4.97": "organizationIdentifier",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/** Parses a DER Name (a SEQUENCE of SETs of AttributeTypeAndValue). */
export function parseName(der: Uint8Array): Name {
  const outer = new DerReader(der);
  const seq = outer.sequence();
  outer.end();
  const rdns: Attribute[][] = [];
  while (!seq.done) {
    const set = new DerReader(seq.read(Tag.SET));
    const rdn: Attribute[] = [];
    while (!set.done) {
      const atv = set.sequence();
      const type = atv.oid();
      const { tag, content } = atv.readAny();
      atv.end();
      rdn.push({ type, tag, value: content });
    }
    if (rdn.length === 0) throw new DerError("empty RelativeDistinguishedName");
    rdns.push(rdn);
  }
  return { der, rdns, text: formatRdns(rdns) };
}

/** The text of a string-typed attribute value, or undefined for other types. */
function attributeText(a: Attribute): string | undefined {
  switch (a.tag) {
    case Tag.UTF8String:
      return new TextDecoder().decode(a.value);
    case Tag.PrintableString:
    case Tag.IA5String:
    case Tag.TeletexString:
      return latin1(a.value);
    case Tag.BMPString: {
      let s = "";
      for (let i = 0; i + 1 < a.value.length; i += 2) {
        s += String.fromCharCode((a.value[i] << 8) | a.value[i + 1]);
      }
      return s;
    }
    case Tag.UniversalString: {
      let s = "";
      for (let i = 0; i + 3 < a.value.length; i += 4) {
        const cp = ((a.value[i] << 24) | (a.value[i + 1] << 16) | (a.value[i + 2] << 8) |
          a.value[i + 3]) >>> 0;
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
      }
      return s;
    }
    default:
      return undefined;
  }
}

/** Bytes as ISO 8859-1 text (one character per byte). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}

/** Every value of one attribute type in a name, as text (e.g. all CNs). */
export function attributeValues(name: Name, type: string): string[] {
  const out: string[] = [];
  for (const rdn of name.rdns) {
    for (const a of rdn) {
      if (a.type === type) out.push(attributeText(a) ?? "");
    }
  }
  return out;
}

function formatRdns(rdns: readonly (readonly Attribute[])[]): string {
  return rdns.slice().reverse().map((rdn) => rdn.map(formatAttribute).join("+")).join(",");
}

function formatAttribute(a: Attribute): string {
  const type = SHORT_NAMES[a.type] ?? a.type;
  const text = attributeText(a);
  if (text === undefined) return `${type}=#${a.value.toHex()}`;
  // RFC 4514 §2.4: escape the specials, a leading '#' or space and a trailing space.
  const escaped = text
    .replace(/[\\",+;<>=]/g, (c) => "\\" + c)
    .replace(/^[#\s]/, (c) => "\\" + c)
    .replace(/\s$/, (c) => "\\" + c)
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x1f\x7f]/g, (c) => "\\" + c.charCodeAt(0).toString(16).padStart(2, "0"));
  return `${type}=${escaped}`;
}

/**
 * RFC 5280 §4.2.1.10: whether `name` lies within the directoryName subtree
 * `base`, i.e. whether `base`'s RDNs are the first RDNs of `name`.
 */
export function nameWithinSubtree(name: Name, base: Name): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  return base.rdns.every((rdn, i) => rdnEqual(rdn, name.rdns[i]));
}

function rdnEqual(a: readonly Attribute[], b: readonly Attribute[]): boolean {
  if (a.length !== b.length) return false;
  const key = (x: Attribute) => `${x.type}=${comparable(x)}`;
  const ka = a.map(key).sort(), kb = b.map(key).sort();
  return ka.every((k, i) => k === kb[i]);
}

/** RFC 5280 §7.1 (after RFC 4518, simplified): case-folded, white space collapsed. */
function comparable(a: Attribute): string {
  const text = attributeText(a);
  if (text === undefined) return "#" + a.value.toHex();
  return text.normalize("NFKC").toLowerCase().trim().replace(/\s+/g, " ");
}
