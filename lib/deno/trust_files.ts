/**
 * Where a Deno program's trust anchors come from: `--ca FILE` (a PEM bundle
 * of one or more roots) or `--ca system` (the bundle named by SSL_CERT_FILE,
 * else Debian's /etc/ssl/certs/ca-certificates.crt, as OpenSSL finds it).
 * The reading is Deno's; the parsing is `parseTrustAnchors`, which runs
 * anywhere.
 *
 * @module
 */

import { parseTrustAnchors, TrustStoreError } from "../x509/anchors.ts";

/** The system bundle when SSL_CERT_FILE is unset. */
export const SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

const SYSTEM_HINT = "install the ca-certificates package, or set SSL_CERT_FILE to a PEM bundle";

/**
 * The DER trust anchors named by `spec`: "system", or the path of a PEM
 * file. A file's certificates must all parse; the system bundle's that do
 * not are left out (bundles carry old roots a strict parser refuses).
 *
 * @example
 * ```ts
 * import { loadTrustAnchors, PathVerifier } from "./mod.ts";
 * const verifier = new PathVerifier(await loadTrustAnchors("certs/ca.pem"));
 * ```
 */
export async function loadTrustAnchors(spec: string): Promise<Uint8Array[]> {
  const system = spec === "system";
  const path = system ? systemBundlePath() : spec;
  const text = await readBundle(path, system);
  return parseTrustAnchors(text, {
    source: path,
    skipUnparsable: system,
    emptyHint: system
      ? SYSTEM_HINT
      : "give --ca the CA's certificate in PEM form, e.g. certs/ca.pem from `deno task certs`",
  });
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
        system ? SYSTEM_HINT : "run `deno task certs` to make certs/ca.pem, or use --ca system",
      );
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new TrustStoreError(`cannot read the CA file ${path}: permission denied`);
    }
    throw new TrustStoreError(`cannot read the CA file ${path}: ${(e as Error).message}`);
  }
}
