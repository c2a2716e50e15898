/**
 * The Alert record's body (RFC 8446 §6): a level and a description, one
 * byte each.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { type FieldRecorder, Reader } from "../wire/reader.ts";

/** An alert as received: its level and description, not yet checked. */
export interface Alert {
  readonly level: number;
  readonly description: number;
}

/**
 * Decodes an alert record's content, which must be exactly two bytes.
 * Given a `recorder`, reports its two fields. The level is not checked here:
 * a trace shows the alert before it is refused.
 */
export function decodeAlert(content: Uint8Array, recorder?: FieldRecorder): Alert {
  // RFC 8446 §5.4 (and §5.1): an alert record with no content is unexpected_message.
  if (content.length === 0) {
    throw new TlsError("empty_alert_record", "received an empty alert record");
  }
  if (content.length !== 2) {
    throw new TlsError(
      "alert_record_wrong_length",
      `received an alert record of ${content.length} bytes, not 2`,
    );
  }
  const r = new Reader(content, "Alert", recorder);
  return { level: r.u8("level"), description: r.u8("description") };
}
