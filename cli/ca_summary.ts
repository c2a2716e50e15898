/**
 * What `handshake ca` tells the person it made: each file, and for each
 * certificate its subject, names, key type, expiry, SHA-256 fingerprint and
 * SPKI pin.
 * Private keys are named, never shown.
 *
 * @module
 */

import type { CaFiles } from "./ca_files.ts";
import { certificateInfo, type Issued } from "../lib/x509/issue.ts";
import { curlPin } from "./curl_pin.ts";

/** One certificate a run made, reused or found up to date. */
export interface Made {
  role: "root" | "intermediate" | "server" | "client";
  issued: Pick<Issued, "keyType" | "notAfter" | "fingerprint"> & { certificate?: Uint8Array };
  /** Found in --out and not rewritten. */
  kept?: boolean;
}

/** An ExistingLeaf's chain, or an Issued's certificate: the certificate itself. */
function der(m: Made): Uint8Array {
  const i = m.issued as Made["issued"] & { chain?: Uint8Array[] };
  return i.certificate ?? i.chain![0];
}

const ROLES = {
  root: { cert: "ca", key: "caKey", what: "root CA" },
  intermediate: { cert: "intermediate", key: "intermediateKey", what: "intermediate CA" },
  server: { cert: "server", key: "serverKey", what: "server certificate" },
  client: { cert: "client", key: "clientKey", what: "client certificate" },
} as const;

/** Prints the summary of a run to stdout. */
export function printSummary(run: {
  files: CaFiles;
  reusedCa: boolean;
  replacedCa: boolean;
  made: Made[];
  /** Nothing was written: everything asked for is already there and valid. */
  upToDate?: boolean;
  /** The server certificate kept the names of the one it replaced. */
  keptNames?: boolean;
  /** Files removed because nothing uses them any more. */
  removed?: string[];
}): void {
  const { files } = run;
  const lines = [
    run.upToDate
      ? `Nothing to do: ${files.dir} already holds valid certificates for this request ` +
        "(--force issues new ones)."
      : run.reusedCa
      ? `Reused the root CA in ${files.ca} to sign the new certificates.`
      : run.replacedCa
      ? `Replaced the root CA in ${files.dir}: certificates from the old one are no longer trusted.`
      : `Made a new root CA in ${files.dir}; later runs reuse it (--new-ca replaces it).`,
    "",
  ];
  const hasIntermediate = run.made.some((m) => m.role === "intermediate");
  const width = Math.max(...run.made.map((m) => files[ROLES[m.role].key].length)) + 2;
  for (const m of run.made) {
    const { role, issued } = m;
    const r = ROLES[role];
    const info = certificateInfo(der(m));
    const chained = hasIntermediate && (role === "server" || role === "client");
    const notes = [
      ...(m.kept ? ["existing, not rewritten"] : []),
      ...(chained ? ["followed by the intermediate CA"] : []),
    ];
    lines.push(
      `${files[r.cert].padEnd(width)}${r.what}${notes.length ? ` (${notes.join("; ")})` : ""}`,
    );
    lines.push(`  subject      ${info.subject}`);
    if (role !== "root") lines.push(`  issuer       ${info.issuer}`);
    if (info.names.length > 0) {
      const kept = role === "server" && run.keptNames && !m.kept
        ? "  (those of the certificate it replaces; --name to change them)"
        : "";
      lines.push(`  names        ${info.names.join(", ")}${kept}`);
    }
    lines.push(`  key type     ${issued.keyType}`);
    lines.push(`  expires      ${formatDate(issued.notAfter)}`);
    lines.push(`  SHA-256      ${issued.fingerprint}`);
    lines.push(`  SPKI pin     ${curlPin(der(m))}`);
    if (!m.kept) {
      lines.push(`${files[r.key].padEnd(width)}its private key (mode 0600; keep it private)`);
    }
  }
  for (const path of run.removed ?? []) {
    lines.push(`removed ${path}: no certificate is issued by it any more`);
  }
  lines.push(
    "",
    `Trust ${files.ca} in clients. For example, with \`deno task serve --mode http${
      files.dir === "certs" ? "" : ` --cert ${files.server} --key ${files.serverKey}`
    }\` running:`,
    `  curl --cacert ${files.ca} https://localhost:8443/`,
    "An SPKI pin works without the CA: curl --pinnedpubkey PIN, handshake connect --pin PIN.",
  );
  console.log(lines.join("\n"));
}

/** "2029-03-04 03:19:20 UTC" */
function formatDate(d: Date): string {
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
