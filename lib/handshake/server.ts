/**
 * The server side of the TLS 1.3 handshake (RFC 8446 §2, §4), one method
 * per step, called in protocol order from `run()`:
 *
 *   readClientHello → negotiate [→ sendHelloRetryRequest → readSecondClientHello]
 *   → completeKeyExchange → sendServerHello → deriveHandshakeKeys → sendEncryptedExtensions →
 *   [sendCertificateRequest] → sendCertificate → sendCertificateVerify →
 *   sendFinished → [readClientCertificate → readCertificateVerify] →
 *   readFinished
 *
 * @module
 */

import { AlertDescription, TlsError } from "../errors.ts";
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
import { KeySchedule, type TrafficSecrets } from "../crypto/key_schedule.ts";
import { completeDiffieHellman } from "../crypto/key_share.ts";
import type { CompletedKeyExchange, CryptoProvider, Suite } from "../crypto/provider.ts";
import { chooseScheme } from "../crypto/signing_key.ts";
import { constantTimeEqual } from "../wire/writer.ts";
import { isGrease } from "../wire/open_enum.ts";
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
import { certificateVerifyContent, type HandshakeIO } from "./io.ts";
import {
  checkCertificateVerify,
  findGroup,
  preferences,
  requireGroup,
  verifyPeerChain,
} from "./peer_auth.ts";
import {
  type ClientHello,
  decodeCertificate,
  decodeCertificateVerify,
  decodeClientHello,
  decodeFinished,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeServerHello,
  type HandshakeMessage,
  HELLO_RETRY_REQUEST_RANDOM,
} from "./messages.ts";
import { Transcript } from "./transcript.ts";

/** What the server chose from a ClientHello. */
interface Choice {
  suite: Suite;
  group: number;
  /** The client's share for `group`, if it sent one (else a HelloRetryRequest is needed). */
  share?: KeyShareEntry;
  scheme: number;
  alpn?: string;
  serverName?: string;
}

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

/** Runs the server handshake over `io`. */
export class ServerHandshake {
  readonly #io: HandshakeIO;
  readonly #config: ServerConfig;
  readonly #transcript: Transcript;
  readonly #crypto: CryptoProvider;
  readonly #groups: readonly number[];
  readonly #suites: readonly Suite[];
  readonly #schemes: readonly number[];

  #hello!: ClientHello;
  #choice!: Choice;
  #cookie?: Uint8Array;
  #schedule!: KeySchedule;
  #handshakeSecrets!: TrafficSecrets;
  #applicationSecrets!: TrafficSecrets;
  #helloRetry = false;
  #peerChain: Uint8Array[] = [];

