/**
 * `handshake ca`: a private certificate authority for development, in the
 * spirit of mkcert. The first run makes a root CA in `--out`; later runs
 * reuse it to issue new leaves, so clients that trust `ca.pem` keep working.
 * A run whose request the files already answer changes nothing. Only
 * `--new-ca` replaces the root; leaf files are replaced only with `--force`.
 *
 * @module
 */

import { parseFlags, UsageError } from "./common.ts";
import { caFiles, existing, inspectOut, removeFiles, writeFiles } from "./ca_files.ts";
import { planRun, type Request } from "./ca_plan.ts";
import { printSummary } from "./ca_summary.ts";
import { isKeyType, KEY_TYPES } from "../lib/x509/webcrypto_issuing.ts";
import {
  createIntermediateCa,
  createRootCa,
  type Issued,
  issueLeaf,
  LEAF_DAYS,
} from "../lib/x509/issue.ts";
import { checkCertificateName } from "../lib/x509/san.ts";

const HELP = `Usage: handshake ca [flags]

Makes a private certificate authority and certificates it signs, in --out:
  ca.pem, ca-key.pem                      the root CA: made once, then reused
  server.pem, server-key.pem              a server certificate for the --name names
  client.pem, client-key.pem              with --client NAME
  intermediate.pem, intermediate-key.pem  with --intermediate; server.pem then holds
                                          the leaf followed by the intermediate

Flags:
  --out DIR         where to write (default certs)
  --name NAME       a DNS name or IP address for the server certificate; repeat for
                    more (default: localhost, 127.0.0.1 and ::1)
  --key-type TYPE   key type of the new certificates (a reused CA keeps its own):
                    ${KEY_TYPES.join(", ")}
                    (default ${KEY_TYPES[0]}; Chromium does not accept ed25519)
  --days N          lifetime of the new leaves in days (default ${LEAF_DAYS})
  --client NAME     also issue a client certificate with common name NAME
  --intermediate    sign the leaves with an intermediate CA, new on each run,
                    signed by the root
  --force           issue new leaves even if valid ones are there; those not named
                    again keep their names (server) or common name (client)
  --new-ca          replace the root CA in --out with a new one (certificates from
                    the old one stop being trusted)
  -h, --help        show this

A root CA already in --out is reused to sign the new leaves. Run again with the
same request, it finds the certificates valid and changes nothing (exit 0); a
request they do not answer (other names, key type, ...) needs --force. Without
--intermediate the leaves come from the root, and an old intermediate.pem is
removed. Keys are written with mode 0600 and never printed. Each certificate's
SPKI pin (sha256//BASE64) is printed for curl --pinnedpubkey and connect --pin.

Trust ca.pem in clients, for example with \`handshake serve --mode http\` running:
  curl --cacert certs/ca.pem https://localhost:8443/
  handshake connect localhost:8443 --ca certs/ca.pem`;

const MAX_DAYS = 3650;

