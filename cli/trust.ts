/**
 * How `connect` decides to trust a server, from its flags: `--ca FILE`,
 * `--ca system`, `--pin sha256/...` or `--insecure` (with a warning).
 *
 * @module
 */

import type { CertificateVerifier } from "../lib/config.ts";
import { TrustStoreError } from "../lib/x509/anchors.ts";
import { loadTrustAnchors } from "../lib/deno/trust_files.ts";
import { InsecureVerifier } from "../lib/x509/insecure.ts";
import { PinnedKeyVerifier } from "../lib/x509/pin.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { UsageError } from "./common.ts";

/** The trust flags of `connect`. */
export interface TrustFlags {
  ca?: string;
  pin?: string;
  insecure?: boolean;
}

/** Builds the verifier the flags ask for. `warn` always prints (even with --quiet). */
export async function buildVerifier(
  flags: TrustFlags,
  warn: (line: string) => void,
): Promise<CertificateVerifier> {
  if (flags.insecure && flags.pin) {
    throw new UsageError("--insecure and --pin contradict each other", "use one of them");
  }
  if (flags.insecure) {
    warn(
      "handshake connect: WARNING: --insecure: the server's certificate is not verified; anyone on the path can read and change this connection",
    );
    return new InsecureVerifier();
  }
  if (flags.pin) {
    try {
      return new PinnedKeyVerifier([flags.pin]);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const spec = flags.ca ?? "certs/ca.pem";
  try {
    return new PathVerifier(await loadTrustAnchors(spec));
  } catch (e) {
    if (e instanceof TrustStoreError) throw new UsageError(e.message, e.hint);
    throw e;
  }
}
