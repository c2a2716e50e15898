/**
 * Signatures on certificates (RFC 5280 §4.1.1.3) checked with WebCrypto.
 * Unlike TLS 1.3's signature schemes, X.509 does not bind the hash to the
 * curve (a P-384 CA may sign with SHA-256), and RSASSA-PSS carries its own
 * salt length (RFC 4055 §3.1), so the parameters come separately here.
 *
 * @module
 */

import { DerError } from "../wire/der.ts";
import { inspectPublicKey } from "./public_key.ts";
import { ecdsaDerToRaw } from "./signature.ts";

/** A hash WebCrypto can run for certificate signatures. */
export type CertificateHash = "SHA-256" | "SHA-384" | "SHA-512";

/** How a certificate signature is checked. */
export type CertificateSignatureParams =
  | { readonly kind: "ecdsa"; readonly hash: CertificateHash }
  | { readonly kind: "ed25519" }
  | { readonly kind: "rsa-pkcs1"; readonly hash: CertificateHash }
  | { readonly kind: "rsa-pss"; readonly hash: CertificateHash; readonly saltLength: number };

const COORDINATE: Record<string, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/**
 * Verifies `signature` over `data` with the SubjectPublicKeyInfo `spki`.
 * Returns false on any mismatch, including a key of the wrong type.
 */
export async function verifyCertificateSignature(
  spki: Uint8Array,
  params: CertificateSignatureParams,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  let importAlg: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams;
  let verifyAlg: AlgorithmIdentifier | EcdsaParams | RsaPssParams;
  let sig = signature;
  try {
    const key = inspectPublicKey(spki);
    switch (params.kind) {
      case "ecdsa": {
        if (key.type !== "ecdsa" || !(key.curve in COORDINATE)) return false;
        importAlg = { name: "ECDSA", namedCurve: key.curve };
        verifyAlg = { name: "ECDSA", hash: params.hash };
        sig = ecdsaDerToRaw(signature, COORDINATE[key.curve]);
        break;
      }
      case "ed25519":
        if (key.type !== "ed25519") return false;
        importAlg = verifyAlg = { name: "Ed25519" };
        break;
      case "rsa-pkcs1":
        if (key.type !== "rsa") return false;
        importAlg = { name: "RSASSA-PKCS1-v1_5", hash: params.hash };
        verifyAlg = { name: "RSASSA-PKCS1-v1_5" };
        break;
      case "rsa-pss":
        if (key.type !== "rsa") return false;
        importAlg = { name: "RSA-PSS", hash: params.hash };
        verifyAlg = { name: "RSA-PSS", saltLength: params.saltLength };
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
      data as BufferSource,
    );
  } catch (e) {
    if (e instanceof DerError || e instanceof DOMException || e instanceof TypeError) return false;
    throw e;
  }
}
