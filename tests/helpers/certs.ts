/**
 * Certificates for tests, made in memory with lib/x509/issue.ts: a root CA,
 * a server certificate, and optionally an intermediate and a client
 * certificate, written to a directory too when asked (with the file names
 * `handshake ca` uses).
 *
 * @example
 * ```ts
 * const set = await makeCertSet({ keyType: "ed25519", intermediate: true, dir: true });
 * // set.paths.ca, set.paths.server (leaf + intermediate), set.paths.serverKey
 * ```
 *
 * @module
 */

import {
  createIntermediateCa,
  createRootCa,
  type Issued,
  issueLeaf,
  type KeyType,
} from "../../lib/x509/issue.ts";
import { PathVerifier } from "../../lib/x509/verify.ts";

/** What to make. */
export interface CertSetOptions {
  /** Key type of every certificate; default ecdsa-p256. */
  keyType?: KeyType;
  /** Server names (DNS and IP); default localhost, 127.0.0.1, ::1. */
  names?: string[];
  /** Put an intermediate CA between the root and the leaves. */
  intermediate?: boolean;
  /** Also issue a client certificate with this common name (true: "client"). */
  client?: boolean | string;
  /** Lifetime of the leaves in days. */
  leafDays?: number;
  /** Validity of the leaves (e.g. to make expired or not-yet-valid ones). */
  notBefore?: Date;
  notAfter?: Date;
  /** Write PEM files: to this directory, or to a new temporary one when true. */
  dir?: string | boolean;
}

/** Paths of the files written, named as `handshake ca` names them. */
export interface CertSetPaths {
  dir: string;
  ca: string;
  caKey: string;
  /** The server's chain: leaf, then the intermediate when there is one. */
  server: string;
  serverKey: string;
  intermediate?: string;
  intermediateKey?: string;
  client?: string;
  clientKey?: string;
}

/** A CA and what it issued. */
export interface CertSet {
  ca: Issued;
  intermediate?: Issued;
  server: Issued;
  client?: Issued;
  /** The chain a server sends, DER: leaf first, then the intermediate if any. */
  serverChain: Uint8Array[];
  /** The same chain as one PEM text. */
  serverChainPem: string;
  /** The client's chain, DER, when there is a client certificate. */
  clientChain?: Uint8Array[];
  clientChainPem?: string;
  /** Set when `dir` was given. */
  paths?: CertSetPaths;
}

/** Makes a CA and its certificates; see CertSetOptions. */
export async function makeCertSet(opts: CertSetOptions = {}): Promise<CertSet> {
  const keyType = opts.keyType ?? "ecdsa-p256";
  const ca = await createRootCa({ keyType });
  const intermediate = opts.intermediate ? await createIntermediateCa(ca, { keyType }) : undefined;
  const issuer = intermediate ?? ca;
  const validity = { days: opts.leafDays, notBefore: opts.notBefore, notAfter: opts.notAfter };
  const server = await issueLeaf(issuer, {
    keyType,
    names: opts.names ?? ["localhost", "127.0.0.1", "::1"],
    usage: "server",
    ...validity,
  });
  const client = opts.client
    ? await issueLeaf(issuer, {
      keyType,
      names: [],
      commonName: typeof opts.client === "string" ? opts.client : "client",
      usage: "client",
      ...validity,
    })
    : undefined;
  const chain = (leaf: Issued) => intermediate ? [leaf, intermediate] : [leaf];
  const set: CertSet = {
    ca,
    intermediate,
    server,
    client,
    serverChain: chain(server).map((c) => c.certificate),
    serverChainPem: chain(server).map((c) => c.certificatePem).join(""),
    clientChain: client && chain(client).map((c) => c.certificate),
    clientChainPem: client && chain(client).map((c) => c.certificatePem).join(""),
  };
  if (opts.dir) set.paths = await writeCertSet(set, opts.dir === true ? undefined : opts.dir);
  return set;
}

/** Writes a CertSet's PEM files (keys with mode 0600) into `dir`, or a new temporary directory. */
export async function writeCertSet(set: CertSet, dir?: string): Promise<CertSetPaths> {
  dir ??= await Deno.makeTempDir({ prefix: "handshake-certs-" });
  const path = (name: string) => `${dir}/${name}`;
  const paths: CertSetPaths = {
    dir,
    ca: path("ca.pem"),
    caKey: path("ca-key.pem"),
    server: path("server.pem"),
    serverKey: path("server-key.pem"),
  };
  const files: [string, string, number][] = [
    [paths.ca, set.ca.certificatePem, 0o644],
    [paths.caKey, set.ca.privateKeyPem, 0o600],
    [paths.server, set.serverChainPem, 0o644],
    [paths.serverKey, set.server.privateKeyPem, 0o600],
  ];
  if (set.intermediate) {
    paths.intermediate = path("intermediate.pem");
    paths.intermediateKey = path("intermediate-key.pem");
    files.push([paths.intermediate, set.intermediate.certificatePem, 0o644]);
    files.push([paths.intermediateKey, set.intermediate.privateKeyPem, 0o600]);
  }
  if (set.client) {
    paths.client = path("client.pem");
    paths.clientKey = path("client-key.pem");
    files.push([paths.client, set.clientChainPem!, 0o644]);
    files.push([paths.clientKey, set.client.privateKeyPem, 0o600]);
  }
  await Deno.mkdir(dir, { recursive: true });
  for (const [file, text, mode] of files) await Deno.writeTextFile(file, text, { mode });
  return paths;
}

/**
 * A verifier that trusts only the set's CA: what a client in an interop
 * test uses, so that the real peer's chain is checked, with the server
 * name the client sends.
 */
export function verifierFor(set: CertSet): PathVerifier {
  return new PathVerifier([set.ca.certificate]);
}
