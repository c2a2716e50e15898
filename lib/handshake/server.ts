/**
 * The server side of the TLS 1.3 handshake (RFC 8446 §2, §4), one method
 * per step, called in protocol order from `run()`:
 *
 *   readClientHello → negotiate (chooseSuite → chooseGroup → chooseScheme →
 *   server name → chooseAlpn) [→ sendHelloRetryRequest → readSecondClientHello]
 *   → acceptPsk → completeKeyExchange → sendServerHello → deriveHandshakeKeys →
 *   sendEncryptedExtensions → [sendCertificateRequest → sendCertificate →
 *   sendCertificateVerify, unless a PSK was accepted] → sendFinished →
 *   [readClientCertificate → readCertificateVerify] → readFinished; then,
 *   the handshake complete, sendNewSessionTickets
 *
 * The steps are private; what the handshake has learnt and chosen is held in
 * one place (`ServerState`), its messages and keys go through a
 * `HandshakeFlow`, and Certificate, CertificateVerify and Finished are the
 * steps of `authentication.ts`, shared with the client.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import {
  CipherSuite,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
  SignatureScheme,
  versionName,
} from "../codepoints.ts";
import type { HandshakeInfo, ServerConfig } from "../config.ts";
import type { KeySchedule } from "../crypto/key_schedule.ts";
import { completeDiffieHellman } from "../crypto/key_share.ts";
import type { CompletedKeyExchange, Suite } from "../crypto/provider.ts";
import { chooseScheme } from "../crypto/signing_key.ts";
import { constantTimeEqual } from "../wire/writer.ts";
import { isGrease } from "../wire/open_enum.ts";
import * as auth from "./authentication.ts";
import {
  decodeAlpn,
  decodeClientKeyShares,
  decodeClientVersions,
  decodeCookie,
  decodeServerName,
  decodeU16List,
  EMPTY,
  encodeAlpn,
  encodeCertificateAuthorities,
  encodeCookie,
  encodeSelectedGroup,
  encodeSelectedVersion,
  encodeServerKeyShare,
  encodeU16List,
  type Extension,
  findExtension,
  type KeyShareEntry,
} from "./extensions.ts";
import { HandshakeFlow } from "./flow.ts";
import type { HandshakeIO } from "./io.ts";
import {
  findGroup,
  type Preferences,
  preferences,
  requireGroup,
  verifyPeerChain,
} from "./peer_auth.ts";
import {
  type ClientHello,
  decodeClientHello,
  encodeCertificateRequest,
  encodeEncryptedExtensions,
  encodeServerHello,
  type HandshakeMessage,
  HELLO_RETRY_REQUEST_RANDOM,
} from "./messages.ts";
import { type AcceptedPsk, acceptPsk, sendNewSessionTickets } from "./server_psk.ts";
import { encodeSelectedIdentity } from "./psk_extensions.ts";

/**
 * RFC 8446 §4.1.2: extensions that may differ between the first and second
 * ClientHello.
 */
const MAY_CHANGE_AFTER_HRR = new Set<number>([
  ExtensionType.key_share,
  ExtensionType.cookie,
  ExtensionType.early_data,
  ExtensionType.padding,
  ExtensionType.pre_shared_key,
]);

/** What the server handshake learns and decides, in the order it does. */
class ServerState {
  /** The ClientHello being answered (the second one, after a HelloRetryRequest). */
  hello!: ClientHello;
  /** RFC 8446 §4.1.1: the cipher suite chosen. */
  suite!: Suite;
  /** RFC 8446 §4.2.7: the group chosen. */
  group = 0;
  /** The client's share for `group`, if it sent one (else a HelloRetryRequest asks for it). */
  share?: KeyShareEntry;
  /** RFC 8446 §4.2.3: the scheme of our CertificateVerify (0 for a server without certificate). */
  scheme = 0;
  /** RFC 6066 §3: the server name the client asked for. */
  serverName?: string;
  /** RFC 7301 §3.2: the application protocol chosen. */
  alpn?: string;
  helloRetry = false;
  /** RFC 8446 §4.2.2: the cookie of our HelloRetryRequest. */
  cookie?: Uint8Array;
  /** RFC 8446 §4.2.11: the PSK accepted, if any. */
  psk?: AcceptedPsk;
  earlyData: "accepted" | "rejected" | "none" = "none";
  /** Our key share and the shared secret (none in psk_ke mode). */
  exchange?: CompletedKeyExchange;
  schedule!: KeySchedule;
  /** The client's certificate chain, if it sent one (or the resumed session's). */
  peerChain: Uint8Array[] = [];
}

