/**
 * Validators for `assert.throws` / `assert.rejects` that match errors by
 * code, not by wording.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type AlertName,
  type ApiMisuseCode,
  ApiMisuseError,
  TlsError,
  type TlsErrorCode,
} from "../../lib/errors.ts";

/** Matches a `TlsError` with `code` (and so its alert from the table). */
export function tlsError(code: TlsErrorCode, alert?: AlertName) {
  return (e: unknown): true => {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${e}`);
    assert.equal(e.code, code, e.message);
    if (alert !== undefined) assert.equal(e.alertName, alert, e.message);
    return true;
  };
}

/** Matches an `ApiMisuseError` with `code`. */
export function misuse(code: ApiMisuseCode) {
  return (e: unknown): true => {
    assert.ok(e instanceof ApiMisuseError, `expected an ApiMisuseError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}
