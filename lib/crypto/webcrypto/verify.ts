/**
 * Signature verification on WebCrypto, for CertificateVerify and for
 * certificates: the key is imported from its SubjectPublicKeyInfo with the
 * parameters the algorithm names (X.509 does not bind an ECDSA hash to the
 * curve; RSASSA-PSS carries its salt length, RFC 4055 §3.1).
 *
 * @module
 */

import { DerError } from "../../wire/der.ts";
import type { SignatureAlgorithm } from "../provider.ts";
import { inspectPublicKey } from "../public_key.ts";
import { isNistCurve, NIST_CURVES } from "../sizes.ts";
import { ecdsaDerToRaw } from "./ecdsa_der.ts";

/** `CryptoProvider.verify` on WebCrypto: false on any mismatch. */
export async function verify(
  spki: Uint8Array,
  algorithm: SignatureAlgorithm,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  let importAlg: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams;
  let verifyAlg: AlgorithmIdentifier | EcdsaParams | RsaPssParams;
  let sig = signature;
  try {
    const key = inspectPublicKey(spki);
    switch (algorithm.kind) {
      case "ecdsa": {
        if (key.type !== "ecdsa" || !isNistCurve(key.curve)) return false;
        importAlg = { name: "ECDSA", namedCurve: key.curve };
        verifyAlg = { name: "ECDSA", hash: algorithm.hash };
        sig = ecdsaDerToRaw(signature, NIST_CURVES[key.curve].size);
        break;
      }
      case "ed25519":
        if (key.type !== "ed25519") return false;
        importAlg = verifyAlg = { name: "Ed25519" };
        break;
      case "rsa-pkcs1":
        if (key.type !== "rsa") return false;
        importAlg = { name: "RSASSA-PKCS1-v1_5", hash: algorithm.hash };
        verifyAlg = { name: "RSASSA-PKCS1-v1_5" };
        break;
      case "rsa-pss":
        if (key.type !== "rsa") return false;
        importAlg = { name: "RSA-PSS", hash: algorithm.hash };
        verifyAlg = { name: "RSA-PSS", saltLength: algorithm.saltLength };
        break;
    }
    const publicKey = await crypto.subtle.importKey(
      "spki",
      spki as BufferSource,
      importAlg,
      false,
      ["verify"],
    );
    return await crypto.subtle.verify(
      verifyAlg,
      publicKey,
      sig as BufferSource,
      message as BufferSource,
    );
  } catch (e) {
    if (e instanceof DerError || e instanceof DOMException || e instanceof TypeError) return false;
    throw e;
  }
}
