/**
 * The handshake messages of TLS 1.3 (RFC 8446 §4), their framing
 * (`Handshake`: type, 24-bit length, body) and their codecs. Decoders
 * check every length and refuse trailing bytes; given a `FieldRecorder`,
 * they also report every field they read (`recordHandshake`), which is
 * how the byte view sees a message.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { HandshakeType, KeyUpdateRequest } from "../codepoints.ts";
import { type FieldRecorder, Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import { type Extension, readExtensions, writeExtensions } from "./extensions.ts";

/** A handshake message as received: its type, body and full encoding (for the transcript). */
export interface HandshakeMessage {
  readonly type: number;
  readonly body: Uint8Array;
  /** Header and body, exactly as they go into the transcript. */
  readonly raw: Uint8Array;
}

/** RFC 8446 §4.1.3: the ServerHello.random that marks a HelloRetryRequest (SHA-256 of "HelloRetryRequest"). */
export const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.fromHex(
  "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c",
);

/** RFC 8446 §4.1.3: last 8 bytes of ServerHello.random when a TLS 1.3 server negotiates 1.2 or below. */
export const DOWNGRADE_TLS12 = Uint8Array.fromHex("444f574e47524401");
/** RFC 8446 §4.1.3: last 8 bytes of ServerHello.random when a TLS 1.3 server negotiates 1.1 or below. */
export const DOWNGRADE_TLS11 = Uint8Array.fromHex("444f574e47524400");

/** A handshake message's header (RFC 8446 §4): msg_type and the 24-bit length of the body. */
export interface HandshakeHeader {
  readonly type: number;
  readonly length: number;
}

/** Reads the header at the start of `message`; given a `recorder`, reports its two fields. */
export function readHandshakeHeader(
  message: Uint8Array,
  recorder?: FieldRecorder,
): HandshakeHeader {
  const r = new Reader(message, "handshake message", recorder);
  return { type: r.u8("msg_type"), length: r.u24("length") };
}

/** Frames a handshake message: type, 24-bit length, body. */
export function frameHandshake(type: number, body: Uint8Array): Uint8Array {
  return new Writer(body.length + 4).u8(type).vec24(body).finish();
}

/** ClientHello (RFC 8446 §4.1.2). */
export interface ClientHello {
  legacyVersion: number;
  random: Uint8Array;
  legacySessionId: Uint8Array;
  cipherSuites: number[];
  legacyCompressionMethods: Uint8Array;
  extensions: Extension[];
}

/** Decodes a ClientHello body. */
export function decodeClientHello(body: Uint8Array, recorder?: FieldRecorder): ClientHello {
  const r = new Reader(body, "ClientHello", recorder);
  const legacyVersion = r.u16("legacy_version");
  const random = r.bytes(32, "random");
  const legacySessionId = r.vec8("legacy_session_id");
  if (legacySessionId.length > 32) {
    throw new TlsError(
      "legacy_session_id_too_long",
      "ClientHello: legacy_session_id longer than 32 bytes",
    );
  }
  const cipherSuites = r.u16List("cipher_suites", 1, "cipher_suite");
  const legacyCompressionMethods = r.u8List("legacy_compression_methods", 1, "method");
  // A ClientHello without extensions is a pre-TLS 1.3 client.
  const extensions = r.remaining ? readExtensions(r, "ClientHello") : [];
  r.end();
  return {
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions,
  };
}

/** Encodes a ClientHello body. */
export function encodeClientHello(ch: ClientHello): Uint8Array {
  const w = new Writer(512);
  w.u16(ch.legacyVersion).bytes(ch.random).vec8(ch.legacySessionId);
  w.u16Prefixed(() => ch.cipherSuites.forEach((s) => w.u16(s)));
  w.vec8(ch.legacyCompressionMethods);
  writeExtensions(w, ch.extensions);
  return w.finish();
}

/** ServerHello or HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4). */
export interface ServerHello {
  legacyVersion: number;
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  legacyCompressionMethod: number;
  extensions: Extension[];
}

/** Decodes a ServerHello body. */
export function decodeServerHello(body: Uint8Array, recorder?: FieldRecorder): ServerHello {
  const r = new Reader(body, "ServerHello", recorder);
  const legacyVersion = r.u16("legacy_version");
  const random = r.bytes(32, "random");
  const legacySessionIdEcho = r.vec8("legacy_session_id_echo");
  if (legacySessionIdEcho.length > 32) {
    throw new TlsError(
      "legacy_session_id_too_long",
      "ServerHello: legacy_session_id_echo longer than 32 bytes",
    );
  }
  const cipherSuite = r.u16("cipher_suite");
  const legacyCompressionMethod = r.u8("legacy_compression_method");
  const extensions = r.remaining
    ? readExtensions(r, isHelloRetryRequest({ random }) ? "HelloRetryRequest" : "ServerHello")
    : [];
  r.end();
  return {
    legacyVersion,
    random,
    legacySessionIdEcho,
    cipherSuite,
    legacyCompressionMethod,
    extensions,
  };
}

