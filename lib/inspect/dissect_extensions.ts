/**
 * The byte view of extension blocks (RFC 8446 §4.2): each extension's type,
 * length and body, field by field for the extensions TLS 1.3 negotiates,
 * as raw bytes for the others. Unknown and GREASE values are marked.
 *
 * @module
 */

import { ExtensionType, NamedGroup, SignatureScheme } from "../codepoints.ts";
import { hybridLayout, hybridParts, type HybridValue } from "../crypto/hybrid_mlkem.ts";
import { codePoint, codePointText, type Names, VERSIONS } from "./code_point.ts";
import type { FieldReader } from "./fields.ts";

/** The message an extension block belongs to: some extensions differ by message. */
export type ExtensionContext =
  | "client_hello"
  | "server_hello"
  | "hello_retry_request"
  | "encrypted_extensions"
  | "certificate_request"
  | "certificate"
  | "new_session_ticket";

/** What a 16-bit code point means, for a note: its name, GREASE or unknown. */
export const named = (table: Names) => (v: number): string => {
  const c = codePoint(table, v);
  return c.grease ? `${codePointText(c)}, to be ignored (RFC 8701)` : codePointText(c);
};

const text = (b: Uint8Array) => JSON.stringify(new TextDecoder().decode(b));

/** An extension block: a 2-byte length, then extensions. */
export function extensionBlock(r: FieldReader, context: ExtensionContext): void {
  r.vector(2, "extensions", (list) => {
    let n = 0;
    for (; list.remaining > 0; n++) extension(list, context);
    return `${n} extension${n === 1 ? "" : "s"}`;
  });
}

function extension(r: FieldReader, context: ExtensionContext): void {
  const type = r.peekU16() ?? -1;
  const name = type < 0
    ? "extension"
    : `extension ${codePointText(codePoint(ExtensionType, type))}`;
  r.group(name, (g) => {
    g.uint(2, "extension_type", named(ExtensionType));
    g.vector(2, "extension_data", (body) => extensionBody(body, type, context));
  });
}

function u16List(r: FieldReader, name: string, item: string, table: Names): void {
  r.vector(2, name, (l) => {
    let n = 0;
    for (; l.remaining > 0; n++) l.uint(2, item, named(table));
    return `${n} entr${n === 1 ? "y" : "ies"}`;
  });
}

/** One extension's body, by type and message. */
function extensionBody(r: FieldReader, type: number, context: ExtensionContext): string | void {
  if (r.remaining === 0) {
    if (type === ExtensionType.server_name) return "empty: the server accepts the name sent";
    return "empty";
  }
  switch (type) {
    case ExtensionType.server_name:
      r.vector(2, "server_name_list", (l) => {
        while (l.remaining > 0) {
          l.uint(1, "name_type", (v) => v === 0 ? "host_name" : `unknown (${v})`);
          l.vector(2, "host_name", (h) => void h.bytes(h.remaining, "name", text));
        }
      });
      return;
    case ExtensionType.supported_groups:
      return u16List(r, "named_group_list", "group", NamedGroup);
    case ExtensionType.signature_algorithms:
    case ExtensionType.signature_algorithms_cert:
      return u16List(r, "supported_signature_algorithms", "scheme", SignatureScheme);
    case ExtensionType.application_layer_protocol_negotiation:
      r.vector(2, "protocol_name_list", (l) => {
        while (l.remaining > 0) {
          l.vector(1, "protocol_name", (p) => void p.bytes(p.remaining, "name", text));
        }
      });
      return;
    case ExtensionType.supported_versions:
      if (context === "client_hello") {
        r.vector(1, "versions", (l) => {
          while (l.remaining > 0) l.uint(2, "version", named(VERSIONS));
        });
      } else {
        r.uint(2, "selected_version", named(VERSIONS));
      }
      return;
    case ExtensionType.key_share:
      if (context === "client_hello") {
        r.vector(2, "client_shares", (l) => {
          while (l.remaining > 0) keyShareEntry(l, "client share");
        });
      } else if (context === "hello_retry_request") {
        r.uint(2, "selected_group", named(NamedGroup));
      } else {
        keyShareEntry(r, "server share");
      }
      return;
    case ExtensionType.cookie:
      r.vector(2, "cookie", (c) => {
        c.bytes(c.remaining, "cookie", "to be echoed in the second ClientHello");
      });
      return;
    case ExtensionType.psk_key_exchange_modes:
      r.vector(1, "ke_modes", (l) => {
        while (l.remaining > 0) {
          l.uint(1, "mode", (v) => v === 0 ? "psk_ke" : v === 1 ? "psk_dhe_ke" : `unknown (${v})`);
        }
      });
      return;
    case ExtensionType.ec_point_formats:
      r.vector(1, "ec_point_format_list", (l) => {
        while (l.remaining > 0) {
          l.uint(1, "format", (v) => v === 0 ? "uncompressed" : `${v}`);
        }
      });
      return;
    case ExtensionType.renegotiation_info:
      r.vector(1, "renegotiated_connection", () => {});
      return;
    default:
      r.rest("data", "not dissected here");
  }
}

/**
 * RFC 8446 §4.2.8: KeyShareEntry; a hybrid's key_exchange in its two halves
 * (draft-ietf-tls-ecdhe-mlkem §3), when it has their length.
 */
function keyShareEntry(r: FieldReader, which: HybridValue): void {
  r.group("KeyShareEntry", (e) => {
    const group = e.uint(2, "group", named(NamedGroup));
    const layout = hybridLayout(group);
    e.vector(2, "key_exchange", (k) => {
      const parts = layout && hybridParts(layout, which);
      if (parts && k.remaining === parts[0].length + parts[1].length) {
        for (const p of parts) k.bytes(p.length, p.name);
        return `${parts[0].name} ‖ ${parts[1].name}`;
      }
      k.bytes(k.remaining, "public key");
    });
    return codePointText(codePoint(NamedGroup, group));
  });
}
