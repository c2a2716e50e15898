/**
 * What a run of `handshake ca` does, given what `--out` already holds: the
 * leaves found next to a reused CA (names, common name, key type, lifetime)
 * and whether each still answers the request, so that a re-run with the
 * same request says so and succeeds (as mkcert does), a partial one adds
 * only what is missing, and `--force` reissues keeping what is not given.
 *
 * @module
 */

import { KEY_TYPES, type KeyType, readCertificateKey } from "../lib/x509/webcrypto_issuing.ts";
import { cryptoOf } from "../lib/config.ts";
import { pkcs8FromPem } from "../lib/crypto/pkcs8.ts";
import { bytesEqual } from "../lib/x509/certificate.ts";
import { loadCertifiedKey } from "../lib/x509/certified_key.ts";
import { certificateInfo, type Issued, loadIssuer } from "../lib/x509/issue.ts";
import { fingerprint } from "../lib/x509/issued.ts";
import { decodePem } from "../lib/x509/pem.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { type CaFiles, existing } from "./ca_files.ts";
import type { Made } from "./ca_summary.ts";
import { UsageError } from "./common.ts";

/** The server certificate's names when none are given (and none are there to keep). */
const DEFAULT_NAMES = ["localhost", "127.0.0.1", "::1"];

/** What the person asked for, checked; an absent field was not given. */
export interface Request {
  out: string;
  names?: string[];
  keyType?: KeyType;
  days?: number;
  client?: string;
  intermediate: boolean;
  force: boolean;
  newCa: boolean;
}

/** What a run does, decided from the request and the files already in --out. */
export interface Plan {
  /** Everything asked for is there and valid: these, nothing to write. */
  upToDate?: Made[];
  keyType: KeyType;
  /** Names of the server certificate to issue (none: keep the one there). */
  server?: string[];
  /** Common name of the client certificate to issue. */
  client?: string;
  /** An existing intermediate CA to sign the new leaves with. */
  issuer?: Issued;
  /** The server's names were taken from the certificate being replaced. */
  keptNames?: boolean;
  /** A leaf that stays is issued by the intermediate CA in --out: keep that one. */
  keepIntermediate?: boolean;
}

/**
 * Decides what to issue. Without --force: nothing when what is asked for is
 * already there and valid (as mkcert); only the missing leaves when the rest
 * is; a refusal saying what differs when a leaf would be replaced. With
 * --force: every leaf there is reissued, keeping its names (or common name)
 * unless new ones are given, so that no file is left signed by a CA that
 * went away.
 */
export async function planRun(
  files: CaFiles,
  req: Request,
  root: Issued | undefined,
): Promise<Plan> {
  const [server, client] = await Promise.all([
    readLeaf(files.server, files.serverKey),
    readLeaf(files.client, files.clientKey),
  ]);
  const leaf = (l: typeof server) => typeof l === "object" ? l : undefined;
  const keyType = req.keyType ?? leaf(server)?.keyType ?? KEY_TYPES[0];
  const keptNames = req.names === undefined && leaf(server) !== undefined;
  const names = req.names ?? leaf(server)?.names ?? DEFAULT_NAMES;
  const clientName = req.client ?? (req.force ? leaf(client)?.commonName : undefined);
  if (req.force || !root) {
    const taken = await existing([files.server, files.serverKey, files.client, files.clientKey]);
    if (!req.force && taken.length > 0) {
      const one = taken.length === 1;
      throw new UsageError(
        `${taken.join(", ")} already exist${one ? "s" : ""} and ${
          req.newCa ? "--new-ca" : "the new CA"
        } would not have signed ${one ? "it" : "them"}`,
        `pass --force to replace ${one ? "it" : "them"}`,
      );
    }
    return { keyType, server: names, client: clientName, keptNames: keptNames && req.force };
  }

  // The CA is reused and nothing may be replaced: check each leaf asked for.
  const intermediate = req.intermediate
    ? await readIntermediate(files.intermediate, files.intermediateKey)
    : undefined;
  const want = (usage: "server" | "client") => ({
    usage,
    keyType: req.keyType,
    days: req.days,
    intermediate: intermediate?.certificate,
  });
  const problems: string[] = [];
  const missing: ("server" | "client")[] = [];
  const upToDate: Made[] = [{ role: "root", issued: root, kept: true }];
  const roles = [
    { role: "server" as const, found: server, path: files.server, extra: { names: req.names } },
    ...(req.client === undefined ? [] : [
      {
        role: "client" as const,
        found: client,
        path: files.client,
        extra: { commonName: clientName },
      },
    ]),
  ];
  for (const { role, found, path, extra } of roles) {
    if (found === undefined) {
      missing.push(role);
    } else if (typeof found === "string") {
      problems.push(found);
    } else {
      const why = req.intermediate && !intermediate
        ? "there is no intermediate CA to go with it"
        : await mismatch(found, { ...want(role), ...extra }, root);
      if (why) problems.push(`${path}: ${why}`);
      else upToDate.push({ role, issued: found, kept: true });
    }
  }
  if (problems.length > 0) {
    throw new UsageError(
      problems.join("; "),
      "pass --force to issue new ones; the CA is kept",
    );
  }
  if (missing.length === 0) {
    if (intermediate) {
      upToDate.splice(1, 0, { role: "intermediate", issued: intermediate, kept: true });
    }
    return { upToDate, keyType };
  }
  if (req.intermediate && !intermediate && missing.length < roles.length) {
    throw new UsageError(
      "--intermediate needs a new intermediate CA, which would not sign the leaves already here",
      "pass --force to issue them all again; the CA is kept",
    );
  }
  const kept = roles.some((r) => r.role === "client") ? undefined : leaf(client);
  return {
    keyType,
    server: missing.includes("server") ? names : undefined,
    client: missing.includes("client") ? clientName : undefined,
    issuer: intermediate,
    keepIntermediate: kept !== undefined && kept.chain.length > 1,
  };
}

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
async function readLeaf(
  certPath: string,
  keyPath: string,
): Promise<ExistingLeaf | string | undefined> {
  const [chainPem, keyPem] = await Promise.all([readIfThere(certPath), readIfThere(keyPath)]);
  if (chainPem === undefined && keyPem === undefined) return undefined;
  if (chainPem === undefined) return `${keyPath} exists but ${certPath} does not`;
  if (keyPem === undefined) return `${certPath} exists but ${keyPath} does not`;
  try {
    const { chain } = await loadCertifiedKey(chainPem, keyPem);
    const { keyType } = await readCertificateKey(pkcs8FromPem(decodePem(keyPem)));
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
async function readIntermediate(
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
async function mismatch(
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
      await verifier.verify(leaf.chain, {
        peer: want.usage,
        serverName,
        now,
        crypto: cryptoOf({}),
      });
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
