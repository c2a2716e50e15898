/**
 * Writes tests/fuzz/identity.json: the fixed certificates, signing keys and
 * key-share keys the fuzz conversations are recorded with, so that a
 * recording (and every corpus case made from one) replays byte for byte in
 * any later run. Ed25519 signs deterministically, so a server replays its
 * own flight exactly. Run again only to replace the identity, then refresh
 * the corpus:
 *
 *   deno run --allow-write=tests/fuzz tests/fuzz/make_identity.ts
 *
 * @module
 */

import { NamedGroup } from "../../lib/codepoints.ts";
import { makeCertSet } from "../helpers/certs.ts";

const b64 = (b: Uint8Array) => b.toBase64();

async function sharePkcs8(group: number): Promise<string> {
  const algorithm = group === NamedGroup.x25519
    ? { name: "X25519" }
    : { name: "ECDH", namedCurve: group === NamedGroup.secp256r1 ? "P-256" : "P-384" };
  const pair = await crypto.subtle.generateKey(algorithm, true, ["deriveBits"]) as CryptoKeyPair;
  return b64(new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)));
}

const set = await makeCertSet({ keyType: "ed25519", client: "fuzz client", names: ["localhost"] });
const groups = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
const shares = async () =>
  Object.fromEntries(await Promise.all(groups.map(async (g) => [g, await sharePkcs8(g)])));

const identity = {
  server: { chain: set.serverChain.map(b64), key: b64(set.server.privateKey) },
  client: { chain: set.clientChain!.map(b64), key: b64(set.client!.privateKey) },
  shares: { client: await shares(), server: await shares() },
};
const path = new URL("./identity.json", import.meta.url);
await Deno.writeTextFile(path, JSON.stringify(identity, null, 2) + "\n");
console.log(`wrote ${path.pathname}`);
