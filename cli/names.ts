/**
 * The names people type for groups and cipher suites: IANA names
 * (`x25519`, `secp256r1`, `X25519MLKEM768`, `TLS_AES_128_GCM_SHA256`) and OpenSSL's (`X25519`,
 * `P-256`, `prime256v1`), case-insensitive, in comma- or colon-separated lists.
 *
 * @module
 */

import { CipherSuite, NamedGroup } from "../lib/codepoints.ts";
import { UsageError } from "./common.ts";

const GROUP_NAMES: Record<string, number> = {
  x25519mlkem768: NamedGroup.X25519MLKEM768,
  secp256r1mlkem768: NamedGroup.SecP256r1MLKEM768,
  x25519: NamedGroup.x25519,
  secp256r1: NamedGroup.secp256r1,
  "p-256": NamedGroup.secp256r1,
  p256: NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  secp384r1: NamedGroup.secp384r1,
  "p-384": NamedGroup.secp384r1,
  p384: NamedGroup.secp384r1,
};

const SUITE_NAMES: Record<string, number> = {
  tls_aes_128_gcm_sha256: CipherSuite.TLS_AES_128_GCM_SHA256,
  tls_aes_256_gcm_sha384: CipherSuite.TLS_AES_256_GCM_SHA384,
  tls_chacha20_poly1305_sha256: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
};

function parseList(
  flag: string,
  value: string,
  table: Record<string, number>,
  valid: string,
): number[] {
  const out: number[] = [];
  for (const item of value.split(/[,:]/).map((s) => s.trim()).filter(Boolean)) {
    const code = table[item.toLowerCase()];
    if (code === undefined) throw new UsageError(`unknown ${flag} name "${item}"`, `use ${valid}`);
    if (!out.includes(code)) out.push(code);
  }
  if (out.length === 0) throw new UsageError(`--${flag} needs at least one name`, `use ${valid}`);
  return out;
}

/** Parses `--groups x25519,P-256`. */
export function parseGroups(value: string): number[] {
  return parseList(
    "groups",
    value,
    GROUP_NAMES,
    "X25519MLKEM768, x25519, secp256r1 (P-256), secp384r1 (P-384), SecP256r1MLKEM768",
  );
}

/** Parses `--suites TLS_AES_128_GCM_SHA256:...`. */
export function parseSuites(value: string): number[] {
  return parseList(
    "suites",
    value,
    SUITE_NAMES,
    "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256",
  );
}

/** Parses `--alpn h2,http/1.1`. */
export function parseAlpn(value: string): string[] {
  const list = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const p of list) {
    if (new TextEncoder().encode(p).length > 255) {
      throw new UsageError(`ALPN protocol "${p}" is longer than 255 bytes`);
    }
  }
  if (list.length === 0) {
    throw new UsageError("--alpn needs at least one protocol name", "e.g. --alpn h2,http/1.1");
  }
  return list;
}
