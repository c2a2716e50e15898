/**
 * The events a connection reports as it works, in protocol order, for
 * `--trace` and anyone who wants to watch TLS 1.3 happen. Events carry real
 * values; printing them (and hiding secrets) is the caller's business.
 *
 * @module
 */

import type { SecretName } from "./crypto/key_schedule.ts";
import type { HashName } from "./crypto/provider.ts";
import type { Epoch } from "./record/record_layer.ts";

/** Which side sent something. */
export type Side = "client" | "server";

/** One step of a connection. */
export type TraceEvent =
  /** A whole handshake message (header and body), sent or received. */
  | { kind: "message"; from: Side; type: number; raw: Uint8Array; epoch: Epoch }
  /** One record as it crossed the wire (`bytes` is the whole record), and its content once opened. */
  | {
    kind: "record";
    from: Side;
    epoch: Epoch;
    bytes: Uint8Array;
    contentType: number;
    content: Uint8Array;
  }
  /** The transcript hash after a handshake message. */
  | { kind: "transcript"; hash: HashName; value: Uint8Array; after: string }
  /** A HelloRetryRequest, and why. */
  | { kind: "hello_retry"; group: number; reason: string }
  /** The (EC)DHE shared secret was computed. */
  | { kind: "shared_secret"; group: number; value: Uint8Array }
  /** A step of the key schedule (RFC 8446 §7.1). */
  | {
    kind: "secret";
    name: SecretName | `${Side}_application_traffic_secret_${number}`;
    value: Uint8Array;
  }
  /** New keys protect one direction from now on. */
  | { kind: "keys"; direction: Side; epoch: Epoch; key: Uint8Array; iv: Uint8Array }
  /** A certificate chain was checked: the verdict on the whole chain. */
  | { kind: "certificate_check"; peer: Side; ok: boolean; detail: string }
  /**
   * One link of a certificate path was checked by the verifier: `subject`'s
   * signature against `issuer`'s public key, and the certificate's other rules.
   */
  | { kind: "certificate_link"; subject: string; issuer: string; ok: boolean; detail: string }
  /** A CertificateVerify signature was made or checked. */
  | { kind: "signature"; from: Side; scheme: number; transcriptHash: Uint8Array; ok: boolean }
  /** A Finished message was computed or checked. */
  | { kind: "finished"; from: Side; verifyData: Uint8Array; ok: boolean }
  /** An alert was sent or received. */
  | { kind: "alert"; from: Side; level: number; description: number }
  /** A KeyUpdate was sent or received. */
  | { kind: "key_update"; from: Side; requestUpdate: boolean }
  /** A record of 0-RTT data the server declined was skipped (RFC 8446 §4.2.10): its size. */
  | { kind: "early_data_skipped"; bytes: number };
