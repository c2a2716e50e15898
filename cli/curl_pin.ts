/**
 * A certificate's SPKI pin in curl's `--pinnedpubkey` form, for `ca`'s
 * summary and `connect --json`: its own file, so that `connect` does not
 * load the certificate-issuing library `ca` uses.
 *
 * @module
 */

import { leafPublicKey } from "../lib/x509/leaf.ts";
import { spkiPin } from "../lib/x509/pin.ts";

/** The SPKI pin of a certificate in curl's --pinnedpubkey form, `sha256//BASE64`. */
export function curlPin(certificate: Uint8Array): string {
  return spkiPin(leafPublicKey(certificate)).replace("sha256/", "sha256//");
}
