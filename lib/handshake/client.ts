/**
 * The client side of the TLS 1.3 handshake (RFC 8446 §2, §4), one method
 * per step, called in protocol order from `run()`:
 *
 *   sendClientHello → readServerHello [→ handleHelloRetryRequest (a second
 *   ClientHello) → readServerHello] → deriveHandshakeKeys →
 *   readEncryptedExtensions → [readServerCertificate: readCertificateRequest →
 *   readCertificate → readCertificateVerify, unless the server accepted our
 *   PSK] → readFinished → [sendEndOfEarlyData] → [sendCertificate →
 *   sendCertificateVerify] → sendFinished
 *
 * A ClientHello offers at most one PSK (a stored ticket or an external PSK),
 * its binder computed over the ClientHello itself (RFC 8446 §4.2.11.2).
 *
 * The steps are private; what the handshake has learnt and chosen is held in
 * one place (`ClientState`), its messages and keys go through a
 * `HandshakeFlow`, and Certificate, CertificateVerify and Finished are the
 * steps of `authentication.ts`, shared with the server.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import {
  ExtensionType,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
  SignatureScheme,
  versionName,
} from "../codepoints.ts";
import type { ClientConfig, HandshakeInfo } from "../config.ts";
import type { KeySchedule } from "../crypto/key_schedule.ts";
import type { ActiveKeyExchange, MaybePromise, Suite } from "../crypto/provider.ts";
import { CERTIFICATE_SCHEMES } from "../crypto/signature.ts";
import { chooseScheme } from "../crypto/signing_key.ts";
import { hybridLayout } from "../crypto/hybrid_mlkem.ts";
import { constantTimeEqual } from "../wire/writer.ts";
import * as auth from "./authentication.ts";
import {
  decodeAlpn,
  decodeCookie,
  decodeSelectedGroup,
  decodeSelectedVersion,
  decodeServerKeyShare,
  decodeU16List,
  EMPTY,
  encodeAlpn,
  encodeClientKeyShares,
  encodeClientVersions,
  encodeCookie,
  encodeServerName,
  encodeU16List,
  type Extension,
  findExtension,
} from "./extensions.ts";
import { HandshakeFlow } from "./flow.ts";
import { checkReplyExtensions, type HandshakeIO } from "./io.ts";
import { type Preferences, preferences, requireGroup, verifyPeerChain } from "./peer_auth.ts";
import {
  type ClientHello,
  decodeCertificateRequest,
  decodeEncryptedExtensions,
  decodeServerHello,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  encodeClientHello,
  frameHandshake,
  type HandshakeMessage,
  isHelloRetryRequest,
  type ServerHello,
} from "./messages.ts";
import { isIpAddress } from "../x509/names.ts";
import {
  bindersLength,
  decodeSelectedIdentity,
  encodeBinders,
  encodeOfferedPsks,
  encodePskModes,
  PskKeyExchangeMode,
} from "./psk_extensions.ts";

/** RFC 8446 §4.2: extensions a ServerHello may carry. */
const SERVER_HELLO_EXTENSIONS = new Set<number>([
  ExtensionType.supported_versions,
  ExtensionType.key_share,
  ExtensionType.pre_shared_key,
]);
/** RFC 8446 §4.1.4: extensions a HelloRetryRequest may carry. */
const HRR_EXTENSIONS = new Set<number>([
  ExtensionType.supported_versions,
  ExtensionType.key_share,
  ExtensionType.cookie,
]);
/** RFC 8446 §4.2: extensions EncryptedExtensions may carry, of those this client offers. */
const EE_EXTENSIONS = new Set<number>([
  ExtensionType.early_data,
  ExtensionType.server_name,
  ExtensionType.supported_groups,
  ExtensionType.application_layer_protocol_negotiation,
]);

/** A PSK offered in the ClientHello. */
interface OfferedPsk {
  readonly identity: Uint8Array;
  readonly secret: Uint8Array;
  readonly kind: "external" | "resumption";
  /** A suite with the PSK's hash (its own suite, for a ticket). */
  readonly suite: Suite;
  readonly obfuscatedAge: number;
  /** max_early_data_size of the ticket (0 for external PSKs). */
  readonly maxEarlyData: number;
  /** The ALPN protocol of the ticket's connection. */
  readonly alpn?: string;
}