/** Encodes a ServerHello body. */
export function encodeServerHello(sh: ServerHello): Uint8Array {
  const w = new Writer(256);
  w.u16(sh.legacyVersion).bytes(sh.random).vec8(sh.legacySessionIdEcho);
  w.u16(sh.cipherSuite).u8(sh.legacyCompressionMethod);
  writeExtensions(w, sh.extensions);
  return w.finish();
}

/** Whether a ServerHello is a HelloRetryRequest (RFC 8446 §4.1.3). */
export function isHelloRetryRequest(sh: Pick<ServerHello, "random">): boolean {
  return sh.random.length === 32 && sh.random.every((b, i) => b === HELLO_RETRY_REQUEST_RANDOM[i]);
}

/** Decodes EncryptedExtensions (RFC 8446 §4.3.1). */
export function decodeEncryptedExtensions(
  body: Uint8Array,
  recorder?: FieldRecorder,
): Extension[] {
  const r = new Reader(body, "EncryptedExtensions", recorder);
  const exts = readExtensions(r, "EncryptedExtensions");
  r.end();
  return exts;
}

/** Encodes EncryptedExtensions. */
export function encodeEncryptedExtensions(exts: readonly Extension[]): Uint8Array {
  const w = new Writer(64);
  writeExtensions(w, exts);
  return w.finish();
}

/** CertificateRequest (RFC 8446 §4.3.2). */
export interface CertificateRequest {
  context: Uint8Array;
  extensions: Extension[];
}

/** Decodes CertificateRequest. */
export function decodeCertificateRequest(
  body: Uint8Array,
  recorder?: FieldRecorder,
): CertificateRequest {
  const r = new Reader(body, "CertificateRequest", recorder);
  const context = r.vec8("certificate_request_context");
  const extensions = readExtensions(r, "CertificateRequest", 2);
  r.end();
  return { context, extensions };
}

/** Encodes CertificateRequest. */
export function encodeCertificateRequest(cr: CertificateRequest): Uint8Array {
  const w = new Writer(128).vec8(cr.context);
  writeExtensions(w, cr.extensions);
  return w.finish();
}

/** One CertificateEntry (RFC 8446 §4.4.2): an X.509 certificate in DER and its extensions. */
export interface CertificateEntry {
  certificate: Uint8Array;
  extensions: Extension[];
}

/** Certificate (RFC 8446 §4.4.2). */
export interface Certificate {
  context: Uint8Array;
  entries: CertificateEntry[];
}

/** Decodes Certificate. */
export function decodeCertificate(body: Uint8Array, recorder?: FieldRecorder): Certificate {
  const r = new Reader(body, "Certificate", recorder);
  const context = r.vec8("certificate_request_context");
  const list = r.sub24("certificate_list");
  const entries: CertificateEntry[] = [];
  while (list.remaining) {
    list.open("CertificateEntry");
    const certificate = list.vec24("cert_data", 1);
    const extensions = readExtensions(list, "CertificateEntry");
    list.close();
    entries.push({ certificate, extensions });
  }
  r.end();
  return { context, entries };
}

/** Encodes Certificate. */
export function encodeCertificate(c: Certificate): Uint8Array {
  const w = new Writer(2048).vec8(c.context);
  w.u24Prefixed(() => {
    for (const e of c.entries) {
      w.vec24(e.certificate);
      writeExtensions(w, e.extensions);
    }
  });
  return w.finish();
}

/** CertificateVerify (RFC 8446 §4.4.3). */
export interface CertificateVerify {
  scheme: number;
  signature: Uint8Array;
}

/** Decodes CertificateVerify. */
export function decodeCertificateVerify(
  body: Uint8Array,
  recorder?: FieldRecorder,
): CertificateVerify {
  const r = new Reader(body, "CertificateVerify", recorder);
  const scheme = r.u16("algorithm");
  const signature = r.vec16("signature", 1);
  r.end();
  return { scheme, signature };
}

/** Encodes CertificateVerify. */
export function encodeCertificateVerify(cv: CertificateVerify): Uint8Array {
  return new Writer(cv.signature.length + 4).u16(cv.scheme).vec16(cv.signature).finish();
}

