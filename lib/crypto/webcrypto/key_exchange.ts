/**
 * (EC)DHE key exchange (RFC 8446 §4.2.8, §7.4) for x25519, secp256r1 and
 * secp384r1 on WebCrypto, with the peer share checks every provider makes
 * (`../key_share.ts`).
 *
 * @module
 */

import { NamedGroup } from "../../codepoints.ts";
import { checkPeerShare, checkSharedSecret, completeDiffieHellman } from "../key_share.ts";
import { type ActiveKeyExchange, invalidKeyShare, type KeyExchangeGroup } from "../provider.ts";

type Algorithm = { name: "X25519" } | { name: "ECDH"; namedCurve: "P-256" | "P-384" };

/** One side's ephemeral WebCrypto key pair, waiting for the peer's share. */
class Exchange implements ActiveKeyExchange {
  readonly group: number;
  readonly share: Uint8Array;
  readonly #algorithm: Algorithm;
  readonly #bits: number;
  readonly #privateKey: CryptoKey;

  constructor(
    group: number,
    algorithm: Algorithm,
    bits: number,
    key: CryptoKey,
    share: Uint8Array,
  ) {
    this.group = group;
    this.#algorithm = algorithm;
    this.#bits = bits;
    this.#privateKey = key;
    this.share = share;
  }

  async complete(peerShare: Uint8Array): Promise<Uint8Array> {
    checkPeerShare(this.group, peerShare);
    let peer: CryptoKey;
    try {
      peer = await crypto.subtle.importKey(
        "raw",
        peerShare as BufferSource,
        this.#algorithm,
        true,
        [],
      );
    } catch (e) {
      throw invalidKeyShare(this.group, `was refused: ${(e as Error).message}`);
    }
    let secret: Uint8Array;
    try {
      secret = new Uint8Array(
        await crypto.subtle.deriveBits(
          { name: this.#algorithm.name, public: peer },
          this.#privateKey,
          this.#bits,
        ),
      );
    } catch (e) {
      throw invalidKeyShare(this.group, `is not usable: ${(e as Error).message}`);
    }
    return checkSharedSecret(this.group, secret);
  }
}

function dhGroup(id: number, algorithm: Algorithm, bits: number): KeyExchangeGroup {
  const start = async () => {
    const pair = await crypto.subtle.generateKey(algorithm, true, ["deriveBits"]) as CryptoKeyPair;
    const share = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return new Exchange(id, algorithm, bits, pair.privateKey, share);
  };
  return {
    id,
    start,
    complete: (peerShare) => completeDiffieHellman(id, start, peerShare),
    async withPrivateKey(pkcs8, share) {
      const key = await crypto.subtle.importKey("pkcs8", pkcs8 as BufferSource, algorithm, false, [
        "deriveBits",
      ]);
      return new Exchange(id, algorithm, bits, key, share.slice());
    },
  };
}

/** X25519 (RFC 7748). */
export const X25519: KeyExchangeGroup = dhGroup(NamedGroup.x25519, { name: "X25519" }, 256);

/** ECDHE on P-256 (secp256r1). */
export const SECP256R1: KeyExchangeGroup = dhGroup(
  NamedGroup.secp256r1,
  { name: "ECDH", namedCurve: "P-256" },
  256,
);

/** ECDHE on P-384 (secp384r1). */
export const SECP384R1: KeyExchangeGroup = dhGroup(
  NamedGroup.secp384r1,
  { name: "ECDH", namedCurve: "P-384" },
  384,
);
