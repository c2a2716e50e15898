/**
 * The extensions of PSK handshakes (RFC 8446 §4.2.9–4.2.11): the key
 * exchange modes a client accepts with a PSK, the early_data indication and
 * pre_shared_key, whose binders are computed over the ClientHello truncated
 * before them (§4.2.11.2). Each decoder reads exactly its body.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { ExtensionType } from "../codepoints.ts";
import { type FieldRecorder, Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";

/** RFC 8446 §4.2.9: PskKeyExchangeMode (an open enum: unknown modes are ignored). */
export const PskKeyExchangeMode = {
  /** PSK-only key establishment, without forward secrecy. */
  psk_ke: 0,
  /** PSK with (EC)DHE key establishment. */
  psk_dhe_ke: 1,
} as const;

/** A PskIdentity (RFC 8446 §4.2.11). */
export interface PskIdentity {
  /** A ticket, or the label of an external PSK. */
  readonly identity: Uint8Array;
  /** The ticket age in milliseconds plus ticket_age_add, mod 2^32 (0 for external PSKs). */
  readonly obfuscatedTicketAge: number;
}

/** The ClientHello form of pre_shared_key (RFC 8446 §4.2.11): OfferedPsks. */
export interface OfferedPsks {
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
}

/** Decodes psk_key_exchange_modes (RFC 8446 §4.2.9): at least one mode. */
export function decodePskModes(data: Uint8Array, recorder?: FieldRecorder): number[] {
  const r = new Reader(data, "psk_key_exchange_modes extension", recorder);
  const list = r.u8List("ke_modes", 1, "mode");
  r.end();
  return [...list];
}

/** Encodes psk_key_exchange_modes. */
export function encodePskModes(modes: readonly number[]): Uint8Array {
  const w = new Writer(8);
  w.u8Prefixed(() => modes.forEach((m) => w.u8(m)));
  return w.finish();
}

/**
 * Decodes OfferedPsks. RFC 8446 §4.2.11: each list holds at least one entry
 * and a binder is 32 to 255 bytes; the two lists must be as long as each
 * other (illegal_parameter otherwise).
 */
export function decodeOfferedPsks(data: Uint8Array, recorder?: FieldRecorder): OfferedPsks {
  const r = new Reader(data, "pre_shared_key extension", recorder);
  const ids = r.sub16("identities", 7);
  const identities: PskIdentity[] = [];
  while (ids.remaining) {
    ids.open("PskIdentity");
    const identity = ids.vec16("identity", 1);
    const obfuscatedTicketAge = ids.u32("obfuscated_ticket_age");
    ids.close();
    identities.push({ identity, obfuscatedTicketAge });
  }
  const list = r.sub16("binders", 33);
  const binders: Uint8Array[] = [];
  while (list.remaining) {
    const binder = list.vec8("PskBinderEntry", 32);
    binders.push(binder);
  }
  r.end();
  if (identities.length !== binders.length) {
    throw new TlsError(
      "psk_identities_binders_mismatch",
      `pre_shared_key: ${identities.length} identities but ${binders.length} binders`,
    );
  }
  return { identities, binders };
}

/** Encodes OfferedPsks. */
export function encodeOfferedPsks(psks: OfferedPsks): Uint8Array {
  const w = new Writer(256);
  w.u16Prefixed(() => {
    for (const id of psks.identities) {
      w.vec16(id.identity).u16(id.obfuscatedTicketAge >>> 16).u16(id.obfuscatedTicketAge & 0xffff);
    }
  });
  w.bytes(encodeBinders(psks.binders));
  return w.finish();
}

/** The binders list as it ends the ClientHello (RFC 8446 §4.2.11.2). */
export function encodeBinders(binders: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(64);
  w.u16Prefixed(() => binders.forEach((b) => w.vec8(b)));
  return w.finish();
}

/** The length of the binders list as encoded: what a truncated ClientHello leaves out. */
export function bindersLength(binders: readonly Uint8Array[]): number {
  return 2 + binders.reduce((n, b) => n + 1 + b.length, 0);
}

/** Decodes the ServerHello form of pre_shared_key: selected_identity. */
export function decodeSelectedIdentity(data: Uint8Array, recorder?: FieldRecorder): number {
  const r = new Reader(data, "pre_shared_key extension", recorder);
  const v = r.u16("selected_identity");
  r.end();
  return v;
}

/** Encodes the ServerHello form of pre_shared_key. */
export function encodeSelectedIdentity(index: number): Uint8Array {
  return new Writer(2).u16(index).finish();
}

/** Decodes the NewSessionTicket form of early_data (RFC 8446 §4.2.10): max_early_data_size. */
export function decodeMaxEarlyData(data: Uint8Array, recorder?: FieldRecorder): number {
  const r = new Reader(data, `${ExtensionType.name(ExtensionType.early_data)} extension`, recorder);
  const v = r.u32("max_early_data_size");
  r.end();
  return v;
}

/** Encodes the NewSessionTicket form of early_data. */
export function encodeMaxEarlyData(size: number): Uint8Array {
  return new Writer(4).u16(size >>> 16).u16(size & 0xffff).finish();
}
