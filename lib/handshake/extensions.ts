/**
 * Extension blocks and the bodies of the extensions TLS 1.3 negotiates
 * (RFC 8446 §4.2), encoded and decoded with bounds checks. Each decoder
 * reads exactly its body: trailing bytes are a decode_error.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { ExtensionType } from "../codepoints.ts";
import { type FieldRecorder, Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import {
  decodeMaxEarlyData,
  decodeOfferedPsks,
  decodePskModes,
  decodeSelectedIdentity,
} from "./psk_extensions.ts";

/** One extension as it appeared on the wire. */
export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** A KeyShareEntry (RFC 8446 §4.2.8). */
export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** The message an extension block is in: some extensions have a body per message (RFC 8446 §4.2). */
export type ExtensionContext =
  | "ClientHello"
  | "ServerHello"
  | "HelloRetryRequest"
  | "EncryptedExtensions"
  | "CertificateRequest"
  | "CertificateEntry"
  | "NewSessionTicket";

/**
 * Reads an extension list (RFC 8446 §4.2), refusing duplicates ("There MUST
 * NOT be more than one extension of the same type in a given extension
 * block"). With a recorder, each body is also read field by field (`BODIES`).
 */
export function readExtensions(r: Reader, what: ExtensionContext, min = 0): Extension[] {
  const list = r.sub16("extensions", min);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (list.remaining) {
    list.open("extension");
    const type = list.u16("extension_type");
    const data = list.vec16("extension_data");
    if (list.recorder) recordBody(list.recorder, type, data, what);
    if (seen.has(type)) {
      throw new TlsError(
        "duplicate_extension",
        `${what}: the ${ExtensionType.name(type)} extension appears twice`,
      );
    }
    list.close();
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

/** Writes an extension list with its 2-byte length. */
export function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  w.u16Prefixed(() => {
    for (const e of exts) w.u16(e.type).vec16(e.data);
  });
}

/** The body of extension `type`, if present. */
export function findExtension(exts: readonly Extension[], type: number): Uint8Array | undefined {
  return exts.find((e) => e.type === type)?.data;
}

/** Runs `decode` over an extension body and checks that it consumed all of it. */
function body<T>(
  data: Uint8Array,
  type: number,
  decode: (r: Reader) => T,
  recorder: FieldRecorder | undefined,
): T {
  const r = new Reader(data, `${ExtensionType.name(type)} extension`, recorder);
  const v = decode(r);
  r.end();
  return v;
}

function build(fill: (w: Writer) => void): Uint8Array {
  const w = new Writer(64);
  fill(w);
  return w.finish();
}

// --- server_name (RFC 6066 §3) ---

/** Decodes a ClientHello server_name: the host_name entry, if any. */
export function decodeServerName(
  data: Uint8Array,
  recorder?: FieldRecorder,
): string | undefined {
  return body(data, ExtensionType.server_name, (r) => {
    const list = r.sub16("server_name_list", 1);
    let host: string | undefined;
    while (list.remaining) {
      const nameType = list.u8("name_type");
      const name = list.vec16("host_name", 1);
      if (nameType !== 0) continue;
      if (host !== undefined) {
        throw new TlsError(
          "server_name_multiple_host_names",
          "server_name: more than one host_name",
        );
      }
      try {
        host = decoder.decode(name);
      } catch {
        throw new TlsError(
          "server_name_not_utf8",
          "server_name: host_name is not valid UTF-8",
        );
      }
      if (!/^[\x21-\x7e]+$/.test(host)) {
        throw new TlsError(
          "server_name_not_printable",
          "server_name: host_name is not printable ASCII",
        );
      }
    }
    return host;
  }, recorder);
}

/** Encodes a server_name with one host_name. */
export function encodeServerName(host: string): Uint8Array {
  return build((w) => w.u16Prefixed(() => w.u8(0).vec16(encoder.encode(host))));
}

// --- lists of u16: supported_groups, signature_algorithms(_cert) ---

/** The names of a list's field and items, by extension type (RFC 8446 §4.2.3, §4.2.7). */
const LISTS: Record<number, readonly [string, string]> = {
  [ExtensionType.supported_groups]: ["named_group_list", "group"],
  [ExtensionType.signature_algorithms]: ["supported_signature_algorithms", "scheme"],
  [ExtensionType.signature_algorithms_cert]: ["supported_signature_algorithms", "scheme"],
};

/** Decodes a 2-byte-length-prefixed list of 16-bit code points (at least one). */
export function decodeU16List(data: Uint8Array, type: number, recorder?: FieldRecorder): number[] {
  const [list, item] = LISTS[type] ?? [ExtensionType.name(type), "u16"];
  return body(data, type, (r) => r.u16List(list, 1, item), recorder);
}

/** Encodes a 2-byte-length-prefixed list of 16-bit code points. */
export function encodeU16List(values: readonly number[]): Uint8Array {
  return build((w) => w.u16Prefixed(() => values.forEach((v) => w.u16(v))));
}

// --- application_layer_protocol_negotiation (RFC 7301 §3.1) ---

/** Decodes a ProtocolNameList. */
export function decodeAlpn(data: Uint8Array, recorder?: FieldRecorder): string[] {
  return body(data, ExtensionType.application_layer_protocol_negotiation, (r) => {
    const list = r.sub16("protocol_name_list", 2);
    const out: string[] = [];
    while (list.remaining) {
      const name = list.vec8("protocol_name", 1);
      out.push(new TextDecoder().decode(name));
    }
    return out;
  }, recorder);
}

/** Encodes a ProtocolNameList. */
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  return build((w) => w.u16Prefixed(() => protocols.forEach((p) => w.vec8(encoder.encode(p)))));
}