/** What the client handshake learns and decides, in the order it does. */
class ClientState {
  /** Our ClientHello as last sent. */
  hello!: ClientHello;
  /** The extensions it offers (RFC 8446 §4.2: the replies may carry only these). */
  offered = new Set<number>();
  /** Our key shares in it (RFC 8446 §4.2.8). */
  shares: ActiveKeyExchange[] = [];
  /** The PSK it offers, if any, and the key schedule of its binder (RFC 8446 §4.2.11). */
  psk?: OfferedPsk;
  pskSchedule?: KeySchedule;
  /** The 0-RTT data sent with the first ClientHello, if any (RFC 8446 §4.2.10). */
  early?: Uint8Array;
  /** A HelloRetryRequest read, until the second ClientHello is sent (RFC 8446 §4.4.1). */
  pendingHrr?: HandshakeMessage;
  helloRetry = false;
  /** RFC 8446 §4.1.3: the cipher suite the server chose. */
  suite!: Suite;
  /** RFC 8446 §4.2.9: the mode of the PSK the server accepted, if it did. */
  pskMode?: "psk_dhe_ke" | "psk_ke";
  /** RFC 8446 §4.2.8: the group of the key exchange (0 in psk_ke mode). */
  group = 0;
  schedule!: KeySchedule;
  /** RFC 7301 §3.1: the application protocol the server chose. */
  alpn?: string;
  earlyData: "accepted" | "rejected" | "none" = "none";
  /** RFC 8446 §4.3.2: the server's CertificateRequest, if it sent one. */
  certificateRequest?: { context: Uint8Array; schemes: number[] };
  /** The server's certificate chain, whether or not it was trusted. */
  peerChain: Uint8Array[] = [];
  /** RFC 8446 §4.4.3: the scheme of the server's CertificateVerify. */
  peerScheme = 0;
  /** RFC 8446 §7.1: resumption_master_secret, kept with a session store. */
  resumptionSecret?: Uint8Array;
}

/** Runs the client handshake over `io`. */
export class ClientHandshake {
  readonly #io: HandshakeIO;
  readonly #flow: HandshakeFlow;
  readonly #config: ClientConfig;
  readonly #prefs: Preferences;
  readonly #s = new ClientState();

  constructor(io: HandshakeIO, config: ClientConfig) {
    this.#io = io;
    this.#flow = new HandshakeFlow(io, "client", config);
    this.#config = config;
    this.#prefs = preferences(config);
  }

  /** The peer's certificate chain as received (DER, leaf first), whether or not it was trusted. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.#s.peerChain;
  }

  /** The client random, once the ClientHello is built (for the key log). */
  get clientRandom(): Uint8Array | undefined {
    return this.#s.hello?.random;
  }

  /**
   * What the connection needs to turn NewSessionTickets into sessions: the
   * resumption_master_secret (only with a session store), suite, server and ALPN.
   */
  get resumption():
    | { secret: Uint8Array; suite: number; server: string; alpn?: string }
    | undefined {
    const s = this.#s;
    return s.resumptionSecret && {
      secret: s.resumptionSecret,
      suite: s.suite.id,
      server: this.#config.serverName ?? "",
      alpn: s.alpn,
    };
  }

