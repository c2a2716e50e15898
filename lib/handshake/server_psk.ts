/**
 * The server's side of PSKs (RFC 8446 §2.2, §4.2.9, §4.2.11, §4.6.1):
 * choosing an offered PSK (a ticket this server sealed, or an external PSK
 * it holds), checking its binder in constant time, and sending tickets
 * after the handshake. An offered PSK that does not fit (unknown, expired,
 * undecryptable ticket; another hash; another server name; a mode this
 * server does not accept) is passed over, and the handshake goes on in
 * full: never an error. A binder that does not verify is (decrypt_error).
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import { ExtensionType, HandshakeType } from "../codepoints.ts";
import type { ExternalPsk, ServerConfig, TicketSettings } from "../config.ts";
import { KeySchedule } from "../crypto/key_schedule.ts";
import type { Suite } from "../crypto/provider.ts";
import { decodeResumptionState, encodeResumptionState } from "../session/resumption.ts";
import { constantTimeEqual } from "../wire/writer.ts";
import { findExtension } from "./extensions.ts";
import type { HandshakeIO } from "./io.ts";
import { type ClientHello, encodeNewSessionTicket } from "./messages.ts";
import {
  bindersLength,
  decodeOfferedPsks,
  decodePskModes,
  encodeMaxEarlyData,
  type PskIdentity,
  PskKeyExchangeMode,
} from "./psk_extensions.ts";
import type { Transcript } from "./transcript.ts";

/** Default ticket_lifetime: two hours. */
const DEFAULT_TICKET_LIFETIME = 7200;
/** RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)." */
export const MAX_TICKET_LIFETIME = 604800;
/** How far the client's idea of a ticket's age may be from ours (RFC 8446 §8.3). */
const TICKET_AGE_WINDOW_MS = 10_000;

/** The PSK a server accepted. */
export interface AcceptedPsk {
  /** Its index among the offered identities (selected_identity). */
  readonly index: number;
  readonly mode: "psk_dhe_ke" | "psk_ke";
  /** The key schedule, its early secret from the PSK. */
  readonly schedule: KeySchedule;
  /** The client certificate of the original session, if any. */
  readonly clientCertificate?: Uint8Array;
  /** Whether the client's early data is accepted (RFC 8446 §4.2.10), else why not. */
  readonly earlyData: { accepted: true; maxBytes: number } | { accepted: false; why: string };
}

/** What choosing a PSK looks at. */
export interface PskOffer {
  readonly io: HandshakeIO;
  readonly config: ServerConfig;
  readonly hello: ClientHello;
  /** The ClientHello as received (header included), whose tail is the binders. */
  readonly raw: Uint8Array;
  /** The suite chosen for this handshake: the PSK's hash must be its hash. */
  readonly suite: Suite;
  readonly serverName?: string;
  /** The transcript before this ClientHello (empty, or through a HelloRetryRequest). */
  readonly transcript: Transcript;
  /** Whether a HelloRetryRequest came before (no early data then, RFC 8446 §4.2.10). */
  readonly helloRetry: boolean;
  /** The ALPN protocol chosen for this handshake. */
  readonly alpn?: string;
}

/** A PSK that may be used, before its binder is checked. */
interface Candidate {
  readonly secret: Uint8Array;
  readonly kind: "external" | "resumption";
  readonly clientCertificate?: Uint8Array;
  /** For a ticket: why its early data cannot be accepted, if it cannot (checked before replay). */
  readonly earlyData?: { why?: string; maxBytes: number; ticket: Uint8Array; expires: number };
}

