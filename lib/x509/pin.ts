/**
 * Public key pinning (`--pin sha256/BASE64`, the pin format of RFC 7469
 * §2.4, or curl's `--pinnedpubkey sha256//BASE64`): the server is trusted
 * if and only if its certificate's SubjectPublicKeyInfo hashes to the pin.
 * No path, no name, no dates: the key is the whole proof, as with SSH's
 * known_hosts.
 *
 * @module
 */

import type { CertificateVerifier, VerifyContext } from "../config.ts";
import { ApiMisuseError } from "../errors.ts";
import { defaultProvider } from "../crypto/default.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { leafPublicKey } from "./leaf.ts";
import { refuse } from "./refusal.ts";

/** `sha256/` + the base64 SHA-256 of a DER SubjectPublicKeyInfo, hashed by `crypto`. */
export function spkiPin(spki: Uint8Array, crypto: CryptoProvider = defaultProvider): string {
  return `sha256/${crypto.hashes["SHA-256"].digest(spki).toBase64()}`;
}

/**
 * Parses `sha256/BASE64` or curl's `sha256//BASE64`; throws an Error that shows the expected form.
 *
 * @example
 * ```ts
 * import { parsePin } from "../mod.ts";
 * parsePin("sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="); // 32 bytes
 * ```
 */
export function parsePin(text: string): Uint8Array {
  const m = text.match(/^sha256\/\/?([A-Za-z0-9+/]{43}=)$/);
  if (!m) {
    throw new ApiMisuseError(
      "invalid_pin",
      `"${text}" is not a pin: expected sha256// followed by the base64 SHA-256 of the server's ` +
        `SubjectPublicKeyInfo (44 characters), as \`handshake ca\` prints it`,
    );
  }
  return Uint8Array.fromBase64(m[1]);
}

/** Trusts exactly the keys whose SHA-256 pins it was given. */
export class PinnedKeyVerifier implements CertificateVerifier {
  readonly #pins: readonly string[];

  /**
   * `pins` are one or more `sha256/BASE64` or `sha256//BASE64` pins (checked by `parsePin`).
   *
   * @example
   * ```ts
   * import { PinnedKeyVerifier } from "../mod.ts";
   * const verifier = new PinnedKeyVerifier(["sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]);
   * ```
   */
  constructor(pins: readonly string[]) {
    this.#pins = pins.map((p) => `sha256/${parsePin(p).toBase64()}`);
  }

  /** Resolves if the leaf's public key matches a pin; refuses with bad_certificate if not. */
  verify(chain: readonly Uint8Array[], context: VerifyContext): Promise<void> {
    try {
      this.#check(chain, context);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #check(chain: readonly Uint8Array[], context: VerifyContext): void {
    if (chain.length === 0) throw refuse("cert_chain_empty", "the peer sent no certificate");
    const pin = spkiPin(leafPublicKey(chain[0]), context.crypto);
    const ok = this.#pins.includes(pin);
    context.trace?.({
      kind: "certificate_link",
      subject: "the peer's certificate",
      issuer: "(pinned key)",
      ok,
      detail: ok ? `public key ${pin} is pinned` : `public key ${pin} is not pinned`,
    });
    if (!ok) {
      // Shown in curl's form, as `handshake ca` prints pins.
      const curl = (p: string) => p.replace("sha256/", "sha256//");
      throw refuse(
        "cert_pin_mismatch",
        `the ${context.peer}'s public key is ${curl(pin)}, which does not match the pinned ` +
          `${this.#pins.map(curl).join(" or ")}`,
      );
    }
  }
}
