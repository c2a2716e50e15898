/**
 * The client side of the TLS 1.3 handshake (RFC 8446 §2, §4), one method
 * per step, called in protocol order from `run()`:
 *
 *   sendClientHello → readServerHello [→ HelloRetryRequest → sendClientHello
 *   → readServerHello] → deriveHandshakeKeys → readEncryptedExtensions →
 *   [readCertificateRequest] → readCertificate → readCertificateVerify →
 *   readFinished → [sendCertificate → sendCertificateVerify] → sendFinished
 *
 * @module
 */

import { AlertDescription, TlsError } from "../errors.ts";
import {
  ExtensionType,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
  SignatureScheme,
  versionName,
} from "../codepoints.ts";
import type { ClientConfig, HandshakeInfo } from "../config.ts";
import { KeySchedule, type TrafficSecrets } from "../crypto/key_schedule.ts";
import type { ActiveKeyExchange, CryptoProvider, MaybePromise, Suite } from "../crypto/provider.ts";
import { CERTIFICATE_SCHEMES } from "../crypto/signature.ts";
import { chooseScheme } from "../crypto/signing_key.ts";
import { hybridLayout } from "../crypto/hybrid_mlkem.ts";
import { constantTimeEqual } from "../wire/writer.ts";
import {
  decodeAlpn,
  decodeCookie,
  decodeSelectedGroup,
  decodeSelectedVersion,
  decodeServerKeyShare,
  decodeU16List,
  encodeAlpn,
  encodeClientKeyShares,
  encodeClientVersions,
  encodeCookie,
  encodeServerName,
  encodeU16List,
  type Extension,
  findExtension,
} from "./extensions.ts";
import { certificateVerifyContent, checkReplyExtensions, type HandshakeIO } from "./io.ts";
import { checkCertificateVerify, preferences, requireGroup, verifyPeerChain } from "./peer_auth.ts";
import {
  type ClientHello,
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeFinished,
  decodeServerHello,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  isHelloRetryRequest,
  type ServerHello,
} from "./messages.ts";
import { Transcript } from "./transcript.ts";
import { isIpAddress } from "../x509/names.ts";

/** RFC 8446 §4.2: extensions a ServerHello may carry. */
const SERVER_HELLO_EXTENSIONS = new Set<number>([
  ExtensionType.supported_versions,
  ExtensionType.key_share,
]);
/** RFC 8446 §4.1.4: extensions a HelloRetryRequest may carry. */
const HRR_EXTENSIONS = new Set<number>([
  ExtensionType.supported_versions,
  ExtensionType.key_share,
  ExtensionType.cookie,
]);
/** RFC 8446 §4.2: extensions EncryptedExtensions may carry, of those this client offers. */
const EE_EXTENSIONS = new Set<number>([
  ExtensionType.server_name,
  ExtensionType.supported_groups,
  ExtensionType.application_layer_protocol_negotiation,
]);

/** Runs the client handshake over `io`. */
export class ClientHandshake {
  readonly #io: HandshakeIO;
  readonly #config: ClientConfig;
  readonly #transcript: Transcript;
  readonly #crypto: CryptoProvider;
  readonly #groups: readonly number[];
  readonly #suites: readonly Suite[];
  readonly #schemes: readonly number[];

  #hello!: ClientHello;
  #offered = new Set<number>();
  #shares: ActiveKeyExchange[] = [];
  #suite!: Suite;
  #schedule!: KeySchedule;
  #handshakeSecrets!: TrafficSecrets;
  #group = 0;
  #helloRetry = false;
  #alpn?: string;
  #peerChain: Uint8Array[] = [];
  #peerScheme = 0;
  #certificateRequest?: { context: Uint8Array; schemes: number[] };

