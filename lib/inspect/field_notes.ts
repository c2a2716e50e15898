/**
 * What the fields the decoders read mean, for the byte view: code points
 * named (GREASE and unknown values marked), lengths counted, opaque values
 * labelled, structures titled. Keyed by the names the decoders give their
 * fields (`lib/handshake/messages.ts`, `extensions.ts`), which are the
 * RFCs' names; a field without an entry here is shown by name alone.
 *
 * @module
 */

import { AlertDescription, AlertLevel } from "../errors.ts";
import {
  CipherSuite,
  ExtensionType,
  HandshakeType,
  KeyUpdateRequest,
  NamedGroup,
  SignatureScheme,
} from "../codepoints.ts";
import { hybridLayout, hybridParts } from "../crypto/hybrid_mlkem.ts";
import { parseName } from "../x509/dn.ts";
import { describeCertificate } from "./certificate.ts";
import { codePoint, codePointText, type Names, VERSIONS } from "./code_point.ts";
import type { Field, ReadField } from "./fields.ts";

/** `1 byte`, `32 bytes`. */
export const byteCount = (n: number): string => `${n} byte${n === 1 ? "" : "s"}`;

/** What a 16-bit code point means, for a note: its name, GREASE or unknown. */
export const named = (table: Names) => (v: number): string => {
  const c = codePoint(table, v);
  return c.grease ? `${codePointText(c)}, to be ignored (RFC 8701)` : codePointText(c);
};

const text = (b: Uint8Array) => JSON.stringify(new TextDecoder().decode(b));

/** A DER Name as RFC 4514 text, or why not. */
function nameText(der: Uint8Array): string {
  try {
    return parseName(der).text;
  } catch {
    return "does not parse";
  }
}
const nullMethod = (v: number) => v === 0 ? "null" : `${v}`;

/** Notes on values, by field name; `message` is the message they are in ("HelloRetryRequest", ...). */
const NOTES: Record<string, (value: number, message: string) => string> = {
  msg_type: (v, m) =>
    `${HandshakeType.name(v)}${m === "HelloRetryRequest" ? " (a HelloRetryRequest)" : ""}`,
  length: byteCount,
  legacy_version: (v) => `${named(VERSIONS)(v)}, frozen (RFC 8446 §4.1.2)`,
  random: (_, m) =>
    m === "ClientHello"
      ? "the client random"
      : m === "HelloRetryRequest"
      ? 'SHA-256("HelloRetryRequest"): marks a HelloRetryRequest'
      : "the server random",
  cipher_suite: named(CipherSuite),
  method: nullMethod,
  legacy_compression_method: nullMethod,
  extension_type: named(ExtensionType),
  name_type: (v) => v === 0 ? "host_name" : `unknown (${v})`,
  group: named(NamedGroup),
  selected_group: named(NamedGroup),
  scheme: named(SignatureScheme),
  algorithm: named(SignatureScheme),
  version: named(VERSIONS),
  selected_version: named(VERSIONS),
  mode: (v) => v === 0 ? "psk_ke" : v === 1 ? "psk_dhe_ke" : `unknown (${v})`,
  format: (v) => v === 0 ? "uncompressed" : `${v}`,
  verify_data: () => "HMAC of the transcript hash with the finished key",
  ticket_lifetime: (v) => `${v} seconds`,
  obfuscated_ticket_age: () => "the ticket's age in milliseconds plus its ticket_age_add",
  selected_identity: (v) => `the PSK offered at index ${v}`,
  max_early_data_size: byteCount,
  request_update: (v) => KeyUpdateRequest.name(v),
  change_cipher_spec: (v) =>
    v === 1 ? "compatibility record, ignored in TLS 1.3 (RFC 8446 §D.4)" : `${v}: invalid`,
  level: (v) => AlertLevel.name(v),
  description: (v) => AlertDescription.name(v),
};

/** How a vector's contents read whole are shown, by the vector's name. */
const OPAQUE: Record<
  string,
  (contents: Uint8Array, siblings: readonly ReadField[], message: string) => Field[]