  constructor(io: HandshakeIO, config: ServerConfig) {
    this.#io = io;
    this.#config = config;
    ({
      crypto: this.#crypto,
      groups: this.#groups,
      suites: this.#suites,
      schemes: this.#schemes,
    } = preferences(config));
    this.#transcript = new Transcript(
      config.trace &&
        ((hash, value, after) => io.trace({ kind: "transcript", hash, value, after })),
    );
  }

  /** The peer's certificate chain as received (DER, leaf first), whether or not it was trusted. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.#peerChain;
  }

  /** The client random, once the ClientHello is read (for the key log). */
  get clientRandom(): Uint8Array | undefined {
    return this.#hello?.random;
  }

  /** The whole handshake, in the order of RFC 8446 §2. */
  async run(): Promise<HandshakeInfo> {
    const first = await this.#io.expect(HandshakeType.client_hello);
    this.#hello = this.readClientHello(first);
    this.#choice = this.negotiate(this.#hello);
    this.declineEarlyData();
    this.#transcript.useHash(this.#choice.suite.hash);
    if (this.#choice.share) {
      this.#transcript.add(first.raw, "client");
    } else {
      this.sendHelloRetryRequest(first.raw);
      this.readSecondClientHello(await this.#io.expect(HandshakeType.client_hello));
    }
    await this.completeKeyExchange();
    this.sendServerHello();
    await this.deriveHandshakeKeys();
    this.sendEncryptedExtensions();
    if (this.#config.clientAuth) this.sendCertificateRequest();
    this.sendCertificate();
    await this.sendCertificateVerify();
    await this.sendFinished();
    if (this.#config.clientAuth) await this.readClientCertificate();
    await this.readFinished();
    return {
      version: "TLSv1.3",
      provider: this.#crypto.name,
      cipherSuite: this.#choice.suite.name,
      group: NamedGroup.name(this.#choice.group),
      signatureScheme: SignatureScheme.name(this.#choice.scheme),
      alpn: this.#choice.alpn,
      serverName: this.#choice.serverName,
      helloRetry: this.#helloRetry,
      peerCertificates: this.#peerChain,
    };
  }

  /** RFC 8446 §4.1.2: decodes a ClientHello and checks what TLS 1.3 requires of it. */
  readClientHello(msg: HandshakeMessage): ClientHello {
    const ch = decodeClientHello(msg.body);
    // RFC 8446 Appendix D.5: SSL 3.0 or older in legacy_version is refused, whatever else is offered.
    if (ch.legacyVersion <= ProtocolVersion.SSLv3) {
      throw new TlsError(
        AlertDescription.protocol_version,
        `the ClientHello's legacy_version is ${
          versionName(ch.legacyVersion)
        }; SSL 3.0 and older are refused`,
      );
    }
    const versions = findExtension(ch.extensions, ExtensionType.supported_versions);
    if (!versions) {
      throw new TlsError(
        AlertDescription.protocol_version,
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
        AlertDescription.protocol_version,
        `the client offers ${names || "no versions"}, not TLS 1.3; this server speaks only TLS 1.3`,
      );
    }
    // RFC 8446 §4.1.2: TLS 1.3 ClientHellos carry exactly one compression method, null.
    if (ch.legacyCompressionMethods.length !== 1 || ch.legacyCompressionMethods[0] !== 0) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "ClientHello: legacy_compression_methods is not just null (0)",
      );
    }
    // RFC 8446 §4.2.11: pre_shared_key, if present, must be the last extension.
    const psk = ch.extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
    if (psk >= 0 && psk !== ch.extensions.length - 1) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "ClientHello: pre_shared_key is not the last extension",
      );
    }
    return ch;
  }

  /**
   * RFC 8446 §4.1.1: chooses suite, group, signature scheme and ALPN, by this
   * server's order of preference among what the client offers.
   */
  negotiate(ch: ClientHello): Choice {
    const ext = (type: number) => findExtension(ch.extensions, type);
    const suite = this.#suites.find((s) => ch.cipherSuites.includes(s.id));
    if (!suite) {
      throw new TlsError(
        AlertDescription.handshake_failure,
        `no cipher suite in common (the client offers ${
          listNames(ch.cipherSuites, CipherSuite.name)
        })`,
      );
    }
    const groupsExt = ext(ExtensionType.supported_groups);
    const sharesExt = ext(ExtensionType.key_share);
    // RFC 8446 §9.2: without PSK, both supported_groups and key_share are mandatory.
    if (!groupsExt) {
      throw new TlsError(
        AlertDescription.missing_extension,
        "ClientHello: no supported_groups extension",
      );
    }
    if (!sharesExt) {
      throw new TlsError(AlertDescription.missing_extension, "ClientHello: no key_share extension");
    }
    const sigExt = ext(ExtensionType.signature_algorithms);
    if (!sigExt) {
      throw new TlsError(
        AlertDescription.missing_extension,
        "ClientHello: no signature_algorithms extension",
      );
    }
    const clientGroups = decodeU16List(groupsExt, ExtensionType.supported_groups);
    const shares = decodeClientKeyShares(sharesExt);
    for (const s of shares) {
      // RFC 8446 §4.2.8: shares only for groups in supported_groups.
      if (!clientGroups.includes(s.group)) {
        throw new TlsError(
          AlertDescription.illegal_parameter,
          `ClientHello: a key share for ${
            NamedGroup.name(s.group)
          }, which is not in supported_groups`,
        );
      }
    }
    // RFC 8446 §4.2.8: a share the client sent for a group we accept saves a round trip, so the
    // group is our favourite among those shares; only when none fits is the client asked again
    // (HelloRetryRequest) for our favourite among all it supports.
    const usable = (g: number) =>
      findGroup(this.#crypto, g) !== undefined && clientGroups.includes(g);
    const group = this.#groups.find((g) => usable(g) && shares.some((s) => s.group === g)) ??
      this.#groups.find(usable);
    if (group === undefined) {
      throw new TlsError(
        AlertDescription.handshake_failure,
        `no group in common (the client offers ${listNames(clientGroups, NamedGroup.name)})`,
      );
    }
    const clientSchemes = decodeU16List(sigExt, ExtensionType.signature_algorithms);
    const scheme = chooseScheme(this.#config.certificate.key, clientSchemes);
    if (scheme === undefined) {
      throw new TlsError(
        AlertDescription.handshake_failure,
        `no signature scheme in common for this server's ${
          this.#config.certificate.key.schemes.map(SignatureScheme.name).join("/")
        } key (the client accepts ${listNames(clientSchemes, SignatureScheme.name)})`,
      );
    }
    const sni = ext(ExtensionType.server_name);
    const serverName = sni ? decodeServerName(sni) : undefined;
    const alpnExt = ext(ExtensionType.application_layer_protocol_negotiation);
    let alpn: string | undefined;
    if (alpnExt && this.#config.alpn?.length) {
      const offered = decodeAlpn(alpnExt);
      alpn = this.#config.alpn.find((p) => offered.includes(p));
      // RFC 7301 §3.2: no protocol in common is a no_application_protocol alert.
      if (alpn === undefined) {
        throw new TlsError(
          AlertDescription.no_application_protocol,
          `no ALPN protocol in common (the client offers ${
            offered.join(", ")
          }; this server accepts ${this.#config.alpn.join(", ")})`,
        );
      }
    }
    return { suite, group, share: shares.find((s) => s.group === group), scheme, alpn, serverName };
  }

  /**
   * RFC 8446 §4.2.10: this server accepts no early data, so it leaves the
   * early_data extension out of EncryptedExtensions and skips the 0-RTT
   * records a client that offered it may already be sending: without a
   * HelloRetryRequest, those that do not open under the handshake keys;
   * with one, every encrypted record until the second ClientHello.
   */
  declineEarlyData(): void {
    if (!findExtension(this.#hello.extensions, ExtensionType.early_data)) return;
    this.#io.skipEarlyData(this.#choice.share ? "undecryptable" : "encrypted");
  }

  /**
   * RFC 8446 §4.1.4: the client sent no share for any group this server
   * accepts, so ask for one, with a cookie the second ClientHello must echo.
   */
  sendHelloRetryRequest(firstHello: Uint8Array): void {
    this.#helloRetry = true;
    const { group, suite } = this.#choice;
    this.#io.trace({
      kind: "hello_retry",
      group,
      reason: `the client sent no key share for a group this server accepts; it asks for ${
        NamedGroup.name(group)
      }`,
    });
    this.#cookie = this.#io.random(32);
    const hrr = {
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionIdEcho: this.#hello.legacySessionId,
      cipherSuite: suite.id,
      legacyCompressionMethod: 0,
      extensions: [
        {
          type: ExtensionType.supported_versions,
          data: encodeSelectedVersion(ProtocolVersion.TLSv1_3),
        },
        { type: ExtensionType.key_share, data: encodeSelectedGroup(group) },
        { type: ExtensionType.cookie, data: encodeCookie(this.#cookie) },
      ],
    };
    // RFC 8446 §4.4.1: ClientHello1 is replaced by its hash, then the HelloRetryRequest follows.
    this.#transcript.add(firstHello, "client");
    this.#transcript.replaceWithMessageHash(suite.hash);
    this.#transcript.add(
      this.#io.send(HandshakeType.server_hello, encodeServerHello(hrr)),
      "server",
    );
    if (this.#hello.legacySessionId.length) this.#io.sendChangeCipherSpec();
  }

  /**
   * RFC 8446 §4.1.2: the second ClientHello must be the first one with only
   * the key share replaced (for the requested group) and the cookie added.
   */
  readSecondClientHello(msg: HandshakeMessage): void {
    const first = this.#hello;
    const second = this.readClientHello(msg);
    const changed = (what: string) =>
      new TlsError(AlertDescription.illegal_parameter, `the second ClientHello changed ${what}`);
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
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "the second ClientHello offers early data",
      );
    }
    const cookie = findExtension(second.extensions, ExtensionType.cookie);
    if (!cookie) {
      throw new TlsError(
        AlertDescription.missing_extension,
        "the second ClientHello does not echo the cookie",
      );
    }
    if (!constantTimeEqual(decodeCookie(cookie), this.#cookie!)) throw changed("the cookie");
    const sharesExt = findExtension(second.extensions, ExtensionType.key_share);
    if (!sharesExt) {
      throw new TlsError(
        AlertDescription.missing_extension,
        "the second ClientHello has no key_share extension",
      );
    }
    const shares = decodeClientKeyShares(sharesExt);
    if (shares.length !== 1 || shares[0].group !== this.#choice.group) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        `the second ClientHello does not hold exactly one key share, for ${
          NamedGroup.name(this.#choice.group)
        }`,
      );
    }
    this.#hello = second;
    this.#choice = { ...this.#choice, share: shares[0] };
    this.#io.skipEarlyData("none");
    this.#transcript.add(msg.raw, "client");
  }

  #exchange?: CompletedKeyExchange;

  /** RFC 8446 §4.1.3: ServerHello with our key share; then the compatibility ChangeCipherSpec. */
  sendServerHello(): void {
    const sh = {
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: this.#io.random(32),
      legacySessionIdEcho: this.#hello.legacySessionId,
      cipherSuite: this.#choice.suite.id,
      legacyCompressionMethod: 0,
      extensions: [
        {
          type: ExtensionType.supported_versions,
          data: encodeSelectedVersion(ProtocolVersion.TLSv1_3),
        },
        {
          type: ExtensionType.key_share,
          data: encodeServerKeyShare({
            group: this.#choice.group,
            keyExchange: this.#exchange!.share,
          }),
        },
      ],
    };
    this.#transcript.add(
      this.#io.send(HandshakeType.server_hello, encodeServerHello(sh)),
      "server",
    );
    // RFC 8446 §D.4: in compatibility mode the CCS follows the first ServerHello or HelloRetryRequest.
    if (this.#hello.legacySessionId.length && !this.#helloRetry) this.#io.sendChangeCipherSpec();
  }

  /**
   * RFC 8446 §4.2.8: from the client's share for the chosen group, in one
   * step, our share and the shared secret (a bad client share is
   * illegal_parameter).
   */
  async completeKeyExchange(): Promise<void> {
    const { group, share } = this.#choice;
    const fixed = this.#config.keyShares;
    this.#exchange =
      await (fixed
        ? completeDiffieHellman(group, () => fixed(group), share!.keyExchange)
        : requireGroup(this.#crypto, group).complete(share!.keyExchange));
  }

  /**
   * RFC 8446 §7.1: the (EC)DHE shared secret and Transcript-Hash(ClientHello..ServerHello)
   * (computed at once), then the handshake traffic secrets; handshake keys protect both
   * directions.
   */
  async deriveHandshakeKeys(): Promise<void> {
    const { suite, group } = this.#choice;
    this.#schedule = new KeySchedule(
      suite,
      (name, value) => this.#io.trace({ kind: "secret", name, value }),
    );
    const shared = this.#exchange!.secret;
    this.#io.trace({ kind: "shared_secret", group, value: shared });
    this.#handshakeSecrets = this.#schedule.handshakeSecrets(shared, this.#transcript.hash());
    await this.#io.setWriteKeys(this.#schedule, this.#handshakeSecrets.server, "handshake");
    await this.#io.setReadKeys(this.#schedule, this.#handshakeSecrets.client, "handshake");
  }

  /** RFC 8446 §4.3.1: the ALPN choice and the SNI acknowledgement. */
  sendEncryptedExtensions(): void {
    const exts: Extension[] = [];
    if (this.#choice.serverName !== undefined) {
      exts.push({ type: ExtensionType.server_name, data: EMPTY });
    }
    if (this.#choice.alpn !== undefined) {
      exts.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: encodeAlpn([this.#choice.alpn]),
      });
    }
    this.#transcript.add(
      this.#io.send(HandshakeType.encrypted_extensions, encodeEncryptedExtensions(exts)),
      "server",
    );
  }

  /** RFC 8446 §4.3.2: ask for the client's certificate. */
  sendCertificateRequest(): void {
    const exts: Extension[] = [
      { type: ExtensionType.signature_algorithms, data: encodeU16List(this.#schemes) },
    ];
    const cas = this.#config.clientAuth?.authorities;
    if (cas?.length) {
      exts.push({
        type: ExtensionType.certificate_authorities,
        data: encodeCertificateAuthorities(cas),
      });
    }
    this.#transcript.add(
      this.#io.send(
        HandshakeType.certificate_request,
        encodeCertificateRequest({ context: EMPTY, extensions: exts }),
      ),
      "server",
    );
  }

  /** RFC 8446 §4.4.2: our chain, leaf first. */
  sendCertificate(): void {
    const entries = this.#config.certificate.chain.map((certificate) => ({
      certificate,
      extensions: [],
    }));
    this.#transcript.add(
      this.#io.send(HandshakeType.certificate, encodeCertificate({ context: EMPTY, entries })),
      "server",
    );
  }

  /** RFC 8446 §4.4.3: our signature over the transcript so far. */
  async sendCertificateVerify(): Promise<void> {
    const hash = this.#transcript.hash();
    const scheme = this.#choice.scheme;
    const signature = await this.#config.certificate.key.sign(
      scheme,
      certificateVerifyContent("server", hash),
    );
    this.#io.trace({ kind: "signature", from: "server", scheme, transcriptHash: hash, ok: true });
    this.#transcript.add(
      this.#io.send(
        HandshakeType.certificate_verify,
        encodeCertificateVerify({ scheme, signature }),
      ),
      "server",
    );
  }

  /** RFC 8446 §4.4.4: our Finished; application keys then protect what we send. */
  async sendFinished(): Promise<void> {
    const verifyData = this.#schedule.finishedVerifyData(
      this.#handshakeSecrets.server,
      this.#transcript.hash(),
    );
    this.#io.trace({ kind: "finished", from: "server", verifyData, ok: true });
    this.#transcript.add(this.#io.send(HandshakeType.finished, verifyData), "server");
    // Nothing is sent under these keys before the client's Finished.
    this.#applicationSecrets = this.#schedule.applicationSecrets(this.#transcript.hash());
    await this.#io.setWriteKeys(this.#schedule, this.#applicationSecrets.server, "application");
  }

  /** RFC 8446 §4.4.2, §4.4.3: the client's certificate (possibly none) and its signature. */
  async readClientCertificate(): Promise<void> {
    const auth = this.#config.clientAuth!;
    const msg = await this.#io.expect(HandshakeType.certificate);
    const cert = decodeCertificate(msg.body);
    if (cert.context.length !== 0) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "the client's Certificate has a non-empty request context",
      );
    }
    this.#transcript.add(msg.raw, "client");
    if (cert.entries.length === 0) {
      // RFC 8446 §4.4.2.4: a server that requires a certificate answers none with certificate_required.
      if (auth.required) {
        throw new TlsError(
          AlertDescription.certificate_required,
          "the client sent no certificate, and one is required",
        );
      }
      return;
    }
    this.#peerChain = cert.entries.map((e) => e.certificate);
    await verifyPeerChain(this.#io, auth.verifier, this.#peerChain, { peer: "client" });
    const cvMsg = await this.#io.expect(HandshakeType.certificate_verify);
    const cv = decodeCertificateVerify(cvMsg.body);
    const hash = this.#transcript.hash();
    await checkCertificateVerify(this.#io, cv, "client", this.#peerChain[0], this.#schemes, hash);
    this.#transcript.add(cvMsg.raw, "client");
  }

  /** RFC 8446 §4.4.4: the client's Finished; then application keys protect what we receive. */
  async readFinished(): Promise<void> {
    const msg = await this.#io.expect(HandshakeType.finished);
    const got = decodeFinished(msg.body, this.#choice.suite.hash.outputLength);
    const expected = this.#schedule.finishedVerifyData(
      this.#handshakeSecrets.client,
      this.#transcript.hash(),
    );
    const ok = constantTimeEqual(got, expected);
    this.#io.trace({ kind: "finished", from: "client", verifyData: got, ok });
    if (!ok) {
      throw new TlsError(
        AlertDescription.decrypt_error,
        "the client's Finished does not match the handshake",
      );
    }
    this.#transcript.add(msg.raw, "client");
    await this.#io.setReadKeys(this.#schedule, this.#applicationSecrets.client, "application");
  }
}

/** A short list of code point names for error messages, GREASE left out. */
function listNames(values: readonly number[], name: (v: number) => string): string {
  const shown = values.filter((v) => !isGrease(v)).map(name);
  return shown.length ? shown.join(", ") : "nothing usable";
}
