/**
 * The Authentication Messages of RFC 8446 §4.4 (Certificate,
 * CertificateVerify, Finished) as both sides send and receive them: the
 * server in its first flight, the client (Finished, and its certificate when
 * asked for one) in its second.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { HandshakeType } from "../codepoints.ts";
import type { KeySchedule } from "../crypto/key_schedule.ts";
import type { SigningKey } from "../crypto/provider.ts";
import { constantTimeEqual } from "../wire/writer.ts";
import type { HandshakeFlow } from "./flow.ts";
import { certificateVerifyContent } from "./io.ts";
import {
  type Certificate,
  decodeCertificate,
  decodeCertificateVerify,
  decodeFinished,
  encodeCertificate,
  encodeCertificateVerify,
  type HandshakeMessage,
} from "./messages.ts";
import { checkCertificateVerify } from "./peer_auth.ts";

/**
 * RFC 8446 §4.4.2: our Certificate, `chain` leaf first (empty: a client
 * with no certificate to send), echoing the request `context`.
 */
export function sendCertificate(
  flow: HandshakeFlow,
  context: Uint8Array,
  chain: readonly Uint8Array[],
): void {
  const entries = chain.map((certificate) => ({ certificate, extensions: [] }));
  flow.send(HandshakeType.certificate, encodeCertificate({ context, entries }));
}

/** RFC 8446 §4.4.3: our signature with `key` over the transcript so far. */
export async function sendCertificateVerify(
  flow: HandshakeFlow,
  key: SigningKey,
  scheme: number,
): Promise<void> {
  const hash = flow.hash();
  const signature = await key.sign(scheme, certificateVerifyContent(flow.side, hash));
  flow.io.trace({ kind: "signature", from: flow.side, scheme, transcriptHash: hash, ok: true });
  flow.send(HandshakeType.certificate_verify, encodeCertificateVerify({ scheme, signature }));
}

/** RFC 8446 §4.4.4: our Finished, keyed from our handshake traffic secret. */
export function sendFinished(flow: HandshakeFlow, schedule: KeySchedule): void {
  const verifyData = schedule.finished(flow.side, flow.hash());
  flow.io.trace({ kind: "finished", from: flow.side, verifyData, ok: true });
  flow.send(HandshakeType.finished, verifyData);
}

/**
 * RFC 8446 §4.4.2: the peer's Certificate, decoded; in the handshake its
 * certificate_request_context is empty (§4.3.2, §4.4.2). Not yet in the
 * transcript: its step accepts it.
 */
export function decodePeerCertificate(flow: HandshakeFlow, msg: HandshakeMessage): Certificate {
  const cert = decodeCertificate(msg.body);
  if (cert.context.length !== 0) {
    throw new TlsError(
      "certificate_context_not_empty",
      `the ${flow.peer}'s Certificate has a non-empty request context`,
    );
  }
  return cert;
}

/**
 * RFC 8446 §4.4.3: the peer's CertificateVerify, a signature with its
 * certificate's key `leaf` in a scheme of `accepted` over the transcript
 * before it. Returns the scheme.
 */
export async function readCertificateVerify(
  flow: HandshakeFlow,
  leaf: Uint8Array,
  accepted: readonly number[],
): Promise<number> {
  const msg = await flow.expect(HandshakeType.certificate_verify);
  const cv = decodeCertificateVerify(msg.body);
  await checkCertificateVerify(flow.io, cv, flow.peer, leaf, accepted, flow.hash());
  flow.accept(msg);
  return cv.scheme;
}

/**
 * RFC 8446 §4.4.4: the peer's Finished, which must match the transcript
 * before it under the peer's Finished key (decrypt_error otherwise).
 */
export async function readFinished(flow: HandshakeFlow, schedule: KeySchedule): Promise<void> {
  const msg = await flow.expect(HandshakeType.finished);
  const got = decodeFinished(msg.body, schedule.suite.hash.outputLength);
  const ok = constantTimeEqual(got, schedule.finished(flow.peer, flow.hash()));
  flow.io.trace({ kind: "finished", from: flow.peer, verifyData: got, ok });
  if (!ok) {
    throw new TlsError("bad_finished", `the ${flow.peer}'s Finished does not match the handshake`);
  }
  flow.accept(msg);
}