  /** The whole handshake, in the order of RFC 8446 §2. */
  async run(): Promise<HandshakeInfo> {
    const s = this.#s;
    await this.#sendClientHello();
    let sh = await this.#readServerHello();
    if (isHelloRetryRequest(sh)) {
      await this.#handleHelloRetryRequest(sh);
      sh = await this.#readServerHello();
      if (isHelloRetryRequest(sh)) {
        throw new TlsError(
          "second_hello_retry_request",
          "the server sent a second HelloRetryRequest",
        );
      }
    }
    await this.#deriveHandshakeKeys(sh);
    await this.#readEncryptedExtensions();
    if (s.pskMode) {
      this.#io.trace({
        kind: "psk",
        detail: "no certificate: the PSK authenticates the server",
        ok: true,
      });
    } else {
      await this.#readServerCertificate();
    }
    await this.#readFinished();
    if (s.earlyData === "accepted") await this.#sendEndOfEarlyData();
    if (s.certificateRequest) await this.#sendClientCertificate();
    await this.#sendFinished();
    return {
      version: "TLSv1.3",
      provider: this.#prefs.crypto.name,
      cipherSuite: s.suite.name,
      group: s.pskMode === "psk_ke" ? "none" : NamedGroup.name(s.group),
      signatureScheme: s.pskMode ? "none" : SignatureScheme.name(s.peerScheme),
      alpn: s.alpn,
      serverName: this.#sniName(),
      helloRetry: s.helloRetry,
      peerCertificates: s.peerChain,
      resumed: s.pskMode !== undefined,
      pskMode: s.pskMode,
      earlyData: s.earlyData,
      earlyDataAccepted: s.earlyData === "accepted" ? s.early!.length : undefined,
    };
  }

  /** RFC 6066 §3: SNI carries DNS names only, never IP literals. */
  #sniName(): string | undefined {
    const name = this.#config.serverName;
    return name && !isIpAddress(name) ? name.replace(/\.$/, "") : undefined;
  }

  /**
   * RFC 8446 §4.1.2: the first ClientHello, with a key share for our most
   * preferred group and, when that is a post-quantum hybrid, one for the
   * first classical group too, as browsers do: a server without the hybrid
   * then needs no HelloRetryRequest.
   */
  async #sendClientHello(): Promise<void> {
    const s = this.#s;
    const { groups, schemes, suites } = this.#prefs;
    s.shares = await Promise.all(
      initialShareGroups(groups).map((g) => this.#startKeyExchange(g)),
    );
    const exts: Extension[] = [];
    const sni = this.#sniName();
    if (sni) exts.push({ type: ExtensionType.server_name, data: encodeServerName(sni) });
    exts.push(
      {
        type: ExtensionType.supported_versions,
        data: encodeClientVersions([ProtocolVersion.TLSv1_3]),
      },
      { type: ExtensionType.supported_groups, data: encodeU16List(groups) },
      { type: ExtensionType.signature_algorithms, data: encodeU16List(schemes) },
      { type: ExtensionType.signature_algorithms_cert, data: encodeU16List(CERTIFICATE_SCHEMES) },
      { type: ExtensionType.key_share, data: this.#keyShareExtension() },
    );
    if (this.#config.alpn?.length) {
      exts.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: encodeAlpn(this.#config.alpn),
      });
    }
    s.psk = this.#choosePsk();
    if (s.psk) {
      const modes = this.#pskModes().map((m) => PskKeyExchangeMode[m]);
      s.early = this.#earlyDataFor(s.psk);
      // RFC 8446 §4.2.10: an empty early_data says 0-RTT data follows the ClientHello.
      if (s.early) exts.push({ type: ExtensionType.early_data, data: EMPTY });
      exts.push({ type: ExtensionType.psk_key_exchange_modes, data: encodePskModes(modes) });
      // RFC 8446 §4.2.11: pre_shared_key is the last extension; its binder is filled in below.
      exts.push({
        type: ExtensionType.pre_shared_key,
        data: this.#pskExtension(this.#placeholder()),
      });
    }
    s.hello = {
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: this.#io.random(32),
      // RFC 8446 §D.4: a non-empty session id asks for middlebox compatibility mode.
      legacySessionId: this.#io.random(32),
      cipherSuites: suites.map((suite) => suite.id),
      legacyCompressionMethods: new Uint8Array([0]),
      extensions: exts,
    };
    s.offered = new Set(exts.map((e) => e.type));
    const psk = s.psk;
    const hello = psk
      ? this.#withBinder((partial) => psk.suite.hash.digest(partial))
      : encodeClientHello(s.hello);
    const raw = this.#flow.send(HandshakeType.client_hello, hello);
    if (s.early) await this.#sendEarlyData(raw);
  }

  /**
   * RFC 8446 §4.2.10: the 0-RTT data to send with this ticket: only a
   * ticket that allows it, for the same ALPN, at most its max_early_data_size.
   */
  #earlyDataFor(psk: OfferedPsk): Uint8Array | undefined {
    const data = this.#config.earlyData;
    if (!data?.length || psk.kind !== "resumption") return undefined;
    const why = !psk.maxEarlyData
      ? "the ticket allows none"
      : psk.alpn !== undefined && !this.#config.alpn?.includes(psk.alpn)
      ? `the ticket is for ALPN ${psk.alpn}, not offered now`
      : undefined;
    if (why) {
      this.#io.trace({ kind: "psk", detail: `no early data: ${why}`, ok: false });
      return undefined;
    }
    return data.subarray(0, psk.maxEarlyData);
  }

  /**
   * RFC 8446 §2.3, §7.1: 0-RTT data right after the ClientHello, under keys
   * from client_early_traffic_secret (Transcript-Hash(ClientHello)); the
   * handshake keys wait for the server's answer.
   */
  async #sendEarlyData(hello: Uint8Array): Promise<void> {
    const { psk, pskSchedule, early } = this.#s;
    // RFC 8446 §D.4: in compatibility mode, the CCS goes right after the ClientHello.
    this.#io.sendChangeCipherSpec();
    pskSchedule!.earlyTrafficSecret(psk!.suite.hash.digest(hello));
    await this.#flow.writeKeys(pskSchedule!, "early");
    this.#io.trace({
      kind: "psk",
      detail: `sending ${early!.length} bytes of early data`,
      ok: true,
    });
    this.#io.sendEarlyData(early!);
  }

  /** RFC 8446 §4.5: the end of our 0-RTT data; then our handshake keys. */
  async #sendEndOfEarlyData(): Promise<void> {
    this.#flow.send(HandshakeType.end_of_early_data, EMPTY);
    await this.#flow.writeKeys(this.#s.schedule, "handshake");
  }

  /** The PSK to offer: the external one configured, else a stored ticket for this server. */
  #choosePsk(): OfferedPsk | undefined {
    const trace = (detail: string, ok = true) => this.#io.trace({ kind: "psk", detail, ok });
    const suites = this.#prefs.suites;
    const external = this.#config.externalPsk;
    if (external) {
      const suite = suites.find((s) => s.hash.name === "SHA-256");
      if (!suite) return undefined;
      trace(`offering external PSK "${new TextDecoder().decode(external.identity)}"`);
      return { ...external, kind: "external", suite, obfuscatedAge: 0, maxEarlyData: 0 };
    }
    const now = this.#io.now();
    const session = this.#config.sessions?.take(this.#config.serverName ?? "", now);
    if (!session) return undefined;
    const suite = suites.find((s) => s.id === session.suite);
    if (!suite) {
      trace(`stored ticket not offered: its suite is not offered`, false);
      return undefined;
    }
    const age = now.getTime() - session.received;
    trace(
      `offering a ticket: received ${Math.round(age / 1000)} s ago, lifetime ${session.lifetime} s`,
    );
    return {
      identity: session.ticket,
      secret: session.secret,
      kind: "resumption",
      suite,
      // RFC 8446 §4.2.11.1: the age in milliseconds plus ticket_age_add, mod 2^32.
      obfuscatedAge: (age + session.ageAdd) >>> 0,
      maxEarlyData: session.maxEarlyData,
      alpn: session.alpn,
    };
  }

  /** RFC 8446 §4.2.9: the modes we offer with a PSK. */
  #pskModes(): readonly ("psk_dhe_ke" | "psk_ke")[] {
    return this.#config.pskModes?.length ? this.#config.pskModes : ["psk_dhe_ke"];
  }

  #placeholder(): Uint8Array {
    return new Uint8Array(this.#s.psk!.suite.hash.outputLength);
  }

  #pskExtension(binder: Uint8Array): Uint8Array {
    const psk = this.#s.psk!;
    return encodeOfferedPsks({
      identities: [{ identity: psk.identity, obfuscatedTicketAge: psk.obfuscatedAge }],
      binders: [binder],
    });
  }

  /**
   * RFC 8446 §4.2.11.2: the ClientHello body with its binder, an HMAC keyed
   * from the PSK over `hash` of the ClientHello truncated before the binders.
   */
  #withBinder(hash: (partial: Uint8Array) => Uint8Array): Uint8Array {
    const s = this.#s;
    const psk = s.psk!;
    const framed = frameHandshake(HandshakeType.client_hello, encodeClientHello(s.hello));
    const tail = bindersLength([this.#placeholder()]);
    const truncated = framed.subarray(0, framed.length - tail);
    s.pskSchedule = this.#flow.keySchedule(psk.suite);
    s.pskSchedule.usePsk(psk.secret);
    const binder = s.pskSchedule.binder(psk.kind, hash(truncated));
    this.#io.trace({
      kind: "psk",
      detail:
        `binder ${binder.toHex()} computed, keyed from the early secret of the ${psk.kind} PSK`,
      ok: true,
    });
    framed.set(encodeBinders([binder]), framed.length - tail);
    s.hello = {
      ...s.hello,
      extensions: s.hello.extensions.map((e) =>
        e.type === ExtensionType.pre_shared_key
          ? { type: e.type, data: this.#pskExtension(binder) }
          : e
      ),
    };
    return framed.subarray(4);
  }

  /** RFC 8446 §4.2.8: a fresh key exchange for `group` (or the configured fixed one). */
  #startKeyExchange(group: number): MaybePromise<ActiveKeyExchange> {
    const fixed = this.#config.keyShares;
    return fixed ? fixed(group) : requireGroup(this.#prefs.crypto, group).start();
  }

  #keyShareExtension(): Uint8Array {
    return encodeClientKeyShares(
      this.#s.shares.map((s) => ({ group: s.group, keyExchange: s.share })),
    );
  }

  /** RFC 8446 §4.1.3: reads a ServerHello (or HelloRetryRequest) and checks what both have in common. */
  async #readServerHello(): Promise<ServerHello> {
    const s = this.#s;
    const msg = await this.#flow.expect(HandshakeType.server_hello);
    const sh = decodeServerHello(msg.body);
    // RFC 8446 Appendix D.5: SSL 3.0 or older in legacy_version is refused, whatever else is said.
    if (sh.legacyVersion <= ProtocolVersion.SSLv3) {
      throw new TlsError(
        "legacy_version_too_old",
        `the ServerHello's legacy_version is ${
          versionName(sh.legacyVersion)
        }; SSL 3.0 and older are refused`,
      );
    }
    const versions = findExtension(sh.extensions, ExtensionType.supported_versions);
    if (!versions) {
      // RFC 8446 §4.1.3: a TLS 1.2 (or older) ServerHello; check the downgrade sentinel for the message.
      const tail = sh.random.subarray(24);
      const why =
        constantTimeEqual(tail, DOWNGRADE_TLS12) || constantTimeEqual(tail, DOWNGRADE_TLS11)
          ? " (and its random carries the downgrade sentinel)"
          : "";
      throw new TlsError(
        "server_chose_old_version",
        `the server chose ${
          versionName(sh.legacyVersion)
        }, but this client speaks only TLS 1.3${why}`,
      );
    }
    const version = decodeSelectedVersion(versions);
    if (version !== ProtocolVersion.TLSv1_3) {
      throw new TlsError(
        "selected_unoffered_version",
        `the server selected version ${versionName(version)}, which was not offered`,
      );
    }
    if (sh.legacyVersion !== ProtocolVersion.TLSv1_2) {
      throw new TlsError(
        "server_hello_legacy_version",
        "ServerHello: legacy_version is not 0x0303",
      );
    }
    if (!constantTimeEqual(sh.legacySessionIdEcho, s.hello.legacySessionId)) {
      throw new TlsError(
        "session_id_echo_mismatch",
        "ServerHello: legacy_session_id_echo does not match",
      );
    }
    if (sh.legacyCompressionMethod !== 0) {
      throw new TlsError("compression_not_null", "ServerHello: legacy_compression_method is not 0");
    }
    const suite = this.#prefs.suites.find((ours) => ours.id === sh.cipherSuite);
    if (!suite) {
      throw new TlsError(
        "selected_unoffered_cipher_suite",
        `the server chose cipher suite 0x${
          sh.cipherSuite.toString(16).padStart(4, "0")
        }, which was not offered`,
      );
    }
    // RFC 8446 §4.1.4: after a HelloRetryRequest the ServerHello must keep its suite.
    if (s.suite && suite !== s.suite) {
      throw new TlsError(
        "cipher_suite_changed_after_retry",
        "the ServerHello changed the cipher suite chosen by the HelloRetryRequest",
      );
    }
    s.suite = suite;
    const hrr = isHelloRetryRequest(sh);
    // RFC 8446 §4.2.2: a HelloRetryRequest may carry a cookie the client did not offer.
    const offered = hrr ? new Set([...s.offered, ExtensionType.cookie]) : s.offered;
    checkReplyExtensions(
      sh.extensions,
      HandshakeType.server_hello,
      offered,
      hrr ? HRR_EXTENSIONS : SERVER_HELLO_EXTENSIONS,
    );
    if (!hrr) {
      this.#readSelectedPsk(sh, suite);
      this.#flow.transcript.useHash(suite.hash);
      this.#flow.accept(msg);
    } else s.pendingHrr = msg;
    return sh;
  }

  /** RFC 8446 §4.2.11: the server's pre_shared_key names the PSK it accepted. */
  #readSelectedPsk(sh: ServerHello, suite: Suite): void {
    const s = this.#s;
    const ext = findExtension(sh.extensions, ExtensionType.pre_shared_key);
    if (!ext) {
      if (s.psk) {
        this.#io.trace({
          kind: "psk",
          detail: "the server declined the PSK: full handshake",
          ok: false,
        });
      }
      return;
    }
    const index = decodeSelectedIdentity(ext);
    if (index !== 0) {
      throw new TlsError(
        "selected_unoffered_psk",
        `the server selected PSK ${index}, but only one was offered`,
      );
    }
    // RFC 8446 §4.2.11: the server must pick a suite with the PSK's hash.
    if (suite.hash.name !== s.psk!.suite.hash.name) {
      throw new TlsError(
        "psk_suite_hash_mismatch",
        `the server accepted the PSK with ${suite.name}, whose hash is not the PSK's`,
      );
    }
    const dhe = findExtension(sh.extensions, ExtensionType.key_share) !== undefined;
    if (!this.#pskModes().includes(dhe ? "psk_dhe_ke" : "psk_ke")) {
      throw new TlsError(
        dhe ? "psk_ke_with_key_share" : "psk_dhe_ke_without_key_share",
        `the server accepted the PSK ${
          dhe ? "with a key_share, but psk_dhe_ke" : "without a key_share, but psk_ke"
        } was not offered`,
      );
    }
    s.pskMode = dhe ? "psk_dhe_ke" : "psk_ke";
    this.#io.trace({
      kind: "psk",
      detail: `the server accepted the ${s.psk!.kind} PSK (${s.pskMode})`,
      ok: true,
    });
  }

  /**
   * RFC 8446 §4.1.4: answers a HelloRetryRequest with a second ClientHello
   * holding a share for the group the server asked for (and its cookie).
   */
  async #handleHelloRetryRequest(hrr: ServerHello): Promise<void> {
    const s = this.#s;
    s.helloRetry = true;
    const groupExt = findExtension(hrr.extensions, ExtensionType.key_share);
    const cookieExt = findExtension(hrr.extensions, ExtensionType.cookie);
    const group = groupExt ? decodeSelectedGroup(groupExt) : undefined;
    if (group !== undefined) {
      if (!this.#prefs.groups.includes(group)) {
        throw new TlsError(
          "retry_group_not_offered",
          `the HelloRetryRequest asks for group ${NamedGroup.name(group)}, which was not offered`,
        );
      }
      if (s.shares.some((share) => share.group === group)) {
        throw new TlsError(
          "retry_group_already_shared",
          `the HelloRetryRequest asks for group ${
            NamedGroup.name(group)
          }, which already had a key share`,
        );
      }
    } else if (!cookieExt) {
      throw new TlsError(
        "retry_without_change",
        "the HelloRetryRequest would not change the ClientHello",
      );
    }
    if (group !== undefined) {
      this.#io.trace({
        kind: "hello_retry",
        group,
        reason: `the server wants a key share for ${NamedGroup.name(group)}`,
      });
    }
    // RFC 8446 §4.4.1: ClientHello1 becomes message_hash, then the HelloRetryRequest follows.
    this.#flow.transcript.replaceWithMessageHash(s.suite.hash);
    this.#flow.accept(s.pendingHrr!);
    s.pendingHrr = undefined;
    if (group !== undefined) {
      s.shares = [await this.#startKeyExchange(group)];
    }
    const exts = s.hello.extensions.map((e) =>
      e.type === ExtensionType.key_share ? { type: e.type, data: this.#keyShareExtension() } : e
    );
    if (cookieExt) {
      const at = s.psk ? exts.length - 1 : exts.length; // pre_shared_key stays last
      exts.splice(at, 0, {
        type: ExtensionType.cookie,
        data: encodeCookie(decodeCookie(cookieExt)),
      });
      s.offered.add(ExtensionType.cookie);
    }
    s.hello = { ...s.hello, extensions: exts };
    // RFC 8446 §4.1.2: no early data in the second ClientHello, which goes in the clear.
    if (s.early) {
      this.#io.trace({ kind: "psk", detail: "early data rejected: HelloRetryRequest", ok: false });
      s.hello = {
        ...s.hello,
        extensions: s.hello.extensions.filter((e) => e.type !== ExtensionType.early_data),
      };
      s.offered.delete(ExtensionType.early_data);
      s.early = undefined;
      s.earlyData = "rejected";
      this.#io.sendInTheClear();
    }
    // RFC 8446 §4.1.4: a PSK whose hash is not the HelloRetryRequest's suite's is dropped.
    if (s.psk && s.psk.suite.hash.name !== s.suite.hash.name) {
      const psk = new Set<number>([
        ExtensionType.pre_shared_key,
        ExtensionType.psk_key_exchange_modes,
      ]);
      s.hello = {
        ...s.hello,
        extensions: s.hello.extensions.filter((e) => !psk.has(e.type)),
      };
      psk.forEach((t) => s.offered.delete(t));
      s.psk = undefined;
    }
    this.#io.sendChangeCipherSpec();
    const hello = s.psk
      ? this.#withBinder((partial) => this.#flow.transcript.hashWith(partial))
      : encodeClientHello(s.hello);
    this.#flow.send(HandshakeType.client_hello, hello);
  }

  /** RFC 8446 §7.1: (EC)DHE with the server's share, then the handshake traffic secrets. */
  async #deriveHandshakeKeys(sh: ServerHello): Promise<void> {
    const s = this.#s;
    const pskSchedule = s.pskMode && s.pskSchedule?.suite === s.suite ? s.pskSchedule : undefined;
    s.schedule = pskSchedule ?? this.#flow.keySchedule(s.suite);
    if (s.pskMode && !pskSchedule) s.schedule.usePsk(s.psk!.secret);
    let shared: Uint8Array | undefined;
    if (s.pskMode !== "psk_ke") {
      const ext = findExtension(sh.extensions, ExtensionType.key_share);
      if (!ext) {
        throw new TlsError("missing_key_share", "the ServerHello has no key_share");
      }
      const entry = decodeServerKeyShare(ext);
      const share = s.shares.find((share) => share.group === entry.group);
      if (!share) {
        throw new TlsError(
          "selected_unoffered_group",
          `the server's key share is for ${
            NamedGroup.name(entry.group)
          }, for which no share was sent`,
        );
      }
      s.group = entry.group;
      shared = await share.complete(entry.keyExchange);
      this.#io.trace({ kind: "shared_secret", group: entry.group, value: shared });
    }
    s.schedule.handshakeSecrets(shared, this.#flow.hash());
    this.#io.sendChangeCipherSpec();
    await this.#flow.readKeys(s.schedule, "handshake");
    // With 0-RTT data sent, the early keys stay until the server says whether it took it.
    if (!s.early) await this.#flow.writeKeys(s.schedule, "handshake");
  }

  /** RFC 8446 §4.3.1: EncryptedExtensions, with the server's ALPN choice. */
  async #readEncryptedExtensions(): Promise<void> {
    const msg = await this.#flow.expect(HandshakeType.encrypted_extensions);
    const exts = decodeEncryptedExtensions(msg.body);
    checkReplyExtensions(exts, HandshakeType.encrypted_extensions, this.#s.offered, EE_EXTENSIONS);
    const sni = findExtension(exts, ExtensionType.server_name);
    if (sni && sni.length !== 0) {
      throw new TlsError(
        "server_name_ack_not_empty",
        "EncryptedExtensions: server_name is not empty",
      );
    }
    const alpn = findExtension(exts, ExtensionType.application_layer_protocol_negotiation);
    if (alpn) {
      const chosen = decodeAlpn(alpn);
      // RFC 7301 §3.1: exactly one protocol, one the client offered.
      if (chosen.length !== 1 || !this.#config.alpn?.includes(chosen[0])) {
        throw new TlsError(
          "selected_unoffered_application_protocol",
          `the server chose ALPN ${JSON.stringify(chosen)}, which was not offered`,
        );
      }
      this.#s.alpn = chosen[0];
    }
    this.#flow.accept(msg);
    if (this.#s.early) await this.#readEarlyDataAnswer(exts);
  }

  /**
   * RFC 8446 §4.2.10: an empty early_data in EncryptedExtensions accepts our
   * 0-RTT data; without it, the data was skipped, and our handshake keys
   * take over at once.
   */
  async #readEarlyDataAnswer(exts: Extension[]): Promise<void> {
    const s = this.#s;
    const ext = findExtension(exts, ExtensionType.early_data);
    if (!ext) {
      s.earlyData = "rejected";
      this.#io.trace({ kind: "psk", detail: "the server rejected the early data", ok: false });
      await this.#flow.writeKeys(s.schedule, "handshake");
      return;
    }
    if (ext.length !== 0) {
      throw new TlsError(
        "early_data_ack_not_empty",
        "EncryptedExtensions: early_data is not empty",
      );
    }
    if (!s.pskMode || (s.psk!.alpn ?? "") !== (s.alpn ?? "")) {
      throw new TlsError(
        "early_data_accepted_wrongly",
        s.pskMode
          ? "the server accepted early data with another ALPN protocol than the ticket's"
          : "the server accepted early data without accepting the PSK",
      );
    }
    s.earlyData = "accepted";
    this.#io.trace({ kind: "psk", detail: "the server accepted the early data", ok: true });
  }

  /**
   * RFC 8446 §4.3.2, §4.4.2, §4.4.3: the server's CertificateRequest, if it
   * asks for our certificate, then its chain and its signature.
   */
  async #readServerCertificate(): Promise<void> {
    const s = this.#s;
    let msg = await this.#flow.expect(HandshakeType.certificate_request, HandshakeType.certificate);
    if (msg.type === HandshakeType.certificate_request) {
      this.#readCertificateRequest(msg);
      msg = await this.#flow.expect(HandshakeType.certificate);
    }
    await this.#readCertificate(msg);
    s.peerScheme = await auth.readCertificateVerify(
      this.#flow,
      s.peerChain[0],
      this.#prefs.schemes,
    );
  }

  /** RFC 8446 §4.3.2: the server asks for our certificate. */
  #readCertificateRequest(msg: HandshakeMessage): void {
    const cr = decodeCertificateRequest(msg.body);
    const algs = findExtension(cr.extensions, ExtensionType.signature_algorithms);
    if (!algs) {
      throw new TlsError(
        "missing_signature_algorithms",
        "the CertificateRequest has no signature_algorithms",
      );
    }
    // RFC 8446 §4.3.2: the context is empty during the handshake.
    if (cr.context.length !== 0) {
      throw new TlsError(
        "certificate_request_context_not_empty",
        "the CertificateRequest context is not empty",
      );
    }
    this.#s.certificateRequest = {
      context: cr.context,
      schemes: decodeU16List(algs, ExtensionType.signature_algorithms),
    };
    this.#flow.accept(msg);
  }

  /** RFC 8446 §4.4.2: the server's chain, checked by the configured verifier. */
  async #readCertificate(msg: HandshakeMessage): Promise<void> {
    const cert = auth.decodePeerCertificate(this.#flow, msg);
    // RFC 8446 §4.4.2.4: an empty server Certificate is a decode_error.
    if (cert.entries.length === 0) {
      throw new TlsError("server_sent_no_certificate", "the server sent no certificate");
    }
    for (const e of cert.entries) {
      checkReplyExtensions(e.extensions, HandshakeType.certificate, this.#s.offered, new Set());
    }
    this.#s.peerChain = cert.entries.map((e) => e.certificate);
    this.#flow.accept(msg);
    await verifyPeerChain(this.#io, this.#config.verifier, this.#s.peerChain, {
      peer: "server",
      serverName: this.#config.serverName,
    });
  }

  /** RFC 8446 §4.4.4: the server's Finished, then the application traffic secrets. */
  async #readFinished(): Promise<void> {
    const { schedule } = this.#s;
    await auth.readFinished(this.#flow, schedule);
    schedule.applicationSecrets(this.#flow.hash());
    await this.#flow.readKeys(schedule, "application");
  }

  /**
   * RFC 8446 §4.4.2, §4.4.3: our certificate and signature if we have one
   * the server can accept, else an empty Certificate.
   */
  async #sendClientCertificate(): Promise<void> {
    const req = this.#s.certificateRequest!;
    const ours = this.#config.certificate;
    const scheme = ours && chooseScheme(ours.key, req.schemes);
    auth.sendCertificate(this.#flow, req.context, ours && scheme ? ours.chain : []);
    if (ours && scheme) await auth.sendCertificateVerify(this.#flow, ours.key, scheme);
  }

  /** RFC 8446 §4.4.4: our Finished; then application keys protect what we send. */
  async #sendFinished(): Promise<void> {
    const s = this.#s;
    auth.sendFinished(this.#flow, s.schedule);
    if (this.#config.sessions) {
      s.resumptionSecret = s.schedule.resumptionMasterSecret(this.#flow.hash());
    }
    await this.#flow.writeKeys(s.schedule, "application");
  }
}

/** The groups the first ClientHello sends key shares for (see `sendClientHello`). */
function initialShareGroups(groups: readonly number[]): number[] {
  const first = groups[0];
  if (hybridLayout(first) === undefined) return [first];
  const classical = groups.find((g) => hybridLayout(g) === undefined);
  return classical === undefined ? [first] : [first, classical];
}
