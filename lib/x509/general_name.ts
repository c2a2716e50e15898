/**
 * GeneralName (RFC 5280 §4.2.1.6): the names in subjectAltName and the bases
 * of name constraints, decoded and printed the way OpenSSL does
 * (`DNS:example.com`, `IP:192.0.2.1`, `DirName:CN=foo`).
 *
 * @module
 */

import { contextTag, DerError, DerReader } from "../wire/der.ts";
import { latin1, type Name, parseName } from "./dn.ts";
import { formatIp } from "./names.ts";

/** A decoded GeneralName. */
export type GeneralName =
  | { readonly type: "dns"; readonly value: string }
  /** 4 or 16 bytes in a subjectAltName; address and mask (8 or 32 bytes) in a name constraint. */
  | { readonly type: "ip"; readonly bytes: Uint8Array }
  | { readonly type: "dn"; readonly name: Name }
  | { readonly type: "email"; readonly value: string }
  | { readonly type: "uri"; readonly value: string }
  | { readonly type: "other"; readonly form: OtherForm };

/** The name forms this engine carries but never compares. */
export type OtherForm = "otherName" | "x400Address" | "ediPartyName" | "registeredID";

/** Every GeneralName form, as RFC 5280 names them, for messages. */
export type NameForm = GeneralName["type"] | OtherForm;

/** The form of a name: "dns", "ip", ..., or the specific uncompared form. */
export function nameForm(n: GeneralName): NameForm {
  return n.type === "other" ? n.form : n.type;
}

/** Reads one GeneralName. */
export function readGeneralName(r: DerReader): GeneralName {
  const { tag, content } = r.readAny();
  switch (tag) {
    case contextTag(0, true):
      return { type: "other", form: "otherName" };
    case contextTag(1, false):
      return { type: "email", value: ia5(content) };
    case contextTag(2, false):
      return { type: "dns", value: ia5(content) };
    case contextTag(3, true):
      return { type: "other", form: "x400Address" };
    case contextTag(4, true): {
      // [4] is EXPLICIT (Name is a CHOICE): one Name inside.
      const inner = new DerReader(content);
      const name = parseName(inner.readElement(0x30));
      inner.end();
      return { type: "dn", name };
    }
    case contextTag(5, true):
      return { type: "other", form: "ediPartyName" };
    case contextTag(6, false):
      return { type: "uri", value: ia5(content) };
    case contextTag(7, false):
      return { type: "ip", bytes: content };
    case contextTag(8, false):
      return { type: "other", form: "registeredID" };
    default:
      throw new DerError(`unknown GeneralName tag 0x${tag.toString(16)}`);
  }
}

/** Reads GeneralNames (SEQUENCE SIZE (1..MAX) OF GeneralName). */
export function readGeneralNames(bytes: Uint8Array): GeneralName[] {
  const outer = new DerReader(bytes);
  const seq = outer.read(0x30);
  outer.end();
  return readGeneralNameList(seq);
}

/** Reads the contents of a GeneralNames (also met IMPLICITly tagged). */
export function readGeneralNameList(content: Uint8Array): GeneralName[] {
  const r = new DerReader(content);
  const names: GeneralName[] = [];
  while (!r.done) names.push(readGeneralName(r));
  if (names.length === 0) throw new DerError("empty GeneralNames");
  return names;
}

/** IA5String contents: 7-bit ASCII only (X.680 §41). */
function ia5(bytes: Uint8Array): string {
  if (bytes.some((b) => b > 0x7f)) throw new DerError("IA5String with non-ASCII bytes");
  return latin1(bytes);
}

/** e.g. `DNS:example.com`, `IP:192.0.2.0/24`, `DirName:CN=foo`. */
export function formatGeneralName(n: GeneralName): string {
  switch (n.type) {
    case "dns":
      return `DNS:${n.value}`;
    case "email":
      return `email:${n.value}`;
    case "uri":
      return `URI:${n.value}`;
    case "dn":
      return `DirName:${n.name.text}`;
    case "ip":
      return `IP:${formatIpName(n.bytes)}`;
    case "other":
      return n.form;
  }
}

function formatIpName(b: Uint8Array): string {
  if (b.length === 4 || b.length === 16) return formatIp(b);
  if (b.length === 8 || b.length === 32) {
    const half = b.length / 2;
    const prefix = prefixLength(b.subarray(half));
    return `${formatIp(b.subarray(0, half))}/${prefix ?? formatIp(b.subarray(half))}`;
  }
  return `#${b.toHex()}`;
}

/** The prefix length of a netmask of contiguous leading ones, or undefined. */
export function prefixLength(mask: Uint8Array): number | undefined {
  let bits = 0, i = 0;
  while (i < mask.length && mask[i] === 0xff) bits += 8, i++;
  if (i < mask.length) {
    const ones = Math.clz32(~(mask[i] << 24));
    if (((mask[i] << ones) & 0xff) !== 0) return undefined;
    bits += ones;
    i++;
  }
  for (; i < mask.length; i++) if (mask[i] !== 0) return undefined;
  return bits;
}