  constructor(io: HandshakeIO, config: ClientConfig) {
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

  /** The client random, once the ClientHello is built (for the key log). */
  get clientRandom(): Uint8Array | undefined {
    return this.#hello?.random;
  }

  /** The whole handshake, in the order of RFC 8446 §2. */
  async run(): Promise<HandshakeInfo> {
    await this.sendClientHello();
    let sh = await this.readServerHello();
    if (isHelloRetryRequest(sh)) {
      await this.handleHelloRetryRequest(sh);
      sh = await this.readServerHello();
      if (isHelloRetryRequest(sh)) {
        throw new TlsError(
          AlertDescription.unexpected_message,
          "the server sent a second HelloRetryRequest",
        );
      }
    }
    await this.deriveHandshakeKeys(sh);
    await this.readEncryptedExtensions();
    const next = await this.#io.expect(
      HandshakeType.certificate_request,
      HandshakeType.certificate,
    );
    if (next.type === HandshakeType.certificate_request) {
      this.readCertificateRequest(next.body, next.raw);
      await this.readCertificate(await this.#io.expect(HandshakeType.certificate));
    } else {
      await this.readCertificate(next);
    }
    await this.readCertificateVerify();
    await this.readFinished();
    if (this.#certificateRequest) await this.sendClientCertificate();
    await this.sendFinished();
    return {
      version: "TLSv1.3",
      provider: this.#crypto.name,
      cipherSuite: this.#suite.name,
      group: NamedGroup.name(this.#group),
      signatureScheme: SignatureScheme.name(this.#peerScheme),
      alpn: this.#alpn,
      serverName: this.#sniName(),
      helloRetry: this.#helloRetry,
      peerCertificates: this.#peerChain,
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
  async sendClientHello(): Promise<void> {
    this.#shares = await Promise.all(
      initialShareGroups(this.#groups).map((g) => this.#startKeyExchange(g)),
    );
    const exts: Extension[] = [];
    const sni = this.#sniName();
    if (sni) exts.push({ type: ExtensionType.server_name, data: encodeServerName(sni) });
    exts.push(
      {
        type: ExtensionType.supported_versions,
        data: encodeClientVersions([ProtocolVersion.TLSv1_3]),
      },
      { type: ExtensionType.supported_groups, data: encodeU16List(this.#groups) },
      { type: ExtensionType.signature_algorithms, data: encodeU16List(this.#schemes) },
      { type: ExtensionType.signature_algorithms_cert, data: encodeU16List(CERTIFICATE_SCHEMES) },
      { type: ExtensionType.key_share, data: this.#keyShareExtension() },
    );
    if (this.#config.alpn?.length) {
      exts.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: encodeAlpn(this.#config.alpn),
      });
    }
    this.#hello = {
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: this.#io.random(32),
      // RFC 8446 §D.4: a non-empty session id asks for middlebox compatibility mode.
      legacySessionId: this.#io.random(32),
      cipherSuites: this.#suites.map((s) => s.id),
      legacyCompressionMethods: new Uint8Array([0]),
      extensions: exts,
    };
    this.#offered = new Set(exts.map((e) => e.type));
    this.#transcript.add(
      this.#io.send(HandshakeType.client_hello, encodeClientHello(this.#hello)),
      "client",
    );
  }

  /** RFC 8446 §4.2.8: a fresh key exchange for `group` (or the configured fixed one). */
  #startKeyExchange(group: number): MaybePromise<ActiveKeyExchange> {
    const fixed = this.#config.keyShares;
    return fixed ? fixed(group) : requireGroup(this.#crypto, group).start();
  }

  #keyShareExtension(): Uint8Array {
    return encodeClientKeyShares(
      this.#shares.map((s) => ({ group: s.group, keyExchange: s.share })),
    );
  }

  /** RFC 8446 §4.1.3: reads a ServerHello (or HelloRetryRequest) and checks what both have in common. */
  async readServerHello(): Promise<ServerHello> {
    const msg = await this.#io.expect(HandshakeType.server_hello);
    const sh = decodeServerHello(msg.body);
    // RFC 8446 Appendix D.5: SSL 3.0 or older in legacy_version is refused, whatever else is said.
    if (sh.legacyVersion <= ProtocolVersion.SSLv3) {
      throw new TlsError(
        AlertDescription.protocol_version,
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
        AlertDescription.protocol_version,
        `the server chose ${
          versionName(sh.legacyVersion)
        }, but this client speaks only TLS 1.3${why}`,
      );
    }
    const version = decodeSelectedVersion(versions);
    if (version !== ProtocolVersion.TLSv1_3) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        `the server selected version ${versionName(version)}, which was not offered`,
      );
    }
    if (sh.legacyVersion !== ProtocolVersion.TLSv1_2) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "ServerHello: legacy_version is not 0x0303",
      );
    }
    if (!constantTimeEqual(sh.legacySessionIdEcho, this.#hello.legacySessionId)) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "ServerHello: legacy_session_id_echo does not match",
      );
    }
    if (sh.legacyCompressionMethod !== 0) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "ServerHello: legacy_compression_method is not 0",
      );
    }
    const suite = this.#suites.find((s) => s.id === sh.cipherSuite);
    if (!suite) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        `the server chose cipher suite 0x${
          sh.cipherSuite.toString(16).padStart(4, "0")
        }, which was not offered`,
      );
    }
    // RFC 8446 §4.1.4: after a HelloRetryRequest the ServerHello must keep its suite.
    if (this.#suite && suite !== this.#suite) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "the ServerHello changed the cipher suite chosen by the HelloRetryRequest",
      );
    }
    this.#suite = suite;
    const hrr = isHelloRetryRequest(sh);
    // RFC 8446 §4.2.2: a HelloRetryRequest may carry a cookie the client did not offer.
    const offered = hrr ? new Set([...this.#offered, ExtensionType.cookie]) : this.#offered;
    checkReplyExtensions(
      sh.extensions,
      HandshakeType.server_hello,
      offered,
      hrr ? HRR_EXTENSIONS : SERVER_HELLO_EXTENSIONS,
    );
    if (!hrr) {
      this.#transcript.useHash(suite.hash);
      this.#transcript.add(msg.raw, "server");
    } else this.#pendingHrr = msg.raw;
    return sh;
  }

  #pendingHrr?: Uint8Array;

  /**
   * RFC 8446 §4.1.4: answers a HelloRetryRequest with a second ClientHello
   * holding a share for the group the server asked for (and its cookie).
   */
  async handleHelloRetryRequest(hrr: ServerHello): Promise<void> {
    this.#helloRetry = true;
    const groupExt = findExtension(hrr.extensions, ExtensionType.key_share);
    const cookieExt = findExtension(hrr.extensions, ExtensionType.cookie);
    const group = groupExt ? decodeSelectedGroup(groupExt) : undefined;
    if (group !== undefined) {
      if (!this.#groups.includes(group)) {
        throw new TlsError(
          AlertDescription.illegal_parameter,
          `the HelloRetryRequest asks for group ${NamedGroup.name(group)}, which was not offered`,
        );
      }
      if (this.#shares.some((s) => s.group === group)) {
        throw new TlsError(
          AlertDescription.illegal_parameter,
          `the HelloRetryRequest asks for group ${
            NamedGroup.name(group)
          }, which already had a key share`,
        );
      }
    } else if (!cookieExt) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
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
    this.#transcript.replaceWithMessageHash(this.#suite.hash);
    this.#transcript.add(this.#pendingHrr!, "server");
    this.#pendingHrr = undefined;
    if (group !== undefined) {
      this.#shares = [await this.#startKeyExchange(group)];
    }
    const exts = this.#hello.extensions.map((e) =>
      e.type === ExtensionType.key_share ? { type: e.type, data: this.#keyShareExtension() } : e
    );
    if (cookieExt) {
      exts.push({ type: ExtensionType.cookie, data: encodeCookie(decodeCookie(cookieExt)) });
      this.#offered.add(ExtensionType.cookie);
    }
    this.#hello = { ...this.#hello, extensions: exts };
    this.#io.sendChangeCipherSpec();
    this.#transcript.add(
      this.#io.send(HandshakeType.client_hello, encodeClientHello(this.#hello)),
      "client",
    );
  }

  /** RFC 8446 §7.1: (EC)DHE with the server's share, then the handshake traffic secrets. */
  async deriveHandshakeKeys(sh: ServerHello): Promise<void> {
    const ext = findExtension(sh.extensions, ExtensionType.key_share);
    if (!ext) {
      throw new TlsError(AlertDescription.missing_extension, "the ServerHello has no key_share");
    }
    const entry = decodeServerKeyShare(ext);
    const share = this.#shares.find((s) => s.group === entry.group);
    if (!share) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        `the server's key share is for ${
          NamedGroup.name(entry.group)
        }, for which no share was sent`,
      );
    }
    this.#group = entry.group;
    const shared = await share.complete(entry.keyExchange);
    this.#io.trace({ kind: "shared_secret", group: entry.group, value: shared });
    this.#schedule = new KeySchedule(
      this.#suite,
      (name, value) => this.#io.trace({ kind: "secret", name, value }),
    );
    this.#handshakeSecrets = this.#schedule.handshakeSecrets(shared, this.#transcript.hash());
    this.#io.sendChangeCipherSpec();
    await this.#io.setReadKeys(this.#schedule, this.#handshakeSecrets.server, "handshake");
    await this.#io.setWriteKeys(this.#schedule, this.#handshakeSecrets.client, "handshake");
  }

  /** RFC 8446 §4.3.1: EncryptedExtensions, with the server's ALPN choice. */
  async readEncryptedExtensions(): Promise<void> {
    const msg = await this.#io.expect(HandshakeType.encrypted_extensions);
    const exts = decodeEncryptedExtensions(msg.body);
    checkReplyExtensions(exts, HandshakeType.encrypted_extensions, this.#offered, EE_EXTENSIONS);
    const sni = findExtension(exts, ExtensionType.server_name);
    if (sni && sni.length !== 0) {
      throw new TlsError(
        AlertDescription.decode_error,
        "EncryptedExtensions: server_name is not empty",
      );
    }
    const alpn = findExtension(exts, ExtensionType.application_layer_protocol_negotiation);
    if (alpn) {
      const chosen = decodeAlpn(alpn);
      // RFC 7301 §3.1: exactly one protocol, one the client offered.
      if (chosen.length !== 1 || !this.#config.alpn?.includes(chosen[0])) {
        throw new TlsError(
          AlertDescription.illegal_parameter,
          `the server chose ALPN ${JSON.stringify(chosen)}, which was not offered`,
        );
      }
      this.#alpn = chosen[0];
    }
    this.#transcript.add(msg.raw, "server");
  }

  /** RFC 8446 §4.3.2: the server asks for our certificate. */
  readCertificateRequest(body: Uint8Array, raw: Uint8Array): void {
    const cr = decodeCertificateRequest(body);
    const algs = findExtension(cr.extensions, ExtensionType.signature_algorithms);
    if (!algs) {
      throw new TlsError(
        AlertDescription.missing_extension,
        "the CertificateRequest has no signature_algorithms",
      );
    }
    // RFC 8446 §4.3.2: the context is empty during the handshake.
    if (cr.context.length !== 0) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "the CertificateRequest context is not empty",
      );
    }
    this.#certificateRequest = {
      context: cr.context,
      schemes: decodeU16List(algs, ExtensionType.signature_algorithms),
    };
    this.#transcript.add(raw, "server");
  }

  /** RFC 8446 §4.4.2: the server's chain, checked by the configured verifier. */
  async readCertificate(msg: { body: Uint8Array; raw: Uint8Array; type: number }): Promise<void> {
    const cert = decodeCertificate(msg.body);
    if (cert.context.length !== 0) {
      throw new TlsError(
        AlertDescription.illegal_parameter,
        "the server's Certificate has a non-empty request context",
      );
    }
    // RFC 8446 §4.4.2.4: an empty server Certificate is a decode_error.
    if (cert.entries.length === 0) {
      throw new TlsError(AlertDescription.decode_error, "the server sent no certificate");
    }
    for (const e of cert.entries) {
      checkReplyExtensions(e.extensions, HandshakeType.certificate, this.#offered, new Set());
    }
    this.#peerChain = cert.entries.map((e) => e.certificate);
    this.#transcript.add(msg.raw, "server");
    await verifyPeerChain(this.#io, this.#config.verifier, this.#peerChain, {
      peer: "server",
      serverName: this.#config.serverName,
    });
  }

  /** RFC 8446 §4.4.3: the server's signature over the transcript, with the leaf's key. */
  async readCertificateVerify(): Promise<void> {
    const msg = await this.#io.expect(HandshakeType.certificate_verify);
    const cv = decodeCertificateVerify(msg.body);
    const hash = this.#transcript.hash();
    await checkCertificateVerify(this.#io, cv, "server", this.#peerChain[0], this.#schemes, hash);
    this.#peerScheme = cv.scheme;
    this.#transcript.add(msg.raw, "server");
  }

  /** RFC 8446 §4.4.4: the server's Finished, then the application traffic secrets. */
  async readFinished(): Promise<void> {
    const msg = await this.#io.expect(HandshakeType.finished);
    const got = decodeFinished(msg.body, this.#suite.hash.outputLength);
    const expected = this.#schedule.finishedVerifyData(
      this.#handshakeSecrets.server,
      this.#transcript.hash(),
    );
    const ok = constantTimeEqual(got, expected);
    this.#io.trace({ kind: "finished", from: "server", verifyData: got, ok });
    if (!ok) {
      throw new TlsError(
        AlertDescription.decrypt_error,
        "the server's Finished does not match the handshake",
      );
    }
    this.#transcript.add(msg.raw, "server");
    const app = this.#schedule.applicationSecrets(this.#transcript.hash());
    this.#applicationSecrets = app;
    await this.#io.setReadKeys(this.#schedule, app.server, "application");
  }

  #applicationSecrets!: TrafficSecrets;

  /**
   * RFC 8446 §4.4.2, §4.4.3: our certificate and signature if we have one
   * the server can accept, else an empty Certificate.
   */
  async sendClientCertificate(): Promise<void> {
    const req = this.#certificateRequest!;
    const ours = this.#config.certificate;
    const scheme = ours && chooseScheme(ours.key, req.schemes);
    const entries = ours && scheme
      ? ours.chain.map((certificate) => ({ certificate, extensions: [] }))
      : [];
    const cert = { context: req.context, entries };
    this.#transcript.add(
      this.#io.send(HandshakeType.certificate, encodeCertificate(cert)),
      "client",
    );
    if (!ours || !scheme) return;
    const hash = this.#transcript.hash();
    const signature = await ours.key.sign(scheme, certificateVerifyContent("client", hash));
    this.#io.trace({ kind: "signature", from: "client", scheme, transcriptHash: hash, ok: true });
    const cv = { scheme, signature };
    this.#transcript.add(
      this.#io.send(HandshakeType.certificate_verify, encodeCertificateVerify(cv)),
      "client",
    );
  }

  /** RFC 8446 §4.4.4: our Finished; then application keys protect what we send. */
  async sendFinished(): Promise<void> {
    const verifyData = this.#schedule.finishedVerifyData(
      this.#handshakeSecrets.client,
      this.#transcript.hash(),
    );
    this.#io.trace({ kind: "finished", from: "client", verifyData, ok: true });
    this.#transcript.add(this.#io.send(HandshakeType.finished, verifyData), "client");
    await this.#io.setWriteKeys(this.#schedule, this.#applicationSecrets.client, "application");
  }
}

/** The groups the first ClientHello sends key shares for (see `sendClientHello`). */
export function initialShareGroups(groups: readonly number[]): number[] {
  const first = groups[0];
  if (hybridLayout(first) === undefined) return [first];
  const classical = groups.find((g) => hybridLayout(g) === undefined);
  return classical === undefined ? [first] : [first, classical];
}
