/**
 * `inspect --json`: one JSON object per event, one per line, for scripts.
 * Every object has `connection` (its number) and `event`; handshake
 * messages carry what they say, decoded with the engine's codecs (a
 * ClientHello as `serve --mode http` shows it, certificates as `connect
 * --json` does). Secret values appear only with `--trace=secrets`.
 *
 * @module
 */

import { AlertDescription, AlertLevel } from "../lib/errors.ts";
import {
  CipherSuite,
  ContentType,
  ExtensionType,
  NamedGroup,
  SignatureScheme,
  versionName,
} from "../lib/codepoints.ts";
import {
  decodeAlpn,
  decodeSelectedGroup,
  decodeSelectedVersion,
  decodeServerKeyShare,
  findExtension,
} from "../lib/handshake/extensions.ts";
import {
  decodeCertificate,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeKeyUpdate,
  decodeNewSessionTicket,
  decodeServerHello,
  isHelloRetryRequest,
  messageName,
} from "../lib/handshake/messages.ts";
import { HandshakeType } from "../lib/codepoints.ts";
import { describeCertificate } from "../lib/inspect/certificate.ts";
import { describeClientHello } from "../lib/inspect/client_hello.ts";
import type { InspectEvent } from "../lib/inspect/observer.ts";
import { preview } from "./inspect_printer.ts";

type Json = Record<string, unknown>;

/** The JSON object of one event (`secrets`: include secret values). */
export function eventJson(connection: number, e: InspectEvent, secrets: boolean): Json | undefined {
  const base = { connection, event: e.kind };
  switch (e.kind) {
    case "record":
      return {
        ...base,
        from: e.from,
        type: ContentType.name(e.bytes[0]),
        version: versionName((e.bytes[1] << 8) | e.bytes[2]),
        length: e.bytes.length - 5,
        protection: e.epoch,
        contentType: ContentType.name(e.contentType),
        contentLength: e.content.length,
        ...(e.contentType === ContentType.application_data && e.epoch !== "plaintext"
          ? { data: preview(e.content) }
          : {}),
      };
    case "sealed":
      return { ...base, from: e.from, length: e.bytes.length - 5, why: e.why };
    case "message": {
      let details: Json;
      try {
        details = messageDetails(e.type, e.raw);
      } catch (err) {
        details = { malformed: (err as Error).message };
      }
      const name = e.type === HandshakeType.server_hello && details.helloRetryRequest
        ? "HelloRetryRequest"
        : messageName(e.type);
      return { ...base, from: e.from, name, protection: e.epoch, length: e.raw.length, ...details };
    }
    case "alert":
      return {
        ...base,
        from: e.from,
        level: AlertLevel.name(e.level),
        description: AlertDescription.name(e.description),
      };
    case "key_log":
      return {
        ...base,
        from: e.from,
        label: e.label,
        ...(secrets ? { value: e.value.toHex() } : {}),
      };
    case "keys":
      return {
        ...base,
        direction: e.direction,
        protection: e.epoch,
        ...(secrets ? { key: e.key.toHex(), iv: e.iv.toHex() } : {}),
      };
    case "secret":
      return { ...base, name: e.name, ...(secrets ? { value: e.value.toHex() } : {}) };
    case "key_update":
      return { ...base, from: e.from, requestUpdate: e.requestUpdate };
    case "not_tls":
      return { ...base, from: e.from, head: preview(e.head) };
    case "legacy":
      return { ...base, from: e.from, version: versionName(e.version) };
    case "note":
    case "problem":
      return { ...base, from: e.from, text: e.text };
    case "end":
      return { ...base, from: e.from, unfinished: e.unfinished };
    default:
      return undefined;
  }
}

/** What a handshake message says, decoded. */
function messageDetails(type: number, raw: Uint8Array): Json {
  const body = raw.subarray(4);
  switch (type) {
    case HandshakeType.client_hello:
      return { clientHello: describeClientHello(raw) };
    case HandshakeType.server_hello: {
      const sh = decodeServerHello(body);
      const share = findExtension(sh.extensions, ExtensionType.key_share);
      const version = findExtension(sh.extensions, ExtensionType.supported_versions);
      if (isHelloRetryRequest(sh)) {
        return {
          helloRetryRequest: true,
          cipherSuite: CipherSuite.name(sh.cipherSuite),
          group: share ? NamedGroup.name(decodeSelectedGroup(share)) : null,
        };
      }
      const entry = share ? decodeServerKeyShare(share) : undefined;
      return {
        version: versionName(version ? decodeSelectedVersion(version) : sh.legacyVersion),
        cipherSuite: CipherSuite.name(sh.cipherSuite),
        group: entry ? NamedGroup.name(entry.group) : null,
        keyShareLength: entry?.keyExchange.length ?? null,
        random: sh.random.toHex(),
      };
    }
    case HandshakeType.encrypted_extensions: {
      const exts = decodeEncryptedExtensions(body);
      const alpn = findExtension(exts, ExtensionType.application_layer_protocol_negotiation);
      return {
        extensions: exts.map((x) => ExtensionType.name(x.type)),
        alpn: alpn ? decodeAlpn(alpn)[0] : null,
      };
    }
    case HandshakeType.certificate:
      return {
        certificates: decodeCertificate(body).entries.map((c) =>
          describeCertificate(c.certificate) ?? { malformed: "does not parse as X.509" }
        ),
      };
    case HandshakeType.certificate_verify: {
      const cv = decodeCertificateVerify(body);
      return { scheme: SignatureScheme.name(cv.scheme), signatureLength: cv.signature.length };
    }
    case HandshakeType.finished:
      return { verifyData: body.toHex() };
    case HandshakeType.new_session_ticket: {
      const t = decodeNewSessionTicket(body);
      return { lifetime: t.lifetime, ticketLength: t.ticket.length, nonce: t.nonce.toHex() };
    }
    case HandshakeType.key_update:
      return { requestUpdate: decodeKeyUpdate(body) };
    default:
      return { body: body.toHex() };
  }
}
