/**
 * The byte view of records (RFC 8446 §5) and handshake messages (§4), field
 * by field, like "The Illustrated TLS 1.3 Connection": each field's name,
 * its bytes, and what they mean. Encrypted records show their header,
 * ciphertext and tag, then the TLSInnerPlaintext that opened. Handshake
 * messages split across records are put back together before they are
 * dissected.
 *
 * @module
 */

import { AlertDescription, AlertLevel } from "../errors.ts";
import {
  CipherSuite,
  ContentType,
  HandshakeType,
  KeyUpdateRequest,
  SignatureScheme,
} from "../codepoints.ts";
import { TAG_LENGTH } from "../crypto/aead.ts";
import { HELLO_RETRY_REQUEST_RANDOM, messageName } from "../handshake/messages.ts";
import type { Epoch } from "../record/record_layer.ts";
import { concat } from "../wire/writer.ts";
import { describeCertificate } from "./certificate.ts";
import { VERSIONS } from "./code_point.ts";
import { extensionBlock, type ExtensionContext, named } from "./dissect_extensions.ts";
import { type Field, FieldReader } from "./fields.ts";

/** A record as the trace reports it (see the `record` TraceEvent). */
export interface TracedRecord {
  readonly epoch: Epoch;
  /** The whole record as it crossed the wire. */
  readonly bytes: Uint8Array;
  /** The (inner) content type. */
  readonly contentType: number;
  /** The content, opened. */
  readonly content: Uint8Array;
}

const byteCount = (n: number) => `${n} byte${n === 1 ? "" : "s"}`;

/**
 * Dissects records of one direction, in order: handshake messages that
 * span records are held until they are whole.
 */
export class RecordDissector {
  #pending = new Uint8Array(0);