/** RFC 8446 §4.2.11: the PSK to use, or undefined for a full handshake. */
export async function acceptPsk(o: PskOffer): Promise<AcceptedPsk | undefined> {
  const ext = findExtension(o.hello.extensions, ExtensionType.pre_shared_key);
  if (!ext) return undefined;
  const modesExt = findExtension(o.hello.extensions, ExtensionType.psk_key_exchange_modes);
  // RFC 8446 §4.2.9: a client offering pre_shared_key MUST offer psk_key_exchange_modes.
  if (!modesExt) {
    throw new TlsError(
      "missing_psk_modes",
      "ClientHello: pre_shared_key without psk_key_exchange_modes",
    );
  }
  const offered = decodeOfferedPsks(ext);
  const modes = decodePskModes(modesExt);
  if (!o.config.tickets && !o.config.externalPsks?.length) return undefined;
  const mode = modes.includes(PskKeyExchangeMode.psk_dhe_ke)
    ? "psk_dhe_ke"
    : modes.includes(PskKeyExchangeMode.psk_ke) && o.config.tickets?.pskKe
    ? "psk_ke"
    : undefined;
  const trace = (detail: string, ok = true) => o.io.trace({ kind: "psk", detail, ok });
  if (!mode) {
    trace("PSK offered only with psk_ke, which this server does not accept: full handshake");
    return undefined;
  }
  for (const [index, identity] of offered.identities.entries()) {
    const candidate = await usable(o, identity, trace);
    if (!candidate) continue;
    const schedule = new KeySchedule(
      o.suite,
      (name, value) => o.io.trace({ kind: "secret", name, value }),
    );
    schedule.usePsk(candidate.secret);
    const truncated = o.raw.subarray(0, o.raw.length - bindersLength(offered.binders));
    const expected = schedule.binder(candidate.kind, o.transcript.hashWith(truncated));
    // RFC 8446 §4.2.11: a binder that does not verify aborts the handshake.
    if (!constantTimeEqual(expected, offered.binders[index])) {
      trace(`PSK binder ${index}: does not match`, false);
      throw new TlsError(
        "bad_psk_binder",
        `the binder of PSK ${index} does not match the ClientHello`,
      );
    }
    trace(
      `PSK binder ${index} verified: keyed from the early secret of the ${candidate.kind} PSK (${mode})`,
    );
    trace("no certificate: the PSK authenticates the server");
    const earlyData = decideEarlyData(o, index, candidate);
    if (findExtension(o.hello.extensions, ExtensionType.early_data)) {
      trace(
        earlyData.accepted
          ? `early data accepted (up to ${earlyData.maxBytes} bytes)`
          : `early data rejected: ${earlyData.why}`,
        earlyData.accepted,
      );
    }
    return { index, mode, schedule, clientCertificate: candidate.clientCertificate, earlyData };
  }
  return undefined;
}

/** The PSK behind `identity`, if this server holds it and it fits this handshake. */
async function usable(
  o: PskOffer,
  identity: PskIdentity,
  trace: (detail: string, ok?: boolean) => void,
): Promise<Candidate | undefined> {
  const external = o.config.externalPsks?.find((p) =>
    constantTimeEqual(p.identity, identity.identity)
  );
  if (external) return externalCandidate(o, external, trace);
  const settings = o.config.tickets;
  if (!settings) return undefined;
  const { state: plain, reason } = await settings.keys.open(identity.identity);
  const state = plain && decodeResumptionState(plain);
  if (!state) {
    trace(`ticket not resumed: ${reason ?? "it holds no state this server wrote"}`, false);
    return undefined;
  }
  const now = o.io.now().getTime();
  const serverAge = now - state.issued;
  const clientAge = (identity.obfuscatedTicketAge - state.ageAdd) >>> 0;
  const why = serverAge < 0 || serverAge >= state.lifetime * 1000
    ? `it expired (age ${Math.round(serverAge / 1000)} s, lifetime ${state.lifetime} s)`
    : Math.abs(clientAge - serverAge) > state.lifetime * 1000
    ? `the client's ticket age (${clientAge} ms) is not near ours (${serverAge} ms)`
    : o.suite.hash.name !== hashOfSuite(o, state.suite)
    ? "it was issued for a suite with another hash"
    : (state.serverName ?? "") !== (o.serverName ?? "")
    ? `it was issued for server name "${state.serverName ?? ""}", not "${o.serverName ?? ""}"`
    : o.config.clientAuth?.required && !state.clientCertificate
    ? "this server requires a client certificate, and the session had none"
    : undefined;
  if (why) {
    trace(`ticket not resumed: ${why}`, false);
    return undefined;
  }
  trace(
    `ticket opened: issued ${Math.round(serverAge / 1000)} s ago, lifetime ${state.lifetime} s, ` +
      `client's age ${clientAge} ms`,
  );
  // RFC 8446 §4.2.10: early data only with the ticket's own suite and ALPN, and a fresh age (§8.3).
  const early = !state.maxEarlyData
    ? "the ticket allows none"
    : state.suite !== o.suite.id
    ? "another cipher suite than the ticket's"
    : (state.alpn ?? "") !== (o.alpn ?? "")
    ? "another ALPN protocol than the ticket's"
    : Math.abs(clientAge - serverAge) > TICKET_AGE_WINDOW_MS
    ? `the ticket age is off by ${
      Math.abs(clientAge - serverAge)
    } ms (more than ${TICKET_AGE_WINDOW_MS})`
    : undefined;
  return {
    secret: state.secret,
    kind: "resumption",
    clientCertificate: state.clientCertificate,
    earlyData: {
      why: early,
      maxBytes: state.maxEarlyData,
      ticket: identity.identity,
      expires: state.issued + state.lifetime * 1000,
    },
  };
}

