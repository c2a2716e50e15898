/**
 * What `handshake ca` tells the person it made: each file, and for each
 * certificate its subject, names, key type, expiry and SHA-256 fingerprint.
 * Private keys are named, never shown.
 *
 * @module
 */

import type { CaFiles } from "./ca_files.ts";
import { certificateInfo, type Issued } from "../lib/x509/issue.ts";

/** One certificate a run made or reused. */
export interface Made {
  role: "root" | "intermediate" | "server" | "client";
  issued: Issued;
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
}): void {
  const { files } = run;
  const lines = [
    run.reusedCa
      ? `Reused the root CA in ${files.ca} to sign the new certificates.`
      : run.replacedCa
      ? `Replaced the root CA in ${files.dir}: certificates from the old one are no longer trusted.`
      : `Made a new root CA in ${files.dir}; later runs reuse it (--new-ca replaces it).`,
    "",
  ];
  const hasIntermediate = run.made.some((m) => m.role === "intermediate");
  const width = Math.max(...run.made.map((m) => files[ROLES[m.role].key]!.length)) + 2;
  for (const { role, issued } of run.made) {
    const r = ROLES[role];
    const info = certificateInfo(issued.certificate);
    const chained = hasIntermediate && (role === "server" || role === "client");
    const note = role === "root" && run.reusedCa
      ? " (existing, not rewritten)"
      : chained
      ? ", followed by the intermediate CA"
      : "";
    lines.push(`${files[r.cert]!.padEnd(width)}${r.what}${note}`);
    lines.push(`  subject      ${info.subject}`);
    if (role !== "root") lines.push(`  issuer       ${info.issuer}`);
    if (info.names.length > 0) lines.push(`  names        ${info.names.join(", ")}`);
    lines.push(`  key type     ${issued.keyType}`);
    lines.push(`  expires      ${formatDate(issued.notAfter)}`);
    lines.push(`  SHA-256      ${issued.fingerprint}`);
    if (!(role === "root" && run.reusedCa)) {
      lines.push(`${files[r.key]!.padEnd(width)}its private key (mode 0600; keep it private)`);
    }
  }
  lines.push(
    "",
    `Trust ${files.ca} in clients, e.g. curl --cacert ${files.ca} https://localhost:8443/`,
  );
  console.log(lines.join("\n"));
}

/** "2029-03-04 03:19:20 UTC" */
function formatDate(d: Date): string {
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
