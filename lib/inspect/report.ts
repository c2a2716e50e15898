/**
 * A connection's handshake as one object, built from its trace events:
 * what the client offered, whether a HelloRetryRequest was needed and why,
 * what was chosen, the certificate chain, and every message in order with
 * who sent it under which keys. `serve --mode http` shows it to the
 * visitor, as a page and as JSON.
 *
 * @module
 */

import { AlertDescription } from "../errors.ts";
import { ContentType, HandshakeType, NamedGroup } from "../codepoints.ts";
import type { HandshakeInfo } from "../config.ts";
import { nameOfMessage } from "../handshake/messages.ts";
import type { Epoch } from "../record/record_layer.ts";
import type { Side, TraceEvent } from "../trace.ts";
import { type CertificateView, describeCertificate, fingerprint } from "./certificate.ts";
import { type ClientHelloView, describeClientHello } from "./client_hello.ts";

/** One step of the sequence diagram: a message, ChangeCipherSpec, or an alert. */
export interface MessageStep {
  readonly from: Side;
  /** e.g. `ClientHello`, `HelloRetryRequest`, `ChangeCipherSpec`, `alert close_notify`. */
  readonly name: string;
  /** The keys that protect it. */
  readonly protection: Epoch;
  /** Its size: the handshake message, or the record's content. */
  readonly bytes: number;
}

/** A certificate, described, with its fingerprint. */
export interface ChainEntry extends CertificateView {
  /** SHA-256 of the DER, hex. */
  readonly sha256: string;
}

/** The handshake of one connection. */
export interface HandshakeReport {
  /** What the client offered in its (first) ClientHello; undefined if it did not decode. */
  readonly clientHello?: ClientHelloView;
  readonly helloRetry?: { readonly group: string; readonly reason: string };
  readonly chosen: {
    readonly version: string;
    readonly cipherSuite: string;
    readonly group: string;
    readonly signatureScheme: string;
    readonly alpn?: string;
    readonly serverName?: string;
  };
  /** The server's chain as sent, leaf first. */
  readonly certificateChain: readonly ChainEntry[];
  readonly messages: readonly MessageStep[];
}

/** Describes a chain of DER certificates, leaf first. */
export function describeChain(chain: readonly Uint8Array[]): Promise<ChainEntry[]> {
  return Promise.all(chain.map(async (der) => {
    const view = describeCertificate(der);
    const sha256 = await fingerprint(der);
    return view ? { ...view, sha256 } : { ...UNPARSEABLE, sha256 };
  }));
}

const UNPARSEABLE: CertificateView = {
  subject: "(does not parse)",
  issuer: "",
  subjectAltNames: [],
  serial: "",
  notBefore: "",
  notAfter: "",
  publicKey: "",
  selfIssued: false,
};

/** The messages of a connection, in order, from its trace events. */
function messageSteps(events: readonly TraceEvent[]): MessageStep[] {
  const steps: MessageStep[] = [];
  const epoch: Record<Side, Epoch> = { client: "plaintext", server: "plaintext" };
  for (const e of events) {
    if (e.kind === "keys") epoch[e.direction] = e.epoch;
    if (e.kind === "message") {
      const name = nameOfMessage(e.raw);
      steps.push({ from: e.from, name, protection: e.epoch, bytes: e.raw.length });
    } else if (e.kind === "record" && e.contentType === ContentType.change_cipher_spec) {
      steps.push({ from: e.from, name: "ChangeCipherSpec", protection: "plaintext", bytes: 1 });
    } else if (e.kind === "alert") {
      const name = `alert ${AlertDescription.name(e.description)}`;
      steps.push({ from: e.from, name, protection: epoch[e.from], bytes: 2 });
    }
  }
  return steps;
}

/** Builds the report of a completed handshake. */
export async function handshakeReport(
  events: readonly TraceEvent[],
  info: HandshakeInfo,
  chain: readonly Uint8Array[],
): Promise<HandshakeReport> {
  const hello = events.find((e) => e.kind === "message" && e.type === HandshakeType.client_hello);
  let clientHello: ClientHelloView | undefined;
  try {
    clientHello = hello?.kind === "message" ? describeClientHello(hello.raw) : undefined;
  } catch {
    clientHello = undefined;
  }
  const hrr = events.find((e) => e.kind === "hello_retry");
  return {
    clientHello,
    helloRetry: hrr?.kind === "hello_retry"
      ? { group: NamedGroup.name(hrr.group), reason: hrr.reason }
      : undefined,
    chosen: {
      version: "TLS 1.3",
      cipherSuite: info.cipherSuite,
      group: info.group,
      signatureScheme: info.signatureScheme,
      alpn: info.alpn,
      serverName: info.serverName,
    },
    certificateChain: await describeChain(chain),
    messages: messageSteps(events),
  };
}