// --- supported_versions (RFC 8446 §4.2.1) ---

/** Decodes the ClientHello form: a 1-byte-prefixed list of versions. */
export function decodeClientVersions(data: Uint8Array, recorder?: FieldRecorder): number[] {
  return body(data, ExtensionType.supported_versions, (r) => {
    const list = r.sub8("versions", 2);
    if (list.remaining % 2) {
      throw new TlsError("vector_odd_length", "supported_versions has an odd length");
    }
    const out: number[] = [];
    while (list.remaining) out.push(list.u16("version"));
    return out;
  }, recorder);
}

/** Encodes the ClientHello form. */
export function encodeClientVersions(versions: readonly number[]): Uint8Array {
  return build((w) => w.u8Prefixed(() => versions.forEach((v) => w.u16(v))));
}

/** Decodes the ServerHello form: the one selected version. */
export function decodeSelectedVersion(data: Uint8Array, recorder?: FieldRecorder): number {
  return body(data, ExtensionType.supported_versions, (r) => r.u16("selected_version"), recorder);
}

/** Encodes the ServerHello form. */
export function encodeSelectedVersion(version: number): Uint8Array {
  return build((w) => w.u16(version));
}

// --- key_share (RFC 8446 §4.2.8) ---

function readKeyShareEntry(r: Reader): KeyShareEntry {
  r.open("KeyShareEntry");
  const group = r.u16("group");
  const keyExchange = r.vec16("key_exchange", 1);
  r.close();
  return { group, keyExchange };
}

/** Decodes the ClientHello form: client_shares, each group at most once. */
export function decodeClientKeyShares(
  data: Uint8Array,
  recorder?: FieldRecorder,
): KeyShareEntry[] {
  return body(data, ExtensionType.key_share, (r) => {
    const list = r.sub16("client_shares");
    const out: KeyShareEntry[] = [];
    while (list.remaining) {
      const e = readKeyShareEntry(list);
      // RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group."
      if (out.some((o) => o.group === e.group)) {
        throw new TlsError(
          "duplicate_key_share",
          "key_share: two shares for one group",
        );
      }
      out.push(e);
    }
    return out;
  }, recorder);
}

/** Encodes the ClientHello form. */
export function encodeClientKeyShares(shares: readonly KeyShareEntry[]): Uint8Array {
  return build((w) =>
    w.u16Prefixed(() => shares.forEach((s) => w.u16(s.group).vec16(s.keyExchange)))
  );
}

/** Decodes the ServerHello form: one KeyShareEntry. */
export function decodeServerKeyShare(data: Uint8Array, recorder?: FieldRecorder): KeyShareEntry {
  return body(data, ExtensionType.key_share, readKeyShareEntry, recorder);
}

/** Encodes the ServerHello form. */
export function encodeServerKeyShare(share: KeyShareEntry): Uint8Array {
  return build((w) => w.u16(share.group).vec16(share.keyExchange));
}

/** Decodes the HelloRetryRequest form: the selected group. */
export function decodeSelectedGroup(data: Uint8Array, recorder?: FieldRecorder): number {
  return body(data, ExtensionType.key_share, (r) => r.u16("selected_group"), recorder);
}

/** Encodes the HelloRetryRequest form. */
export function encodeSelectedGroup(group: number): Uint8Array {
  return build((w) => w.u16(group));
}

// --- cookie (RFC 8446 §4.2.2) ---

