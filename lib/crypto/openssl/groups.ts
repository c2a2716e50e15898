/**
 * The openssl provider's key exchange groups (`KeyExchangeGroup` of
 * ../provider.ts): x25519, secp256r1 and secp384r1, synchronous. A peer's
 * unusable share becomes `invalidKeyShare` (illegal_parameter, RFC 8446
 * §4.2.8). The server's one-step exchange frees its private key at once; a
 * client's key may complete more than once (tests replay one share into many
 * connections), so it is freed when its exchange is collected.
 *
 * @module
 */

import { NamedGroup } from "../../codepoints.ts";
import {
  type ActiveKeyExchange,
  type CompletedKeyExchange,
  invalidKeyShare,
  type KeyExchangeGroup,
} from "../provider.ts";
import { type GroupName, InvalidPeerKeyError, KeyExchangeKey } from "./key_exchange.ts";

/** Runs `derive`, turning a refused peer share into the TLS error for it. */
function secretWith(group: number, key: KeyExchangeKey, peerShare: Uint8Array): Uint8Array {
  try {
    return key.derive(peerShare);
  } catch (e) {
    if (e instanceof InvalidPeerKeyError) throw invalidKeyShare(group, e.why);
    throw e;
  }
}

/** One side's ephemeral key, waiting for the peer's share. */
class Exchange implements ActiveKeyExchange {
  readonly group: number;
  readonly share: Uint8Array;
  readonly #key: KeyExchangeKey;

  constructor(group: number, key: KeyExchangeKey, share: Uint8Array) {
    this.group = group;
    this.#key = key;
    this.share = share;
  }

  complete(peerShare: Uint8Array): Uint8Array {
    return secretWith(this.group, this.#key, peerShare);
  }
}

function opensslGroup(id: number, name: GroupName): KeyExchangeGroup {
  return {
    id,
    start: () => {
      const key = KeyExchangeKey.generate(name);
      return new Exchange(id, key, key.publicKey);
    },
    complete: (peerShare): CompletedKeyExchange => {
      const key = KeyExchangeKey.generate(name);
      try {
        return { share: key.publicKey, secret: secretWith(id, key, peerShare) };
      } finally {
        key.free();
      }
    },
    withPrivateKey: (pkcs8, share) =>
      new Exchange(id, KeyExchangeKey.fromPkcs8(name, pkcs8), share.slice()),
  };
}

/** X25519 (RFC 7748). */
export const X25519: KeyExchangeGroup = opensslGroup(NamedGroup.x25519, "X25519");

/** ECDHE on P-256 (secp256r1). */
export const SECP256R1: KeyExchangeGroup = opensslGroup(NamedGroup.secp256r1, "P-256");

/** ECDHE on P-384 (secp384r1). */
export const SECP384R1: KeyExchangeGroup = opensslGroup(NamedGroup.secp384r1, "P-384");
