/**
 * What a client offered, read from its ClientHello (RFC 8446 §4.1.2) with
 * the handshake codecs: versions, groups, key shares, suites, signature
 * algorithms, SNI, ALPN and every extension in order, GREASE marked. For the
 * trace and for `serve --mode http`, which shows visitors their own offer.
 *
 * @module
 */

import { CipherSuite, ExtensionType, NamedGroup, SignatureScheme } from "../codepoints.ts";
import {
  decodeAlpn,
  decodeClientKeyShares,
  decodeClientVersions,
  decodeServerName,
  decodeU16List,
  findExtension,
} from "../handshake/extensions.ts";
import { decodeClientHello } from "../handshake/messages.ts";
import { type CodePoint, codePoint, type Names, VERSIONS } from "./code_point.ts";

/** One key share offered. */
export interface OfferedKeyShare {
  readonly group: CodePoint;
  /** The public value, hex. */
  readonly publicKey: string;
  /** Its length in bytes. */
  readonly length: number;
}

/** One extension, in the order the client sent it. */
export interface OfferedExtension {
  readonly type: CodePoint;
  /** Length of its body in bytes. */
  readonly length: number;
}

/** A ClientHello, described. Lists are absent when their extension is. */
export interface ClientHelloView {
  /** Size of the whole handshake message, in bytes. */
  readonly size: number;
  readonly legacyVersion: CodePoint;
  /** Hex. */
  readonly random: string;
  /** Hex; non-empty asks for middlebox compatibility mode (RFC 8446 §D.4). */
  readonly legacySessionId: string;
  readonly cipherSuites: readonly CodePoint[];
  readonly extensions: readonly OfferedExtension[];
  readonly versions?: readonly CodePoint[];
  readonly groups?: readonly CodePoint[];
  readonly keyShares?: readonly OfferedKeyShare[];
  readonly signatureAlgorithms?: readonly CodePoint[];
  readonly signatureAlgorithmsCert?: readonly CodePoint[];
  readonly serverName?: string;
  readonly alpn?: readonly string[];
}

/**
 * Describes a ClientHello from its whole handshake message (type, length,
 * body). Throws `TlsError` (decode_error, ...) if it does not decode.
 */
export function describeClientHello(message: Uint8Array): ClientHelloView {
  const ch = decodeClientHello(message.subarray(4));
  const ext = (type: number) => findExtension(ch.extensions, type);
  const list = <T>(type: number, decode: (data: Uint8Array) => T): T | undefined => {
    const data = ext(type);
    return data === undefined ? undefined : decode(data);
  };
  const u16s = (type: number, table: Names) =>
    list(type, (d) => decodeU16List(d, type).map((v) => codePoint(table, v)));
  return {
    size: message.length,
    legacyVersion: codePoint(VERSIONS, ch.legacyVersion),
    random: ch.random.toHex(),
    legacySessionId: ch.legacySessionId.toHex(),
    cipherSuites: ch.cipherSuites.map((v) => codePoint(CipherSuite, v)),
    extensions: ch.extensions.map((e) => ({
      type: codePoint(ExtensionType, e.type),
      length: e.data.length,
    })),
    versions: list(
      ExtensionType.supported_versions,
      (d) => decodeClientVersions(d).map((v) => codePoint(VERSIONS, v)),
    ),
    groups: u16s(ExtensionType.supported_groups, NamedGroup),
    keyShares: list(ExtensionType.key_share, (d) =>
      decodeClientKeyShares(d).map((s) => ({
        group: codePoint(NamedGroup, s.group),
        publicKey: s.keyExchange.toHex(),
        length: s.keyExchange.length,
      }))),
    signatureAlgorithms: u16s(ExtensionType.signature_algorithms, SignatureScheme),
    signatureAlgorithmsCert: u16s(ExtensionType.signature_algorithms_cert, SignatureScheme),
    serverName: list(ExtensionType.server_name, decodeServerName),
    alpn: list(ExtensionType.application_layer_protocol_negotiation, decodeAlpn),
  };
}