/** Decodes a cookie. */
export function decodeCookie(data: Uint8Array, recorder?: FieldRecorder): Uint8Array {
  return body(data, ExtensionType.cookie, (r) => r.vec16("cookie", 1), recorder);
}

/** Encodes a cookie. */
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  return build((w) => w.vec16(cookie));
}

// --- certificate_authorities (RFC 8446 §4.2.4) ---

/** Decodes a list of DER DistinguishedNames. */
function decodeCertificateAuthorities(
  data: Uint8Array,
  recorder?: FieldRecorder,
): Uint8Array[] {
  return body(data, ExtensionType.certificate_authorities, (r) => {
    const list = r.sub16("authorities", 3);
    const out: Uint8Array[] = [];
    while (list.remaining) out.push(list.vec16("DistinguishedName", 1));
    return out;
  }, recorder);
}

/** Encodes a list of DER DistinguishedNames. */
export function encodeCertificateAuthorities(names: readonly Uint8Array[]): Uint8Array {
  return build((w) => w.u16Prefixed(() => names.forEach((n) => w.vec16(n))));
}

/** An empty extension body (server_name acknowledgement, RFC 6066 §3). */
export const EMPTY = new Uint8Array(0);

// --- extensions only the byte view reads: the engine ignores them ---

/** RFC 8422 §5.1.2: ec_point_formats, sent by clients that also speak TLS 1.2. */
function decodeEcPointFormats(data: Uint8Array, recorder?: FieldRecorder): Uint8Array {
  return body(
    data,
    ExtensionType.ec_point_formats,
    (r) => r.u8List("ec_point_format_list", 1, "format"),
    recorder,
  );
}

/** RFC 5746 §3.2: renegotiation_info, empty on a first handshake. */
function decodeRenegotiationInfo(data: Uint8Array, recorder?: FieldRecorder): Uint8Array {
  return body(
    data,
    ExtensionType.renegotiation_info,
    (r) => r.vec8("renegotiated_connection"),
    recorder,
  );
}

// --- every extension's body, for the byte view ---

type BodyDecoder = (data: Uint8Array, recorder?: FieldRecorder) => unknown;

const list = (type: number): BodyDecoder => (data, recorder) => decodeU16List(data, type, recorder);

/**
 * The decoder of each extension body this codec reads, by the message it is
 * in where that changes its form (RFC 8446 §4.2). A new extension is added
 * here and in its decoder, and the byte view shows it field by field.
 */
const BODIES: Readonly<
  Record<number, BodyDecoder | Partial<Record<ExtensionContext, BodyDecoder>>>
> = {
  [ExtensionType.server_name]: { ClientHello: decodeServerName },
  [ExtensionType.supported_groups]: list(ExtensionType.supported_groups),
  [ExtensionType.signature_algorithms]: list(ExtensionType.signature_algorithms),
  [ExtensionType.signature_algorithms_cert]: list(ExtensionType.signature_algorithms_cert),
  [ExtensionType.application_layer_protocol_negotiation]: decodeAlpn,
  [ExtensionType.supported_versions]: {
    ClientHello: decodeClientVersions,
    ServerHello: decodeSelectedVersion,
    HelloRetryRequest: decodeSelectedVersion,
  },
  [ExtensionType.key_share]: {
    ClientHello: decodeClientKeyShares,
    ServerHello: decodeServerKeyShare,
    HelloRetryRequest: decodeSelectedGroup,
  },
  [ExtensionType.cookie]: decodeCookie,
  [ExtensionType.certificate_authorities]: decodeCertificateAuthorities,
  [ExtensionType.psk_key_exchange_modes]: decodePskModes,
  [ExtensionType.pre_shared_key]: {
    ClientHello: decodeOfferedPsks,
    ServerHello: decodeSelectedIdentity,
  },
  [ExtensionType.early_data]: { NewSessionTicket: decodeMaxEarlyData },
  [ExtensionType.ec_point_formats]: decodeEcPointFormats,
  [ExtensionType.renegotiation_info]: decodeRenegotiationInfo,
};

/**
 * Reads one extension body into `recorder` with its decoder, if there is
 * one for this message; a malformed body is recorded as such, and the
 * block goes on (a body is only checked where it is used).
 */
function recordBody(
  recorder: FieldRecorder,
  type: number,
  data: Uint8Array,
  message: ExtensionContext,
): void {
  const entry = BODIES[type];
  const decode = typeof entry === "function" ? entry : entry?.[message];
  if (!decode) return;
  try {
    decode(data, recorder);
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    recorder.malformed(e.message, data);
  }
}