  /** The fields of one record. */
  dissect(record: TracedRecord): Field[] {
    const r = new FieldReader(record.bytes);
    const encrypted = record.epoch !== "plaintext";
    r.run((h) => {
      h.uint(
        1,
        encrypted ? "opaque_type" : "type",
        (v) =>
          encrypted
            ? `${ContentType.name(v)}: always, for encrypted records; the real type is inside`
            : ContentType.name(v),
      );
      h.uint(
        2,
        "legacy_record_version",
        (v) => `${named(VERSIONS)(v)}${v === 0x0301 ? " (allowed in a first ClientHello)" : ""}`,
      );
      const length = h.uint(2, "length", byteCount);
      if (!encrypted) return this.#content(h, record.contentType, record.content);
      const inner = length - TAG_LENGTH;
      h.bytes(
        inner,
        "encrypted_record",
        `AEAD-encrypted TLSInnerPlaintext under ${record.epoch} keys`,
      );
      h.bytes(TAG_LENGTH, "authentication tag", "AES-GCM tag over header and ciphertext");
      const padding = inner - record.content.length - 1;
      const c = new FieldReader(record.content);
      c.run((f) => this.#content(f, record.contentType, record.content));
      const trailer = new FieldReader(
        concat(new Uint8Array([record.contentType]), new Uint8Array(Math.max(0, padding))),
      );
      trailer.run((f) => {
        f.uint(1, "type", (v) => `${ContentType.name(v)}: the real content type`);
        if (padding > 0) f.bytes(padding, "padding", "zeros");
      });
      const content = {
        name: "content",
        bytes: new Uint8Array(0),
        note: byteCount(record.content.length),
        children: c.fields,
      };
      h.push({
        name: "TLSInnerPlaintext, decrypted",
        bytes: new Uint8Array(0),
        children: [content, ...trailer.fields],
      });
    });
    return r.fields;
  }

  #content(r: FieldReader, type: number, content: Uint8Array): string | void {
    switch (type) {
      case ContentType.change_cipher_spec:
        r.uint(
          1,
          "change_cipher_spec",
          (v) =>
            v === 1 ? "compatibility record, ignored in TLS 1.3 (RFC 8446 §D.4)" : `${v}: invalid`,
        );
        return;
      case ContentType.alert:
        r.uint(1, "level", (v) => AlertLevel.name(v));
        r.uint(1, "description", (v) => AlertDescription.name(v));
        return;
      case ContentType.handshake:
        for (const f of this.#handshake(content)) r.push(f);
        r.skip(r.remaining);
        return;
      case ContentType.application_data:
        r.bytes(content.length, "application data", byteCount(content.length));
        return;
      default:
        r.rest("content", `of unknown type ${type}`);
    }
  }

  /** Whole messages in `fragment` (with what earlier records held), and the start of an unfinished one. */
  #handshake(fragment: Uint8Array): Field[] {
    const earlier = this.#pending.length;
    const buf = earlier ? concat(this.#pending, fragment) : fragment;
    const out: Field[] = [];
    let at = 0;
    while (buf.length - at >= 4) {
      const length = (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3];
      if (buf.length - at < 4 + length) break;
      const message = buf.subarray(at, at + 4 + length);
      const field = dissectHandshake(message);
      out.push(
        at < earlier
          ? {
            ...field,
            note: `reassembled: its first ${byteCount(earlier - at)} came in earlier records`,
          }
          : field,
      );
      at += 4 + length;
    }
    this.#pending = buf.slice(at);
    const here = buf.subarray(Math.max(at, earlier));
    if (this.#pending.length > 0 && here.length > 0) {
      out.push({
        name: "handshake fragment",
        bytes: here,
        note: "part of a message that continues in the next record",
      });
    }
    return out;
  }
}

/** The fields of one whole handshake message (type, length, body). */
export function dissectHandshake(message: Uint8Array): Field {
  const type = message[0];
  const hrr = type === HandshakeType.server_hello &&
    HELLO_RETRY_REQUEST_RANDOM.every((b, i) => message[6 + i] === b);
  const name = hrr ? "HelloRetryRequest" : messageName(type);
  const r = new FieldReader(message);
  r.run((m) => {
    m.uint(1, "msg_type", (v) => `${HandshakeType.name(v)}${hrr ? " (a HelloRetryRequest)" : ""}`);
    m.uint(3, "length", byteCount);
    BODIES[type]?.(m, hrr) ?? m.rest("body", "not dissected here");
  });
  return { name: `handshake message ${name}`, bytes: new Uint8Array(0), children: r.fields };
}

const legacyVersion = (r: FieldReader) =>
  r.uint(2, "legacy_version", (v) => `${named(VERSIONS)(v)}, frozen (RFC 8446 §4.1.2)`);

/** Body dissectors by handshake type; `true` if they read the body. */
const BODIES: Record<number, (r: FieldReader, hrr: boolean) => true> = {
  [HandshakeType.client_hello]: (r) => {
    legacyVersion(r);
    r.bytes(32, "random", "the client random");
    r.vector(1, "legacy_session_id", (s) => {
      if (s.remaining) {
        s.bytes(s.remaining, "session id", "non-empty: middlebox compatibility mode");
      }
    });
    r.vector(2, "cipher_suites", (l) => {
      while (l.remaining > 0) l.uint(2, "cipher_suite", named(CipherSuite));
    });
    r.vector(1, "legacy_compression_methods", (l) => {
      while (l.remaining > 0) l.uint(1, "method", (v) => v === 0 ? "null" : `${v}`);
    });
    if (r.remaining > 0) extensionBlock(r, "client_hello");
    return true;
  },
  [HandshakeType.server_hello]: (r, hrr) => {
    legacyVersion(r);
    r.bytes(
      32,
      "random",
      hrr ? 'SHA-256("HelloRetryRequest"): marks a HelloRetryRequest' : "the server random",
    );
    r.vector(1, "legacy_session_id_echo", (s) => {
      if (s.remaining) s.bytes(s.remaining, "session id", "the client's, echoed");
    });
    r.uint(2, "cipher_suite", named(CipherSuite));
    r.uint(1, "legacy_compression_method", (v) => v === 0 ? "null" : `${v}`);
    if (r.remaining > 0) extensionBlock(r, hrr ? "hello_retry_request" : "server_hello");
    return true;
  },
  [HandshakeType.encrypted_extensions]: (r) => (extensionBlock(r, "encrypted_extensions"), true),
  [HandshakeType.certificate_request]: (r) => {
    r.vector(1, "certificate_request_context", (c) => c.rest("context"));
    extensionBlock(r, "certificate_request");
    return true;
  },
  [HandshakeType.certificate]: (r) => {
    r.vector(1, "certificate_request_context", (c) => c.rest("context"));
    r.vector(3, "certificate_list", (l) => {
      let n = 0;
      for (; l.remaining > 0; n++) {
        l.group(`CertificateEntry ${n}${n === 0 ? " (the end-entity certificate)" : ""}`, (e) => {
          e.vector(3, "cert_data", (d) => {
            d.bytes(d.remaining, "X.509 certificate, DER", (der) => {
              const c = describeCertificate(der);
              return c ? `subject ${c.subject}; issuer ${c.issuer}` : "does not parse";
            });
          });
          extensionBlock(e, "certificate");
        });
      }
      return `${n} certificate${n === 1 ? "" : "s"}`;
    });
    return true;
  },
  [HandshakeType.certificate_verify]: (r) => {
    r.uint(2, "algorithm", named(SignatureScheme));
    r.vector(2, "signature", (s) => void s.bytes(s.remaining, "signature"));
    return true;
  },
  [HandshakeType.finished]: (r) => {
    r.bytes(r.remaining, "verify_data", "HMAC of the transcript hash with the finished key");
    return true;
  },
  [HandshakeType.new_session_ticket]: (r) => {
    r.uint(4, "ticket_lifetime", (v) => `${v} seconds`);
    r.uint(4, "ticket_age_add");
    r.vector(1, "ticket_nonce", (n) => n.rest("nonce"));
    r.vector(2, "ticket", (t) => t.rest("ticket"));
    extensionBlock(r, "new_session_ticket");
    return true;
  },
  [HandshakeType.key_update]: (r) => {
    r.uint(1, "request_update", (v) => KeyUpdateRequest.name(v));
    return true;
  },
};

export type { ExtensionContext };
