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
import { refuse } from "../lib/x509/refusal.ts";
import { isDirectory, UsageError } from "./common.ts";

/** The trust flags of `connect`. */
export interface TrustFlags {
  ca?: string;
  pin?: string;
  insecure?: boolean;
  /** An external PSK (`--psk`) authenticates the server by itself (RFC 8446 §2.2). */
  psk?: string;
}

/**
 * With `--psk` and no --ca, --pin or --insecure, the PSK is the only trust:
 * a server that declines it and shows a certificate instead is refused (no
 * CA file is read, so none need exist).
 */
const PSK_ONLY: CertificateVerifier = {
  verify: () =>
    Promise.reject(
      refuse(
        "cert_untrusted_without_psk",
        "the server did not accept the external PSK and sent a certificate instead, and " +
          "--psk alone trusts no certificate: check --psk and --psk-identity, or give --ca " +
          "to verify the certificate",
      ),
    ),
};

/** The default `--ca`. */
const DEFAULT_CA = "certs/ca.pem";

/** The verifier the flags ask for, and the CA file's anchors when that is what it uses. */
export interface Trust {
  verifier: CertificateVerifier;
  ca?: { path: string; given: boolean; anchors: readonly Uint8Array[] };
}

/** Builds the verifier the flags ask for. `warn` always prints (even with --quiet). */
export async function buildVerifier(
  flags: TrustFlags,
  warn: (line: string) => void,
): Promise<Trust> {
  if (flags.insecure && flags.pin) {
    throw new UsageError("--insecure and --pin contradict each other", "use one of them");
  }
  if (flags.insecure && flags.ca !== undefined) {
    throw new UsageError(
      "--insecure and --ca contradict each other: --insecure verifies nothing",
      "drop --insecure to verify the server against --ca",
    );
  }
  if (flags.pin && flags.ca !== undefined) {
    throw new UsageError(
      "--pin and --ca contradict each other: a pin trusts the key alone",
      "use one of them",
    );
  }
  if (flags.insecure) {
    warn(
      "handshake connect: WARNING: --insecure: the server's certificate is not verified; anyone on the path can read and change this connection",
    );
    return { verifier: new InsecureVerifier() };
  }
  if (flags.pin) {
    try {
      return { verifier: new PinnedKeyVerifier([flags.pin]) };
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (flags.psk !== undefined && flags.ca === undefined) return { verifier: PSK_ONLY };
  const spec = flags.ca ?? DEFAULT_CA;
  if (await isDirectory(spec)) {
    throw new UsageError(
      `--ca ${spec} is a directory`,
      `give the CA's PEM file, e.g. ${spec.replace(/\/+$/, "")}/ca.pem, or --ca system`,
    );
  }
  try {
    const anchors = await loadTrustAnchors(spec);
    return {
      verifier: new PathVerifier(anchors),
      ca: { path: spec, given: flags.ca !== undefined, anchors },
    };
  } catch (e) {
    if (e instanceof TrustStoreError) throw new UsageError(e.message, e.hint);
    throw e;
  }
}