/** Runs the server handshake over `io`. */
export class ServerHandshake {
  readonly #io: HandshakeIO;
  readonly #flow: HandshakeFlow;
  readonly #config: ServerConfig;
  readonly #prefs: Preferences;
  readonly #s = new ServerState();

  constructor(io: HandshakeIO, config: ServerConfig) {
    this.#io = io;
    this.#flow = new HandshakeFlow(io, "server", config);
    this.#config = config;
    this.#prefs = preferences(config);
  }

  /** The peer's certificate chain as received (DER, leaf first), whether or not it was trusted. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.#s.peerChain;
  }

  /** The client random, once the ClientHello is read (for the key log). */
  get clientRandom(): Uint8Array | undefined {
    return this.#s.hello?.random;
  }

  /** The whole handshake, in the order of RFC 8446 §2. */
  async run(): Promise<HandshakeInfo> {
    const s = this.#s;
    const first = await this.#flow.expect(HandshakeType.client_hello);
    s.hello = this.#readClientHello(first);
    this.#negotiate(s.hello);
    this.#declineEarlyData();
    this.#flow.transcript.useHash(s.suite.hash);
    let hello = first;
    if (!s.share) {
      this.#sendHelloRetryRequest(first);
      hello = await this.#flow.expect(HandshakeType.client_hello);
      this.#readSecondClientHello(hello);
    }
    await this.#acceptPsk(hello.raw);
    this.#flow.accept(hello);
    if (s.earlyData === "accepted") await this.#acceptEarlyData();
    if (s.psk?.mode !== "psk_ke") await this.#completeKeyExchange();
    this.#sendServerHello();
    await this.#deriveHandshakeKeys();
    this.#sendEncryptedExtensions();
    const certificates = !s.psk;
    if (certificates) {
      if (this.#config.clientAuth) this.#sendCertificateRequest();
      const { chain, key } = this.#config.certificate!;
      auth.sendCertificate(this.#flow, EMPTY, chain);
      await auth.sendCertificateVerify(this.#flow, key, s.scheme);
    }
    await this.#sendFinished();
    if (s.earlyData === "accepted") await this.#readEndOfEarlyData();
    if (certificates && this.#config.clientAuth) await this.#readClientCertificate();
    await this.#readFinished();
    return {
      version: "TLSv1.3",
      provider: this.#prefs.crypto.name,
      cipherSuite: s.suite.name,
      group: s.psk?.mode === "psk_ke" ? "none" : NamedGroup.name(s.group),
      signatureScheme: s.psk ? "none" : SignatureScheme.name(s.scheme),
      alpn: s.alpn,
      serverName: s.serverName,
      helloRetry: s.helloRetry,
      peerCertificates: s.peerChain,
      resumed: s.psk !== undefined,
      pskMode: s.psk?.mode,
      earlyData: s.earlyData,
    };
  }

  /**
   * RFC 8446 §4.6.1: tickets for this session, under the application keys,
   * once the handshake is complete (the connection calls it), if configured.
   */
  async sendNewSessionTickets(): Promise<void> {
    if (!this.#config.tickets) return;
    const s = this.#s;
    await sendNewSessionTickets({
      io: this.#io,
      settings: this.#config.tickets!,
      schedule: s.schedule,
      resumptionSecret: s.schedule.resumptionMasterSecret(this.#flow.hash()),
      suite: s.suite,
      alpn: s.alpn,
      serverName: s.serverName,
      clientCertificate: s.peerChain[0],
    });
  }

  /** RFC 8446 §4.1.2: decodes a ClientHello and checks what TLS 1.3 requires of it. */
  #readClientHello(msg: HandshakeMessage): ClientHello {
    const ch = decodeClientHello(msg.body);
    // RFC 8446 Appendix D.5: SSL 3.0 or older in legacy_version is refused, whatever else is offered.
    if (ch.legacyVersion <= ProtocolVersion.SSLv3) {
      throw new TlsError(
        "legacy_version_too_old",
        `the ClientHello's legacy_version is ${
          versionName(ch.legacyVersion)
        }; SSL 3.0 and older are refused`,
      );
    }
    const versions = findExtension(ch.extensions, ExtensionType.supported_versions);
    if (!versions) {
      throw new TlsError(
        "client_lacks_tls13",
        `the client offers only ${
          versionName(ch.legacyVersion)
        } (no supported_versions); this server speaks only TLS 1.3`,
      );
    }
    const offered = decodeClientVersions(versions);
    if (!offered.includes(ProtocolVersion.TLSv1_3)) {
      const names = offered.filter((v) => !isGrease(v)).map((v) => versionName(v)).join(
        ", ",
      );
      throw new TlsError(
        "client_lacks_tls13",
        `the client offers ${names || "no versions"}, not TLS 1.3; this server speaks only TLS 1.3`,
      );
    }
    // RFC 8446 §4.1.2: TLS 1.3 ClientHellos carry exactly one compression method, null.
    if (ch.legacyCompressionMethods.length !== 1 || ch.legacyCompressionMethods[0] !== 0) {
      throw new TlsError(
        "compression_not_null",
        "ClientHello: legacy_compression_methods is not just null (0)",
      );
    }
    // RFC 8446 §4.2.11: pre_shared_key, if present, must be the last extension.
    const psk = ch.extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
    if (psk >= 0 && psk !== ch.extensions.length - 1) {
      throw new TlsError(
        "psk_not_last_extension",
        "ClientHello: pre_shared_key is not the last extension",
      );
    }
    return ch;
  }

  /**
   * RFC 8446 §4.1.1: chooses suite, group, signature scheme and ALPN, by this
   * server's order of preference among what the client offers, and reads
   * the server name it asks for.
   */
  #negotiate(ch: ClientHello): void {
    const s = this.#s;
    s.suite = this.#chooseSuite(ch);
    const required = requiredExtensions(ch);
    ({ group: s.group, share: s.share } = this.#chooseGroup(required));
    s.scheme = this.#chooseScheme(required.signatureAlgorithms);
    s.serverName = serverNameOf(ch);
    s.alpn = this.#chooseAlpn(ch);
  }

  /** RFC 8446 §4.1.1: our most preferred cipher suite among those the client offers. */
  #chooseSuite(ch: ClientHello): Suite {
    const suite = this.#prefs.suites.find((s) => ch.cipherSuites.includes(s.id));
    if (!suite) {
      throw new TlsError(
        "no_common_cipher_suite",
        `no cipher suite in common (the client offers ${
          listNames(ch.cipherSuites, CipherSuite.name)
        })`,
      );
    }
    return suite;
  }

  /**
   * RFC 8446 §4.2.7, §4.2.8: the group, and the client's share for it if
   * it sent one. A share the client sent for a group we accept saves a
   * round trip, so the group is our favourite among those shares; only when
   * none fits is the client asked again (HelloRetryRequest) for our
   * favourite among all it supports.
   */
  #chooseGroup(exts: RequiredExtensions): { group: number; share?: KeyShareEntry } {
    const clientGroups = decodeU16List(exts.supportedGroups, ExtensionType.supported_groups);
    const shares = decodeClientKeyShares(exts.keyShare);
    for (const s of shares) {
      // RFC 8446 §4.2.8: shares only for groups in supported_groups.
      if (!clientGroups.includes(s.group)) {
        throw new TlsError(
          "key_share_group_not_supported",
          `ClientHello: a key share for ${
            NamedGroup.name(s.group)
          }, which is not in supported_groups`,
        );
      }
    }
    const usable = (g: number) =>
      findGroup(this.#prefs.crypto, g) !== undefined && clientGroups.includes(g);
    const groups = this.#prefs.groups;
    const group = groups.find((g) => usable(g) && shares.some((s) => s.group === g)) ??
      groups.find(usable);
    if (group === undefined) {
      throw new TlsError(
        "no_common_group",
        `no group in common (the client offers ${listNames(clientGroups, NamedGroup.name)})`,
      );
    }
    return { group, share: shares.find((s) => s.group === group) };
  }

  /**
   * RFC 8446 §4.2.3: the scheme of our CertificateVerify, one the client
   * accepts and our key can sign with (0 for a server with external PSKs
   * only: it has no certificate).
   */
  #chooseScheme(signatureAlgorithms: Uint8Array): number {
    const clientSchemes = decodeU16List(signatureAlgorithms, ExtensionType.signature_algorithms);
    const key = this.#config.certificate?.key;
    if (!key) return 0;
    const scheme = chooseScheme(key, clientSchemes);
    if (scheme === undefined) {
      throw new TlsError(
        "no_common_signature_scheme",
        `no signature scheme in common for this server's ${
          key.schemes.map(SignatureScheme.name).join("/")
        } key (the client accepts ${listNames(clientSchemes, SignatureScheme.name)})`,
      );
    }
    return scheme;
  }

  /** RFC 7301 §3.2: our most preferred application protocol among those the client offers. */
  #chooseAlpn(ch: ClientHello): string | undefined {
    const ext = findExtension(ch.extensions, ExtensionType.application_layer_protocol_negotiation);
    const ours = this.#config.alpn;
    if (!ext || !ours?.length) return undefined;
    const offered = decodeAlpn(ext);
    const alpn = ours.find((p) => offered.includes(p));
    // RFC 7301 §3.2: no protocol in common is a no_application_protocol alert.
    if (alpn === undefined) {
      throw new TlsError(
        "no_common_application_protocol",
        `no ALPN protocol in common (the client offers ${offered.join(", ")}; this server accepts ${
          ours.join(", ")
        })`,
      );
    }
    return alpn;
  }

  /**
   * RFC 8446 §4.2.10: early data is declined unless a PSK that allows it is
   * accepted (acceptEarlyData then takes it): the early_data extension stays
   * out of EncryptedExtensions and the 0-RTT records a client that offered
   * it may already be sending are skipped: without a HelloRetryRequest,
   * those that do not open under the handshake keys; with one, every
   * encrypted record until the second ClientHello.
   */
  #declineEarlyData(): void {
    if (!findExtension(this.#s.hello.extensions, ExtensionType.early_data)) return;
    this.#io.skipEarlyData(this.#s.share ? "undecryptable" : "encrypted");
  }

  /**
   * RFC 8446 §4.1.4: the client sent no share for any group this server
   * accepts, so ask for one, with a cookie the second ClientHello must echo.
   */
  #sendHelloRetryRequest(firstHello: HandshakeMessage): void {
    const s = this.#s;
    s.helloRetry = true;
    this.#io.trace({
      kind: "hello_retry",
      group: s.group,
      reason: `the client sent no key share for a group this server accepts; it asks for ${
        NamedGroup.name(s.group)
      }`,
    });
    s.cookie = this.#io.random(32);
    const hrr = {
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionIdEcho: s.hello.legacySessionId,
      cipherSuite: s.suite.id,
      legacyCompressionMethod: 0,
      extensions: [
        {
          type: ExtensionType.supported_versions,
          data: encodeSelectedVersion(ProtocolVersion.TLSv1_3),
        },
        { type: ExtensionType.key_share, data: encodeSelectedGroup(s.group) },
        { type: ExtensionType.cookie, data: encodeCookie(s.cookie) },
      ],
    };
    // RFC 8446 §4.4.1: ClientHello1 is replaced by its hash, then the HelloRetryRequest follows.
    this.#flow.accept(firstHello);
    this.#flow.transcript.replaceWithMessageHash(s.suite.hash);
    this.#flow.send(HandshakeType.server_hello, encodeServerHello(hrr));
    if (s.hello.legacySessionId.length) this.#io.sendChangeCipherSpec();
  }