> = {
  legacy_session_id: (
    b,
  ) => [{ name: "session id", bytes: b, note: "non-empty: middlebox compatibility mode" }],
  legacy_session_id_echo: (b) => [{ name: "session id", bytes: b, note: "the client's, echoed" }],
  host_name: (b) => [{ name: "name", bytes: b, note: text(b) }],
  protocol_name: (b) => [{ name: "name", bytes: b, note: text(b) }],
  cookie: (b) => [{ name: "cookie", bytes: b, note: "to be echoed in the second ClientHello" }],
  certificate_request_context: (b) => [{ name: "context", bytes: b }],
  ticket_nonce: (b) => [{ name: "nonce", bytes: b }],
  signature: (b) => [{ name: "signature", bytes: b }],
  cert_data: (b) => {
    const c = describeCertificate(b);
    const note = c ? `subject ${c.subject}; issuer ${c.issuer}` : "does not parse";
    return [{ name: "X.509 certificate, DER", bytes: b, note }];
  },
  extension_data: (b) => [{ name: "data", bytes: b, note: "not dissected here" }],
  DistinguishedName: (b) => [{ name: "DistinguishedName, DER", bytes: b, note: nameText(b) }],
  identity: (b) => [{ name: "identity", bytes: b, note: "a ticket, or an external PSK's label" }],
  PskBinderEntry: (b) => [{
    name: "binder",
    bytes: b,
    note: "HMAC of the ClientHello up to the binders (RFC 8446 §4.2.11.2)",
  }],
  // RFC 8446 §4.2.8; a hybrid's key_exchange in its two halves (draft-ietf-tls-ecdhe-mlkem §3).
  key_exchange: (b, siblings, message) => {
    const group = siblings.find((s) => s.name === "group")?.value ?? -1;
    const layout = hybridLayout(group);
    const parts = layout &&
      hybridParts(layout, message === "ClientHello" ? "client share" : "server share");
    if (!parts || b.length !== parts[0].length + parts[1].length) {
      return [{ name: "public key", bytes: b }];
    }
    return [
      { name: parts[0].name, bytes: b.subarray(0, parts[0].length) },
      { name: parts[1].name, bytes: b.subarray(parts[0].length) },
    ];
  },
};

/** `3 entries`: how many of `children` are read items (named `item...`, or anything but a problem). */
const count = (one: string, many: string, item?: string) => (children: readonly Field[]) => {
  const n =
    children.filter((c) =>
      item ? c.name.startsWith(item) : c.name !== "malformed" && c.name !== "not decoded"
    ).length;
  return `${n} ${n === 1 ? one : many}`;
};

/** What a vector's note says after its length, by the vector's name. */
const SUMMARIES: Record<
  string,
  (children: readonly Field[], siblings: readonly ReadField[]) => string | undefined
> = {
  extensions: count("extension", "extensions", "extension"),
  certificate_list: count("certificate", "certificates", "CertificateEntry"),
  named_group_list: count("entry", "entries"),
  supported_signature_algorithms: count("entry", "entries"),
  key_exchange: (c) => c.length === 2 ? `${c[0].name} ‖ ${c[1].name}` : undefined,
  extension_data: (c, siblings) =>
    c.length > 0
      ? undefined
      : siblings[0]?.value === ExtensionType.server_name
      ? "empty: the server accepts the name sent"
      : "empty",
};

/** The fields of `message` (a handshake message's name, or what a record holds), described. */
export function describeFields(fields: readonly ReadField[], message: string): Field[] {
  let entry = 0;
  return fields.map((f) => {
    if (f.note !== undefined || !f.children) {
      return {
        name: f.name,
        bytes: f.bytes,
        note: f.note ?? NOTES[f.name]?.(f.value ?? 0, message),
      };
    }
    let children = describeFields(f.children, message);
    if (!f.contents) {
      // A structure: titled by what it holds.
      const first = f.children[0]?.value;
      if (f.name === "extension") {
        const name = first === undefined
          ? f.name
          : `extension ${codePointText(codePoint(ExtensionType, first))}`;
        return { name, bytes: f.bytes, children };
      }
      if (f.name === "CertificateEntry") {
        const n = entry++;
        const name = `CertificateEntry ${n}${n === 0 ? " (the end-entity certificate)" : ""}`;
        return { name, bytes: f.bytes, children };
      }
      const note = f.name === "KeyShareEntry" && first !== undefined
        ? codePointText(codePoint(NamedGroup, first))
        : undefined;
      return { name: f.name, bytes: f.bytes, note, children };
    }
    if (children.length === 0 && f.contents.length > 0) {
      children = OPAQUE[f.name]?.(f.contents, fields, message) ??
        [{ name: f.name, bytes: f.contents }];
    }
    const summary = SUMMARIES[f.name]?.(children, fields);
    const note = `${byteCount(f.contents.length)}${summary ? `, ${summary}` : ""}`;
    return { name: f.name, bytes: f.bytes, note, children };
  });
}