/** RFC 8446 §4.2.10, §8.1: whether to accept the early data offered with the chosen PSK. */
function decideEarlyData(
  o: PskOffer,
  index: number,
  c: Candidate,
): AcceptedPsk["earlyData"] {
  const settings = o.config.tickets?.earlyData;
  const why = !findExtension(o.hello.extensions, ExtensionType.early_data)
    ? "none offered"
    : o.helloRetry
    ? "a HelloRetryRequest came first"
    : index !== 0
    ? "it is only for the first PSK offered"
    : !c.earlyData
    ? "not with an external PSK"
    : !settings?.maxBytes
    ? "this server accepts none"
    : c.earlyData.why;
  if (why) return { accepted: false, why };
  // RFC 8446 §8.1: at most once per ticket.
  if (!settings!.used.claim(c.earlyData!.ticket, c.earlyData!.expires, o.io.now().getTime())) {
    return { accepted: false, why: "this ticket's early data was accepted before (a replay)" };
  }
  return { accepted: true, maxBytes: Math.min(settings!.maxBytes, c.earlyData!.maxBytes) };
}

function externalCandidate(
  o: PskOffer,
  psk: ExternalPsk,
  trace: (detail: string, ok?: boolean) => void,
): Candidate | undefined {
  // External PSKs are for SHA-256 suites here, as OpenSSL's -psk.
  if (o.suite.hash.name !== "SHA-256") {
    trace(`external PSK not used: the chosen suite ${o.suite.name} is not SHA-256`, false);
    return undefined;
  }
  trace(`external PSK "${new TextDecoder().decode(psk.identity)}" offered`);
  return { secret: psk.secret, kind: "external" };
}

function hashOfSuite(o: PskOffer, suite: number): string | undefined {
  return o.io.crypto.suites.find((s) => s.id === suite)?.hash.name;
}

/** What sending tickets needs. */
export interface TicketIssue {
  readonly io: HandshakeIO;
  readonly settings: TicketSettings;
  readonly schedule: KeySchedule;
  readonly resumptionSecret: Uint8Array;
  readonly suite: Suite;
  readonly alpn?: string;
  readonly serverName?: string;
  readonly clientCertificate?: Uint8Array;
}

/**
 * RFC 8446 §4.6.1: `settings.count` NewSessionTickets, each with its own
 * nonce (so its own PSK) and ticket_age_add, the state sealed in the ticket.
 */
export async function sendNewSessionTickets(t: TicketIssue): Promise<void> {
  const lifetime = Math.min(t.settings.lifetime ?? DEFAULT_TICKET_LIFETIME, MAX_TICKET_LIFETIME);
  const count = t.settings.count ?? 2;
  for (let i = 0; i < count; i++) {
    const nonce = new Uint8Array([i]);
    const r = t.io.random(4);
    const ageAdd = ((r[0] << 24) | (r[1] << 16) | (r[2] << 8) | r[3]) >>> 0;
    const maxEarlyData = t.settings.earlyData?.maxBytes ?? 0;
    const state = {
      secret: t.schedule.ticketPsk(t.resumptionSecret, nonce),
      suite: t.suite.id,
      issued: t.io.now().getTime(),
      lifetime,
      ageAdd,
      maxEarlyData,
      alpn: t.alpn,
      serverName: t.serverName,
      clientCertificate: t.clientCertificate,
    };
    const ticket = await t.settings.keys.seal(encodeResumptionState(state));
    t.io.send(
      HandshakeType.new_session_ticket,
      encodeNewSessionTicket({
        lifetime,
        ageAdd,
        nonce,
        ticket,
        extensions: maxEarlyData
          ? [{ type: ExtensionType.early_data, data: encodeMaxEarlyData(maxEarlyData) }]
          : [],
      }),
    );
    t.io.trace({
      kind: "psk",
      detail: `ticket ${i + 1} of ${count}: lifetime ${lifetime} s` +
        (maxEarlyData ? `, early data up to ${maxEarlyData} bytes` : ""),
      ok: true,
    });
  }
}