  /**
   * RFC 8446 §4.1.2: the second ClientHello must be the first one with only
   * the key share replaced (for the requested group) and the cookie added.
   */
  #readSecondClientHello(msg: HandshakeMessage): void {
    const s = this.#s;
    const first = s.hello;
    const second = this.#readClientHello(msg);
    const changed = (what: string) =>
      new TlsError("retry_client_hello_changed", `the second ClientHello changed ${what}`);
    if (second.legacyVersion !== first.legacyVersion) throw changed("legacy_version");
    if (!constantTimeEqual(second.random, first.random)) throw changed("the random");
    if (!constantTimeEqual(second.legacySessionId, first.legacySessionId)) {
      throw changed("legacy_session_id");
    }
    if (second.cipherSuites.join() !== first.cipherSuites.join()) {
      throw changed("the cipher suites");
    }
    const stable = (exts: Extension[]) =>
      new Map(
        exts.filter((e) => !MAY_CHANGE_AFTER_HRR.has(e.type)).map((e) => [e.type, e.data.toHex()]),
      );
    const a = stable(first.extensions), b = stable(second.extensions);
    for (const [type, data] of a) {
      if (b.get(type) !== data) throw changed(`the ${ExtensionType.name(type)} extension`);
    }
    for (const type of b.keys()) {
      if (!a.has(type)) throw changed(`its extensions (added ${ExtensionType.name(type)})`);
    }
    if (findExtension(second.extensions, ExtensionType.early_data)) {
      throw new TlsError("early_data_after_retry", "the second ClientHello offers early data");
    }
    const cookie = findExtension(second.extensions, ExtensionType.cookie);
    if (!cookie) {
      throw new TlsError("retry_cookie_missing", "the second ClientHello does not echo the cookie");
    }
    if (!constantTimeEqual(decodeCookie(cookie), s.cookie!)) throw changed("the cookie");
    const sharesExt = findExtension(second.extensions, ExtensionType.key_share);
    if (!sharesExt) {
      throw new TlsError("missing_key_share", "the second ClientHello has no key_share extension");
    }
    const shares = decodeClientKeyShares(sharesExt);
    if (shares.length !== 1 || shares[0].group !== s.group) {
      throw new TlsError(
        "retry_key_share_wrong",
        `the second ClientHello does not hold exactly one key share, for ${
          NamedGroup.name(s.group)
        }`,
      );
    }
    s.hello = second;
    s.share = shares[0];
    this.#io.skipEarlyData("none");
  }

  /**
   * RFC 8446 §4.2.11: picks the first offered PSK this server can use (a
   * ticket it sealed, or an external PSK it holds) and checks its binder;
   * none usable means a full handshake, which needs a certificate. Early
   * data is accepted only with the PSK (RFC 8446 §4.2.10).
   */
  async #acceptPsk(hello: Uint8Array): Promise<void> {
    const s = this.#s;
    s.psk = await acceptPsk({
      io: this.#io,
      config: this.#config,
      hello: s.hello,
      raw: hello,
      suite: s.suite,
      serverName: s.serverName,
      transcript: this.#flow.transcript,
      helloRetry: s.helloRetry,
      alpn: s.alpn,
    });
    if (s.psk) {
      s.schedule = s.psk.schedule;
      if (s.psk.clientCertificate) s.peerChain = [s.psk.clientCertificate];
    }
    s.earlyData = s.psk?.earlyData.accepted
      ? "accepted"
      : findExtension(s.hello.extensions, ExtensionType.early_data)
      ? "rejected"
      : "none";
    if (!s.psk && !this.#config.certificate) {
      throw new TlsError(
        "no_psk_and_no_certificate",
        "the client offered no PSK this server holds, and it has no certificate",
      );
    }
  }

  /**
   * RFC 8446 §4.2.10, §7.1: the client's 0-RTT data follows its ClientHello,
   * under keys from client_early_traffic_secret.
   */
  async #acceptEarlyData(): Promise<void> {
    const { psk, schedule } = this.#s;
    const { earlyData } = psk!;
    schedule.earlyTrafficSecret(this.#flow.hash());
    this.#io.skipEarlyData("none"); // declined until now: accepted after all
    this.#io.acceptEarlyData(earlyData.accepted ? earlyData.maxBytes : 0);
    await this.#flow.readKeys(schedule, "early");
  }

  /**
   * RFC 8446 §4.2.8: from the client's share for the chosen group, in one
   * step, our share and the shared secret (a bad client share is
   * illegal_parameter).
   */
  async #completeKeyExchange(): Promise<void> {
    const { group, share } = this.#s;
    const fixed = this.#config.keyShares;
    this.#s.exchange =
      await (fixed
        ? completeDiffieHellman(group, () => fixed(group), share!.keyExchange)
        : requireGroup(this.#prefs.crypto, group).complete(share!.keyExchange));
  }

  /** RFC 8446 §4.1.3: ServerHello with our key share; then the compatibility ChangeCipherSpec. */
  #sendServerHello(): void {
    const s = this.#s;
    const sh = {
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: this.#io.random(32),
      legacySessionIdEcho: s.hello.legacySessionId,
      cipherSuite: s.suite.id,
      legacyCompressionMethod: 0,
      extensions: [
        {
          type: ExtensionType.supported_versions,
          data: encodeSelectedVersion(ProtocolVersion.TLSv1_3),
        },
      ],
    };
    if (s.exchange) {
      sh.extensions.push({
        type: ExtensionType.key_share,
        data: encodeServerKeyShare({ group: s.group, keyExchange: s.exchange.share }),
      });
    }
    if (s.psk) {
      sh.extensions.push({
        type: ExtensionType.pre_shared_key,
        data: encodeSelectedIdentity(s.psk.index),
      });
    }
    this.#flow.send(HandshakeType.server_hello, encodeServerHello(sh));
    // RFC 8446 §D.4: in compatibility mode the CCS follows the first ServerHello or HelloRetryRequest.
    if (s.hello.legacySessionId.length && !s.helloRetry) this.#io.sendChangeCipherSpec();
  }

  /**
   * RFC 8446 §7.1: the (EC)DHE shared secret and Transcript-Hash(ClientHello..ServerHello)
   * (computed at once), then the handshake traffic secrets; handshake keys protect both
   * directions.
   */
  async #deriveHandshakeKeys(): Promise<void> {
    const s = this.#s;
    s.schedule ??= this.#flow.keySchedule(s.suite);
    const shared = s.exchange?.secret;
    if (shared) this.#io.trace({ kind: "shared_secret", group: s.group, value: shared });
    s.schedule.handshakeSecrets(shared, this.#flow.hash());
    await this.#flow.writeKeys(s.schedule, "handshake");
    // With 0-RTT, the early keys stay until EndOfEarlyData.
    if (s.earlyData !== "accepted") await this.#flow.readKeys(s.schedule, "handshake");
  }

  /** RFC 8446 §4.3.1: the ALPN choice and the SNI acknowledgement. */
  #sendEncryptedExtensions(): void {
    const s = this.#s;
    const exts: Extension[] = [];
    if (s.serverName !== undefined) exts.push({ type: ExtensionType.server_name, data: EMPTY });
    if (s.alpn !== undefined) {
      exts.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: encodeAlpn([s.alpn]),
      });
    }
    // RFC 8446 §4.2.10: an empty early_data in EncryptedExtensions accepts the 0-RTT data.
    if (s.earlyData === "accepted") exts.push({ type: ExtensionType.early_data, data: EMPTY });
    this.#flow.send(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(exts));
  }

  /** RFC 8446 §4.3.2: ask for the client's certificate. */
  #sendCertificateRequest(): void {
    const exts: Extension[] = [
      { type: ExtensionType.signature_algorithms, data: encodeU16List(this.#prefs.schemes) },
    ];
    const cas = this.#config.clientAuth?.authorities;
    if (cas?.length) {
      exts.push({
        type: ExtensionType.certificate_authorities,
        data: encodeCertificateAuthorities(cas),
      });
    }
    this.#flow.send(
      HandshakeType.certificate_request,
      encodeCertificateRequest({ context: EMPTY, extensions: exts }),
    );
  }

  /** RFC 8446 §4.4.4: our Finished; application keys then protect what we send. */
  async #sendFinished(): Promise<void> {
    const { schedule } = this.#s;
    auth.sendFinished(this.#flow, schedule);
    // Nothing is sent under these keys before the client's Finished.
    schedule.applicationSecrets(this.#flow.hash());
    await this.#flow.writeKeys(schedule, "application");
  }

  /**
   * RFC 8446 §4.5: EndOfEarlyData ends the 0-RTT data; the client's next
   * messages are under its handshake keys.
   */
  async #readEndOfEarlyData(): Promise<void> {
    const msg = await this.#flow.expect(HandshakeType.end_of_early_data);
    if (msg.body.length !== 0) {
      throw new TlsError("end_of_early_data_not_empty", "EndOfEarlyData is not empty");
    }
    this.#flow.accept(msg);
    await this.#flow.readKeys(this.#s.schedule, "handshake");
  }

  /** RFC 8446 §4.4.2, §4.4.3: the client's certificate (possibly none) and its signature. */
  async #readClientCertificate(): Promise<void> {
    const clientAuth = this.#config.clientAuth!;
    const msg = await this.#flow.expect(HandshakeType.certificate);
    const cert = auth.decodePeerCertificate(this.#flow, msg);
    this.#flow.accept(msg);
    if (cert.entries.length === 0) {
      // RFC 8446 §4.4.2.4: a server that requires a certificate answers none with certificate_required.
      if (clientAuth.required) {
        throw new TlsError(
          "client_certificate_required",
          "the client sent no certificate, and one is required",
        );
      }
      return;
    }
    const chain = cert.entries.map((e) => e.certificate);
    this.#s.peerChain = chain;
    await verifyPeerChain(this.#io, clientAuth.verifier, chain, { peer: "client" });
    await auth.readCertificateVerify(this.#flow, chain[0], this.#prefs.schemes);
  }

  /** RFC 8446 §4.4.4: the client's Finished; then application keys protect what we receive. */
  async #readFinished(): Promise<void> {
    await auth.readFinished(this.#flow, this.#s.schedule);
    await this.#flow.readKeys(this.#s.schedule, "application");
  }
}

/** The bodies of the ClientHello extensions this server requires. */
interface RequiredExtensions {
  readonly supportedGroups: Uint8Array;
  readonly keyShare: Uint8Array;
  readonly signatureAlgorithms: Uint8Array;
}

/**
 * RFC 8446 §9.2: the extensions a TLS 1.3 ClientHello must carry for this
 * server: supported_groups and key_share (mandatory without a PSK), and
 * signature_algorithms (for certificate authentication).
 */
function requiredExtensions(ch: ClientHello): RequiredExtensions {
  const supportedGroups = findExtension(ch.extensions, ExtensionType.supported_groups);
  if (!supportedGroups) {
    throw new TlsError("missing_supported_groups", "ClientHello: no supported_groups extension");
  }
  const keyShare = findExtension(ch.extensions, ExtensionType.key_share);
  if (!keyShare) {
    throw new TlsError("missing_key_share", "ClientHello: no key_share extension");
  }
  const signatureAlgorithms = findExtension(ch.extensions, ExtensionType.signature_algorithms);
  if (!signatureAlgorithms) {
    throw new TlsError(
      "missing_signature_algorithms",
      "ClientHello: no signature_algorithms extension",
    );
  }
  return { supportedGroups, keyShare, signatureAlgorithms };
}

/** RFC 6066 §3: the host name in the client's server_name, if it sent one. */
function serverNameOf(ch: ClientHello): string | undefined {
  const sni = findExtension(ch.extensions, ExtensionType.server_name);
  return sni ? decodeServerName(sni) : undefined;
}

/** A short list of code point names for error messages, GREASE left out. */
function listNames(values: readonly number[], name: (v: number) => string): string {
  const shown = values.filter((v) => !isGrease(v)).map(name);
  return shown.length ? shown.join(", ") : "nothing usable";
}
