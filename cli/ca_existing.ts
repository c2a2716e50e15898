/**
 * The leaves `handshake ca` finds in `--out` next to a reused CA: what each
 * one is (names, common name, key type, lifetime) and whether it still
 * answers a request, so that a re-run with the same request can say so and
 * succeed (as mkcert does) instead of refusing or reissuing.
 *
 * @module
 */

import { readCertificateKey } from "../lib/crypto/certificate_keys.ts";
import type { KeyType } from "../lib/crypto/certificate_keys.ts";
import { bytesEqual } from "../lib/x509/certificate.ts";
import { loadCertifiedKey } from "../lib/x509/certified_key.ts";
import { certificateInfo, type Issued, loadIssuer } from "../lib/x509/issue.ts";
import { fingerprint } from "../lib/x509/issued.ts";
import { decodePem } from "../lib/x509/pem.ts";
import { PathVerifier } from "../lib/x509/verify.ts";

/** A leaf (server or client) found in --out: its chain, as written, and what it says. */
export interface ExistingLeaf {
  /** Leaf first, then the intermediate when it was issued through one. */
  chain: Uint8Array[];
  keyType: KeyType;
  /** subjectAltName entries without their type: "localhost", "127.0.0.1". */
  names: string[];
  /** The subject's common name. */
  commonName: string;
  notAfter: Date;
  /** Lifetime in whole days. */
  days: number;
  fingerprint: string;
}

/** What a request asks of a leaf; an absent field means "whatever it is". */
export interface LeafRequest {
  usage: "server" | "client";
  names?: string[];
  commonName?: string;
  keyType?: KeyType;
  days?: number;
  /** The intermediate it must be issued through, or none: issued by the root itself. */
  intermediate?: Uint8Array;
}

const DAY_MS = 86_400_000;

/**
 * Reads the leaf in `certPath` and `keyPath`. Undefined when neither file
 * exists; a string saying what is wrong when it cannot be used.
 */
export async function readLeaf(
  certPath: string,
  keyPath: string,
): Promise<ExistingLeaf | string | undefined> {
  const [chainPem, keyPem] = await Promise.all([readIfThere(certPath), readIfThere(keyPath)]);
  if (chainPem === undefined && keyPem === undefined) return undefined;
  if (chainPem === undefined) return `${keyPath} exists but ${certPath} does not`;
  if (keyPem === undefined) return `${certPath} exists but ${keyPath} does not`;
  try {
    const { chain } = await loadCertifiedKey(chainPem, keyPem);
    const pkcs8 = decodePem(keyPem).find((b) => b.label === "PRIVATE KEY")!.der;
    const { keyType } = await readCertificateKey(pkcs8);
    const info = certificateInfo(chain[0]);
    return {
      chain: [...chain],
      keyType,
      names: info.names.map((n) => n.replace(/^[A-Z]+:/, "")),
      commonName: info.subject.match(/CN=([^,]*)/)?.[1] ?? "",
      notAfter: info.notAfter,
      days: Math.round((info.notAfter.getTime() - info.notBefore.getTime()) / DAY_MS),
      fingerprint: await fingerprint(chain[0]),
    };
  } catch (e) {
    return `${certPath} cannot be used: ${(e as Error).message}`;
  }
}

/** Reads an intermediate CA in --out; undefined when it is not there or not usable. */
export async function readIntermediate(
  certPath: string,
  keyPath: string,
): Promise<Issued | undefined> {
  const [cert, key] = await Promise.all([readIfThere(certPath), readIfThere(keyPath)]);
  if (cert === undefined || key === undefined) return undefined;
  return await loadIssuer(cert, key).catch(() => undefined);
}

/**
 * Why `leaf` does not answer `want` when signed under `root`, or undefined
 * when it does: valid now, chaining to the root (through the intermediate
 * asked for, or none), for the usage and every name asked for, with the
 * key type, common name and lifetime asked for.
 */
export async function mismatch(
  leaf: ExistingLeaf,
  want: LeafRequest,
  root: Issued,
): Promise<string | undefined> {
  const through = leaf.chain.length > 1 ? leaf.chain[1] : undefined;
  if (want.intermediate && !(through && bytesEqual(through, want.intermediate))) {
    return "it is not issued by the intermediate CA";
  }
  if (!want.intermediate && through) {
    return "it is issued by an intermediate CA, and --intermediate was not given";
  }
  if (want.keyType && leaf.keyType !== want.keyType) {
    return `its key type is ${leaf.keyType}, not ${want.keyType}`;
  }
  if (want.names && !sameSet(want.names, leaf.names)) {
    return `its names are ${leaf.names.join(", ")}, not ${want.names.join(", ")}`;
  }
  if (want.commonName !== undefined && want.commonName !== leaf.commonName) {
    return `its name is "${leaf.commonName}", not "${want.commonName}"`;
  }
  if (want.days !== undefined && want.days !== leaf.days) {
    return `it lasts ${leaf.days} days, not ${want.days}`;
  }
  const verifier = new PathVerifier([root.certificate]);
  const now = new Date();
  for (const serverName of want.usage === "server" ? leaf.names : [undefined]) {
    try {
      await verifier.verify(leaf.chain, { peer: want.usage, serverName, now });
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}
