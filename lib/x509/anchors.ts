/**
 * Trust anchors from PEM text: the roots a `PathVerifier` starts from. This
 * file reads no files and no environment, so it runs anywhere; the Deno
 * adapter (`lib/deno/trust_files.ts`) and the CLI read `--ca FILE` and the
 * system bundle and hand their text here.
 *
 * @module
 */

import { DerError } from "../wire/der.ts";
import { parseCertificate } from "./certificate.ts";
import { decodePem } from "./pem.ts";

/** A trust store that cannot be used; `hint` says what to do. */
export class TrustStoreError extends Error {
  /** What to do about it, when there is something to say. */
  readonly hint?: string;

  /** `message` says what is wrong, `hint` what to do. */
  constructor(message: string, hint?: string) {
    super(message);
    this.name = "TrustStoreError";
    this.hint = hint;
  }
}

/** How `parseTrustAnchors` reads a bundle. */
export interface TrustAnchorOptions {
  /** Names the text in errors, e.g. its file name (default "the PEM text"). */
  source?: string;
  /**
   * Leave out certificates that do not parse instead of refusing the
   * bundle (system bundles carry old roots a strict parser refuses).
   */
  skipUnparsable?: boolean;
  /** What to advise when the text holds no certificate. */
  emptyHint?: string;
}

/**
 * The DER trust anchors in a PEM bundle of one or more CA certificates.
 * Each must parse (unless `skipUnparsable`); at least one must be there.
 *
 * @example
 * ```ts
 * import { parseTrustAnchors, PathVerifier } from "../mod.ts";
 * const pem = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n";
 * const verifier = new PathVerifier(parseTrustAnchors(pem, { source: "ca.pem" }));
 * ```
 */
export function parseTrustAnchors(pem: string, options: TrustAnchorOptions = {}): Uint8Array[] {
  const source = options.source ?? "the PEM text";
  let blocks;
  try {
    blocks = decodePem(pem).filter((b) => b.label === "CERTIFICATE");
  } catch (e) {
    throw new TrustStoreError(`${source}: ${(e as Error).message}`);
  }
  const anchors: Uint8Array[] = [];
  for (const [i, { der }] of blocks.entries()) {
    try {
      parseCertificate(der);
      anchors.push(der);
    } catch (e) {
      if (!(e instanceof DerError)) throw e;
      if (!options.skipUnparsable) {
        throw new TrustStoreError(
          `certificate #${i + 1} in ${source} cannot be parsed: ${e.message}`,
          "remove it, or replace it with a PEM copy of the CA certificate",
        );
      }
    }
  }
  if (anchors.length === 0) {
    throw new TrustStoreError(
      `${source} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`,
      options.emptyHint ?? "give the CA's certificate in PEM form",
    );
  }
  return anchors;
}
