/**
 * The engine's errors: `TlsError` (this side ends the connection with an
 * alert), `PeerAlert`, `TruncationError`, `StalledPeerError`, and
 * `ApiMisuseError` (a call refused, no peer involved).
 *
 * RFC 8446 §6: every failure ends the connection with an alert. Where a
 * failure is detected it is named by a code; the one table in
 * `error_codes.ts` gives the alert each code sends, and the connection's
 * `fail()` turns it into bytes.
 *
 * @module
 */

import { type ApiMisuseCode, TLS_ERROR_CODES, type TlsErrorCode } from "./error_codes.ts";
import { type OpenEnum, openEnum } from "./wire/open_enum.ts";

export {
  type AlertName,
  API_MISUSE_CODES,
  type ApiMisuseCode,
  TLS_ERROR_CODES,
  type TlsErrorCode,
} from "./error_codes.ts";

/** RFC 8446 §6: the AlertDescription code points by name (`AlertDescription` is the open enum). */
export const ALERT_DESCRIPTIONS = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
};
/** RFC 8446 §6: AlertDescription (an open enum: unknown values are kept). */
export const AlertDescription: OpenEnum<typeof ALERT_DESCRIPTIONS> = openEnum(ALERT_DESCRIPTIONS);

/** RFC 8446 §6: AlertLevel. TLS 1.3 treats every alert but close_notify and user_canceled as fatal. */
export const AlertLevel = openEnum({ warning: 1, fatal: 2 });

/**
 * A failure detected by this side: the connection ends, and `alert` is sent
 * to the peer (RFC 8446 §6.2). `code` names the failure (stable, for
 * programs and tests); the message is meant for a person.
 */
export class TlsError extends Error {
  /** What went wrong, as a stable code (see `TLS_ERROR_CODES`). */
  readonly code: TlsErrorCode;
  /** The alert description sent to the peer, from `TLS_ERROR_CODES`. */
  readonly alert: number;

  /**
   * `code` names the failure and so the alert to send; `message` says what
   * went wrong.
   *
   * @example
   * ```ts
   * import { TlsError } from "./mod.ts";
   * throw new TlsError("cert_expired", "the certificate has expired");
   * ```
   */
  constructor(code: TlsErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsError";
    this.code = code;
    this.alert = ALERT_DESCRIPTIONS[TLS_ERROR_CODES[code]];
  }

  /** The alert's RFC name, e.g. `decode_error`. */
  get alertName(): string {
    return AlertDescription.name(this.alert);
  }
}

/**
 * A call the library refuses (a method at the wrong time, a setting out of
 * range). No peer is involved and nothing is sent; `code` names the misuse.
 */
export class ApiMisuseError extends Error {
  /** What was misused, as a stable code (see `API_MISUSE_CODES`). */
  readonly code: ApiMisuseCode;

  /** `code` names the misuse; `message` says what to do instead. */
  constructor(code: ApiMisuseCode, message: string) {
    super(message);
    this.name = "ApiMisuseError";
    this.code = code;
  }
}

/**
 * The peer sent a fatal alert (RFC 8446 §6.2). Nothing is sent back: the
 * connection is already over.
 */
export class PeerAlert extends Error {
  /** The alert description the peer sent. */
  readonly alert: number;

  /** `alert` is the AlertDescription the peer sent. */
  constructor(alert: number) {
    super(`the peer sent alert ${AlertDescription.name(alert)} (${alert})`);
    this.name = "PeerAlert";
    this.alert = alert;
  }

  /** The alert's RFC name, e.g. `bad_certificate`. */
  get alertName(): string {
    return AlertDescription.name(this.alert);
  }
}

/**
 * The transport ended without a close_notify alert (RFC 8446 §6.1): the data
 * received so far may have been cut short by an attacker.
 */
export class TruncationError extends Error {
  /** `message` says what was cut short. */
  constructor(message = "the connection was closed without close_notify (truncated)") {
    super(message);
    this.name = "TruncationError";
  }
}

/**
 * The peer stalled after the connection was set up: it sent nothing for the
 * idle timeout, or did not take our data for the write timeout.
 */
export class StalledPeerError extends Error {
  /** Which timeout expired. */
  readonly timeout: "idle" | "write";

  /** `timeout` names the timeout that expired; `message` says how long the peer stalled. */
  constructor(timeout: "idle" | "write", message: string) {
    super(message);
    this.name = "StalledPeerError";
    this.timeout = timeout;
  }
}
