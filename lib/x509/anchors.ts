/**
 * Where trust anchors come from: `--ca FILE` (a PEM bundle of one or more
 * roots) or `--ca system` (the bundle named by SSL_CERT_FILE, else Debian's
 * /etc/ssl/certs/ca-certificates.crt, as OpenSSL finds it).
 *
 * @module
 */

import { DerError } from "../wire/der.ts";
import { parseCertificate } from "./certificate.ts";
import { decodePem } from "./pem.ts";

/** The system bundle when SSL_CERT_FILE is unset. */
export const SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** A trust store that cannot be used; `hint` says what to do. */
export class TrustStoreError extends Error {
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = "TrustStoreError";
    this.hint = hint;
  }
}

/**
 * The DER trust anchors named by `spec`: "system", or the path of a PEM
 * file. A file's certificates must all parse; the system bundle's that do
 * not are left out (bundles carry old roots a strict parser refuses).
 */
export async function loadTrustAnchors(spec: string): Promise<Uint8Array[]> {
  const system = spec === "system";
  const path = system ? systemBundlePath() : spec;
  const text = await readBundle(path, system);
  const blocks = decodePemSafely(text, path).filter((b) => b.label === "CERTIFICATE");
  const anchors: Uint8Array[] = [];
  for (const [i, { der }] of blocks.entries()) {
    try {
      parseCertificate(der);
      anchors.push(der);
    } catch (e) {
      if (!(e instanceof DerError)) throw e;
      if (!system) {
        throw new TrustStoreError(
          `certificate #${i + 1} in ${path} cannot be parsed: ${e.message}`,
          "remove it, or replace it with a PEM copy of the CA certificate",
        );
      }
    }
  }
  if (anchors.length === 0) {
    throw new TrustStoreError(
      `${path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`,
      system
        ? "install the ca-certificates package, or set SSL_CERT_FILE to a PEM bundle"
        : "give --ca the CA's certificate in PEM form, e.g. certs/ca.pem from `deno task certs`",
    );
  }
  return anchors;
}

function systemBundlePath(): string {
  const granted =
    Deno.permissions.querySync({ name: "env", variable: "SSL_CERT_FILE" }).state === "granted";
  return (granted ? Deno.env.get("SSL_CERT_FILE") : undefined) || SYSTEM_BUNDLE;
}

async function readBundle(path: string, system: boolean): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new TrustStoreError(
        `the CA file ${path} does not exist`,
        system
          ? "install the ca-certificates package, or set SSL_CERT_FILE to a PEM bundle"
          : "run `deno task certs` to make certs/ca.pem, or use --ca system",
      );
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new TrustStoreError(`cannot read the CA file ${path}: permission denied`);
    }
    throw new TrustStoreError(`cannot read the CA file ${path}: ${(e as Error).message}`);
  }
}

function decodePemSafely(text: string, path: string) {
  try {
    return decodePem(text);
  } catch (e) {
    throw new TrustStoreError(`${path}: ${(e as Error).message}`);
  }
}
