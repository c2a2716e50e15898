/**
 * What a server needs to resume a session (RFC 8446 §4.6.1), sealed into
 * the ticket it sends: the PSK, the suite, when and for how long, the
 * ticket_age_add, the early data limit, and what the first handshake
 * negotiated that a resumption must still fit (ALPN, SNI, the client's
 * certificate). Encoded with the bounds-checked codec.
 *
 * @module
 */

import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";

/** The state a session ticket carries. */
export interface ResumptionState {
  /** The ticket's PSK: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce). */
  readonly secret: Uint8Array;
  /** The cipher suite of the original connection (a resumption needs one with the same hash). */
  readonly suite: number;
  /** When the ticket was issued, in milliseconds since the epoch. */
  readonly issued: number;
  /** ticket_lifetime in seconds. */
  readonly lifetime: number;
  /** ticket_age_add. */
  readonly ageAdd: number;
  /** max_early_data_size announced with the ticket (0: none). */
  readonly maxEarlyData: number;
  /** The ALPN protocol of the original connection. */
  readonly alpn?: string;
  /** The SNI of the original connection. */
  readonly serverName?: string;
  /** The client's certificate (DER leaf), if it authenticated with one. */
  readonly clientCertificate?: Uint8Array;
}

const VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes the state to be sealed. */
export function encodeResumptionState(s: ResumptionState): Uint8Array {
  const w = new Writer(128 + (s.clientCertificate?.length ?? 0));
  w.u8(VERSION).u16(s.suite).vec8(s.secret);
  const hi = Math.floor(s.issued / 0x100000000), lo = s.issued >>> 0;
  w.u16(hi >>> 16).u16(hi & 0xffff).u16(lo >>> 16).u16(lo & 0xffff);
  for (const v of [s.lifetime, s.ageAdd, s.maxEarlyData]) w.u16(v >>> 16).u16(v & 0xffff);
  w.vec8(encoder.encode(s.alpn ?? "")).vec16(encoder.encode(s.serverName ?? ""));
  w.vec24(s.clientCertificate ?? new Uint8Array(0));
  return w.finish();
}

/** Decodes an unsealed state; undefined if it is not one this version wrote. */
export function decodeResumptionState(bytes: Uint8Array): ResumptionState | undefined {
  const r = new Reader(bytes, "resumption state");
  if (r.u8() !== VERSION) return undefined;
  const suite = r.u16();
  const secret = r.vec8("secret", 32);
  const u32 = () => r.u16() * 0x10000 + r.u16();
  const issued = u32() * 0x100000000 + u32();
  const lifetime = u32(), ageAdd = u32(), maxEarlyData = u32();
  const alpn = decoder.decode(r.vec8());
  const serverName = decoder.decode(r.vec16());
  const cert = r.vec24();
  r.end();
  return {
    secret,
    suite,
    issued,
    lifetime,
    ageAdd,
    maxEarlyData,
    alpn: alpn || undefined,
    serverName: serverName || undefined,
    clientCertificate: cert.length ? cert : undefined,
  };
}
