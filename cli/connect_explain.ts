/**
 * Why `connect` failed, in words a person can act on: the alert, what this
 * client offered, and what usually causes it; for a server certificate
 * from another CA, which CAs the `--ca` file holds beside the issuer the
 * server's chain needs.
 *
 * @module
 */

import { AlertDescription, PeerAlert, TlsError, TruncationError } from "../lib/errors.ts";
import { CipherSuite, NamedGroup } from "../lib/codepoints.ts";
import { parseCertificate } from "../lib/x509/certificate.ts";

/** A failure to report as one line with an optional hint (exit status 1). */
export class ConnectFailure extends Error {
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

/** What is known about the attempt when it fails. */
export interface Attempt {
  /** What this client offers: groups and cipher suites in order, ALPN protocols. */
  offered?: { groups: readonly number[]; suites: readonly number[]; alpn?: readonly string[] };
  /** The server's chain as received, when it got that far. */
  chain?: readonly Uint8Array[];
  /** `--ca`: the file, whether it was given, and the anchors it holds. */
  ca?: { path: string; given: boolean; anchors: readonly Uint8Array[] };
  /** Whether a client certificate was configured (`--cert`). */
  clientCertificate: boolean;
}

/** Turns a failure into one line with a hint where one helps. */
export function explain(e: unknown, attempt: Attempt): Error {
  if (e instanceof TlsError) {
    const verification = e.code.startsWith("cert_");
    const hint = e.alert === AlertDescription.unknown_ca ? otherCa(attempt) : undefined;
    return new ConnectFailure(
      `${
        verification ? "server certificate refused: " : ""
      }${e.message} (sent alert ${e.alertName})`,
      hint,
    );
  }
  if (e instanceof PeerAlert) {
    return new ConnectFailure(`the server sent alert ${e.alertName}`, peerAlertHint(e, attempt));
  }
  if (e instanceof TruncationError) return new ConnectFailure(e.message);
  return e as Error;
}

/** What this client offered and what usually makes a server send `e`. */
function peerAlertHint(e: PeerAlert, attempt: Attempt): string | undefined {
  const offered = attempt.offered;
  const list = (values: readonly number[] | undefined, names: { name(v: number): string }) =>
    (values ?? []).map((v) => names.name(v)).join(", ");
  switch (e.alert) {
    case AlertDescription.protocol_version:
      return "the server does not speak TLS 1.3";
    case AlertDescription.certificate_required:
      return "the server wants a client certificate: pass --cert and --key";
    case AlertDescription.handshake_failure:
      return `this client offered groups ${list(offered?.groups, NamedGroup)} and suites ${
        list(offered?.suites, CipherSuite)
      }; usually the server has no group or cipher suite in common with these: ` +
        "see --groups and --suites";
    case AlertDescription.no_application_protocol:
      return `this client offered ALPN ${
        offered?.alpn?.join(", ") ?? "(none)"
      }, and the server accepts none of them: see --alpn`;
    case AlertDescription.bad_certificate:
    case AlertDescription.unsupported_certificate:
    case AlertDescription.certificate_unknown:
      return attempt.clientCertificate
        ? "the server refused this client's certificate; usually it lacks extendedKeyUsage " +
          "clientAuth, which `deno task certs --client NAME` sets, or is not from the server's " +
          "--client-ca"
        : undefined;
    case AlertDescription.unknown_ca:
      return attempt.clientCertificate
        ? "the server does not trust the CA of this client's certificate (its --client-ca)"
        : undefined;
    case AlertDescription.decrypt_error:
      return "a signature or Finished did not verify; usually a broken middlebox or peer";
    default:
      return undefined;
  }
}

/**
 * For unknown_ca: the CAs in the --ca file beside the issuer the server's
 * chain needs, told apart by key identifier (the subjects of development
 * CAs look alike).
 */
function otherCa(attempt: Attempt): string | undefined {
  const { chain, ca } = attempt;
  if (!ca) return undefined;
  const top = chain?.length ? safeParse(chain[chain.length - 1]) : undefined;
  const needs = top
    ? `the server's chain needs issuer "${top.issuer.text}"${keyId(top, "authority")}`
    : undefined;
  if (ca.anchors.length > 5) {
    return [needs, `it is not among the ${ca.anchors.length} CAs of ${ca.path}`]
      .filter(Boolean).join("; ") + "; pass --ca with that CA's PEM file";
  }
  const held = ca.anchors.map(safeParse).filter((c) => c !== undefined)
    .map((c) => `"${c.subject.text}"${keyId(c, "subject")}`);
  return [
    `${ca.path}${ca.given ? "" : " (the default --ca)"} holds ${held.join(", ")}`,
    needs,
    "pass --ca with the CA that issued the server's certificate",
  ].filter(Boolean).join("; ");
}

function keyId(c: ReturnType<typeof parseCertificate>, which: "subject" | "authority"): string {
  const ext = c.extensions;
  if ("malformed" in ext) return "";
  const id = which === "subject"
    ? ext.subjectKeyIdentifier?.value
    : ext.authorityKeyIdentifier?.value.keyId;
  return id ? ` (key id ${id.toHex().toUpperCase()})` : "";
}

function safeParse(der: Uint8Array) {
  try {
    return parseCertificate(der);
  } catch {
    return undefined;
  }
}
