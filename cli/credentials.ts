/**
 * Loading a certificate chain and its private key from PEM files for
 * `serve` (`--cert`/`--key`) and `connect` (client certificates), with
 * messages that say which file is wrong and what to do.
 *
 * @module
 */

import type { CertifiedKey } from "../lib/config.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";
import { CertifiedKeyError, loadCertifiedKey } from "../lib/x509/certified_key.ts";
import { readTextFile, UsageError } from "./common.ts";

/**
 * Reads and checks a chain and key, loading the key into `crypto` (the
 * provider that will sign with it); a mismatched pair is refused here,
 * before any peer sees it.
 */
export async function loadCertificatePair(
  certPath: string,
  keyPath: string,
  crypto?: CryptoProvider,
): Promise<CertifiedKey> {
  const hint = "run `deno task certs` first, or pass --cert and --key";
  const chainPem = await readTextFile(certPath, "certificate file", hint);
  const keyPem = await readTextFile(keyPath, "key file", hint);
  try {
    return await loadCertifiedKey(chainPem, keyPem, crypto);
  } catch (e) {
    if (!(e instanceof CertifiedKeyError)) throw e;
    const where = e.which === "certificate"
      ? certPath
      : e.which === "key"
      ? keyPath
      : `${keyPath} and ${certPath}`;
    throw new UsageError(
      `${where}: ${e.message}`,
      e.which === "pair"
        ? "pass the key that belongs to this certificate (--key), or make a new pair"
        : undefined,
    );
  }
}