/** Decodes Finished (RFC 8446 §4.4.4): verify_data of the suite's hash length. */
export function decodeFinished(
  body: Uint8Array,
  hashLen: number,
  recorder?: FieldRecorder,
): Uint8Array {
  if (body.length !== hashLen) {
    throw new TlsError(
      "finished_wrong_length",
      `Finished: verify_data is ${body.length} bytes, expected ${hashLen}`,
    );
  }
  recorder?.field("verify_data", body);
  return body;
}

/** NewSessionTicket (RFC 8446 §4.6.1). */
export interface NewSessionTicket {
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  extensions: Extension[];
}

/** Decodes NewSessionTicket. */
export function decodeNewSessionTicket(
  body: Uint8Array,
  recorder?: FieldRecorder,
): NewSessionTicket {
  const r = new Reader(body, "NewSessionTicket", recorder);
  const lifetime = r.u32("ticket_lifetime");
  const ageAdd = r.u32("ticket_age_add");
  const nonce = r.vec8("ticket_nonce");
  const ticket = r.vec16("ticket", 1);
  const extensions = readExtensions(r, "NewSessionTicket");
  r.end();
  // RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds."
  if (lifetime > 604800) {
    throw new TlsError(
      "ticket_lifetime_too_long",
      "NewSessionTicket: lifetime over 7 days",
    );
  }
  return { lifetime, ageAdd, nonce, ticket, extensions };
}

/** Encodes NewSessionTicket. */
export function encodeNewSessionTicket(t: NewSessionTicket): Uint8Array {
  const w = new Writer(64 + t.ticket.length);
  w.u16(t.lifetime >>> 16).u16(t.lifetime & 0xffff);
  w.u16(t.ageAdd >>> 16).u16(t.ageAdd & 0xffff);
  w.vec8(t.nonce).vec16(t.ticket);
  writeExtensions(w, t.extensions);
  return w.finish();
}

/** Decodes KeyUpdate (RFC 8446 §4.6.3): whether the peer asks us to update too. */
export function decodeKeyUpdate(body: Uint8Array, recorder?: FieldRecorder): boolean {
  const r = new Reader(body, "KeyUpdate", recorder);
  const request = r.u8("request_update");
  r.end();
  if (
    request !== KeyUpdateRequest.update_not_requested &&
    request !== KeyUpdateRequest.update_requested
  ) {
    throw new TlsError(
      "key_update_invalid_request",
      `KeyUpdate: request_update is ${request}, not 0 or 1`,
    );
  }
  return request === KeyUpdateRequest.update_requested;
}

/** Encodes KeyUpdate. */
export function encodeKeyUpdate(requestUpdate: boolean): Uint8Array {
  return new Uint8Array([requestUpdate ? 1 : 0]);
}

/** The decoder of each handshake message body, for `recordHandshake`. */
const BODIES: Readonly<Record<number, (body: Uint8Array, recorder: FieldRecorder) => unknown>> = {
  [HandshakeType.client_hello]: decodeClientHello,
  [HandshakeType.server_hello]: decodeServerHello,
  [HandshakeType.encrypted_extensions]: decodeEncryptedExtensions,
  [HandshakeType.certificate_request]: decodeCertificateRequest,
  [HandshakeType.certificate]: decodeCertificate,
  [HandshakeType.certificate_verify]: decodeCertificateVerify,
  [HandshakeType.finished]: (body, recorder) => decodeFinished(body, body.length, recorder),
  [HandshakeType.new_session_ticket]: decodeNewSessionTicket,
  [HandshakeType.key_update]: decodeKeyUpdate,
};

/**
 * Reads a whole handshake message (RFC 8446 §4: msg_type, length, body)
 * into `recorder`, field by field, with the decoders above. Returns false
 * for a type without a decoder here (its body is not read); throws
 * `TlsError` where the message is malformed.
 */
export function recordHandshake(message: Uint8Array, recorder: FieldRecorder): boolean {
  const decode = BODIES[readHandshakeHeader(message, recorder).type];
  decode?.(message.subarray(4), recorder);
  return decode !== undefined;
}

/**
 * The name of a whole handshake message (header and body), for people: its
 * type's, or "HelloRetryRequest" for a ServerHello that is one (RFC 8446
 * §4.1.3; its random follows the type, the length and legacy_version).
 */
export function nameOfMessage(message: Uint8Array): string {
  const hrr = message[0] === HandshakeType.server_hello &&
    isHelloRetryRequest({ random: message.subarray(6, 38) });
  return hrr ? "HelloRetryRequest" : messageName(message[0]);
}

/** "ClientHello", "Certificate", ... for messages to people. */
export function messageName(type: number): string {
  const n = HandshakeType.name(type);
  return n.startsWith("0x")
    ? `handshake message ${n}`
    : n.split("_").map((p) => p[0].toUpperCase() + p.slice(1)).join("");
}