/** Runs `handshake ca` with `argv` (the arguments after `ca`); returns the exit status. */
export async function ca(argv: string[]): Promise<number> {
  const flags = parseFlags("ca", argv, {
    out: { type: "string", default: "certs" },
    name: { type: "string", multiple: true },
    "key-type": { type: "string" },
    days: { type: "string" },
    client: { type: "string" },
    intermediate: { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    "new-ca": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (flags.values.help) {
    console.log(HELP);
    return 0;
  }
  const req = checkRequest(flags.values, flags.positionals);
  const files = caFiles(req.out);
  const state = await inspectOut(files, req);
  const plan = await planRun(files, req, state.ca);
  if (plan.upToDate) {
    printSummary({
      files,
      reusedCa: true,
      replacedCa: false,
      made: plan.upToDate,
      upToDate: true,
    });
    return 0;
  }

  const root = state.ca ?? await createRootCa({ keyType: plan.keyType });
  const intermediate = plan.issuer ??
    (req.intermediate ? await createIntermediateCa(root, { keyType: plan.keyType }) : undefined);
  const issuer = intermediate ?? root;
  const server = plan.server && await issueLeaf(issuer, {
    keyType: plan.keyType,
    names: plan.server,
    usage: "server",
    days: req.days,
  });
  const client = plan.client === undefined ? undefined : await issueLeaf(issuer, {
    keyType: plan.keyType,
    names: [],
    commonName: plan.client,
    usage: "client",
    days: req.days,
  });

  const chain = (leaf: Issued) => leaf.certificatePem + (intermediate?.certificatePem ?? "");
  const newIntermediate = intermediate && !plan.issuer;
  await writeFiles(files.dir, [
    ...(state.ca ? [] : [
      { path: files.ca, text: root.certificatePem },
      { path: files.caKey, text: root.privateKeyPem, secret: true },
    ]),
    ...(newIntermediate
      ? [
        { path: files.intermediate, text: intermediate.certificatePem },
        { path: files.intermediateKey, text: intermediate.privateKeyPem, secret: true },
      ]
      : []),
    ...(server
      ? [
        { path: files.server, text: chain(server) },
        { path: files.serverKey, text: server.privateKeyPem, secret: true },
      ]
      : []),
    ...(client
      ? [
        { path: files.client, text: chain(client) },
        { path: files.clientKey, text: client.privateKeyPem, secret: true },
      ]
      : []),
  ]);
  // Without --intermediate the new leaves come from the root: an old intermediate that no
  // remaining leaf was issued by signs nothing.
  const stale = intermediate || plan.keepIntermediate
    ? []
    : await existing([files.intermediate, files.intermediateKey]);
  await removeFiles(stale, files.dir);

  printSummary({
    files,
    reusedCa: state.ca !== undefined,
    replacedCa: state.replacedCa,
    made: [
      { role: "root", issued: root, kept: state.ca !== undefined },
      ...(intermediate
        ? [{ role: "intermediate" as const, issued: intermediate, kept: !newIntermediate }]
        : []),
      ...(server ? [{ role: "server" as const, issued: server }] : []),
      ...(client ? [{ role: "client" as const, issued: client }] : []),
    ],
    keptNames: plan.keptNames,
    removed: stale,
  });
  return 0;
}

/** Checks flag values, turning each mistake into a one-line UsageError. */
function checkRequest(
  v: {
    out: string;
    name?: string[];
    "key-type"?: string;
    days?: string;
    client?: string;
    intermediate: boolean;
    force: boolean;
    "new-ca": boolean;
  },
  positionals: string[],
): Request {
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument "${positionals[0]}"`,
      "give certificate names with --name, e.g. --name example.test",
    );
  }
  const keyType = v["key-type"]?.toLowerCase();
  if (keyType !== undefined && !isKeyType(keyType)) {
    throw new UsageError(
      `unknown key type "${v["key-type"]}"`,
      `use --key-type with one of: ${KEY_TYPES.join(", ")}`,
    );
  }
  let days: number | undefined;
  if (v.days !== undefined) {
    days = /^[0-9]+$/.test(v.days) ? Number(v.days) : NaN;
    if (!(days >= 1 && days <= MAX_DAYS)) {
      throw new UsageError(
        `--days must be a whole number of days from 1 to ${MAX_DAYS}, not "${v.days}"`,
        `leaves last ${LEAF_DAYS} days by default, the most Apple platforms accept`,
      );
    }
  }
  let names: string[] | undefined;
  for (const name of v.name ?? []) {
    names ??= [];
    let canonical: string;
    try {
      canonical = checkCertificateName(name).value;
    } catch (e) {
      throw new UsageError(
        (e as Error).message,
        "use --name with a DNS name like example.test or an IP address like 127.0.0.1",
      );
    }
    if (!names.includes(canonical)) names.push(canonical);
  }
  const client = v.client?.trim();
  if (client !== undefined && (client === "" || client.length > 64)) {
    throw new UsageError(
      "--client needs a name of 1 to 64 characters",
      "it becomes the client certificate's common name, e.g. --client alice",
    );
  }
  if (!v.out) throw new UsageError("--out needs a directory", "e.g. --out certs");
  return {
    out: v.out.replace(/(.)\/+$/, "$1"),
    names,
    keyType,
    days,
    client,
    intermediate: v.intermediate,
    force: v.force,
    newCa: v["new-ca"],
  };
}
