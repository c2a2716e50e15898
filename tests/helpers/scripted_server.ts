/**
 * A TLS 1.3 server written out step by step from the library's codecs and
 * key schedule, for tests of a client facing a server that lies: each
 * message, signature, Finished and record passes through a hook of the
 * `Script` that may change it, and the transcript and keys follow what is
 * actually sent, so that only the change made is wrong.
 *
 * `ScriptedServer` is sans-IO (bytes in, bytes out); `listenScripted` puts
 * it on a loopback port for the `handshake connect` CLI.
 *
 * @module
 */

import {
  ContentType,
  ExtensionType,
  HandshakeType,
  ProtocolVersion,
} from "../../lib/codepoints.ts";
import type { CertifiedKey } from "../../lib/config.ts";
import { RecordCipher, TAG_LENGTH } from "../../lib/crypto/aead.ts";
import { KeySchedule } from "../../lib/crypto/key_schedule.ts";
import type { SigningKey, Suite } from "../../lib/crypto/provider.ts";
import { chooseScheme } from "../../lib/crypto/signing_key.ts";
import { suiteById } from "../../lib/crypto/suites.ts";
import { webcrypto } from "../../lib/crypto/webcrypto/mod.ts";
import {
  decodeClientKeyShares,
  decodeU16List,
  encodeCookie,
  encodeSelectedGroup,
  encodeSelectedVersion,
  encodeServerKeyShare,
  findExtension,
} from "../../lib/handshake/extensions.ts";
import { certificateVerifyContent } from "../../lib/handshake/io.ts";
import {
  type ClientHello,
  decodeClientHello,
  encodeCertificate,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeServerHello,
  frameHandshake,
  HELLO_RETRY_REQUEST_RANDOM,
  type ServerHello,
} from "../../lib/handshake/messages.ts";
import { Transcript } from "../../lib/handshake/transcript.ts";
import { Deframer } from "../../lib/record/deframer.ts";
import { HandshakeJoiner } from "../../lib/record/handshake_joiner.ts";
import { concat } from "../../lib/wire/writer.ts";

/** The scripted server's own cryptography: it is the peer of the engine under test, not tested. */
const PEER = webcrypto;

/** A record before protection, and which keys protect it. */
export interface PlainRecord {
  type: number;
  content: Uint8Array;
  keys: "plaintext" | "handshake" | "application";
}

/** What the server does differently from an honest one. Every field is optional. */
export interface Script {
  /** Cipher suite to choose (default: the first the client offers that is implemented). */
  suite?: number;
  /** Group of the ServerHello key share (default: the HelloRetryRequest's, or the client's first share). */
  group?: number;
  /** Start with a HelloRetryRequest for `group`; with `again`, answer the second ClientHello with another. */
  helloRetry?: { group: number; again?: boolean };
  /** Changes the ServerHello before it is encoded. */
  serverHello?: (sh: ServerHello) => void;
  /** Changes a handshake message body (by type) before it is framed; the transcript sees the result. */
  message?: (type: number, body: Uint8Array) => Uint8Array;
  /** The chain sent in Certificate (default: the identity's). */
  chain?: Uint8Array[];
  /** The key that signs CertificateVerify (default: the identity's). */
  signer?: SigningKey;
  /** The transcript hash CertificateVerify signs, given the true one. */
  signedHash?: (hash: Uint8Array) => Uint8Array;
  /** Changes the Finished verify_data. */
  finished?: (verifyData: Uint8Array) => Uint8Array;
  /** Records sent right after the server's Finished (0.5-RTT), under the application keys. */
  after?: { type: number; content: Uint8Array }[];
  /** Reshapes the whole first flight before protection (coalesce, split, reorder, add). */
  records?: (records: PlainRecord[]) => PlainRecord[];
}

/** One scripted server connection: feed it the client's bytes, send back what it returns. */
export class ScriptedServer {
  readonly #identity: CertifiedKey;
  readonly #script: Script;
  readonly #deframer = new Deframer();
  readonly #joiner = new HandshakeJoiner(1 << 20);
  readonly #transcript = new Transcript();
  #phase: "hello" | "second hello" | "flight sent" | "done" = "hello";
  #suite: Suite = PEER.suites[0];
  #first?: ClientHello;
  #read?: RecordCipher;
  #readApplication?: Uint8Array;
  /** Alert descriptions the client sent, decrypted when they were protected. */
  readonly alerts: number[] = [];

  constructor(identity: CertifiedKey, script: Script = {}) {
    this.#identity = identity;
    this.#script = script;
  }

  /** Takes bytes from the client; returns the bytes to send back. */
  async receive(bytes: Uint8Array): Promise<Uint8Array> {
    const out: Uint8Array[] = [];
    this.#deframer.push(bytes);
    for (let rec = this.#deframer.next(); rec; rec = this.#deframer.next()) {
      let type = rec.type;
      let content: Uint8Array = rec.fragment.slice();
      if (type === ContentType.change_cipher_spec) continue;
      if (type === ContentType.application_data && this.#read) {
        let inner: Uint8Array;
        try {
          inner = await this.#read.open(content, rec.header.slice());
        } catch {
          continue; // not under the keys expected: the client has given up
        }
        let end = inner.length - 1;
        while (end > 0 && inner[end] === 0) end--;
        type = inner[end];
        content = inner.subarray(0, end);
      }
      if (type === ContentType.alert) this.alerts.push(content[1]);
      if (type !== ContentType.handshake) continue;
      this.#joiner.push(content);
      for (let m = this.#joiner.next(); m; m = this.#joiner.next()) {
        out.push(await this.#onMessage(m.type, m.raw));
      }
    }
    return concat(...out);
  }

  async #onMessage(type: number, raw: Uint8Array): Promise<Uint8Array> {
    if (this.#phase === "flight sent" && type === HandshakeType.finished) {
      // The client's Finished: from now on it protects with its application keys.
      this.#read = await RecordCipher.fromSecret(this.#suite, this.#readApplication!);
      this.#phase = "done";
      return new Uint8Array(0);
    }
    if (type !== HandshakeType.client_hello) return new Uint8Array(0);
    const ch = decodeClientHello(raw.subarray(4));
    if (this.#phase === "hello") {
      this.#first = ch;
      this.#suite = this.#chooseSuite(ch);
      await this.#transcript.add(raw, "client");
      if (this.#script.helloRetry) {
        this.#phase = "second hello";
        await this.#transcript.replaceWithMessageHash(this.#suite.hash);
        return await this.#helloRetryRequest(ch);
      }
    } else if (this.#phase === "second hello") {
      await this.#transcript.add(raw, "client");
      if (this.#script.helloRetry?.again) {
        this.#phase = "done";
        return await this.#helloRetryRequest(ch);
      }
    } else {
      return new Uint8Array(0);
    }
    this.#phase = "flight sent";
    return await this.#flight(ch);
  }

  #chooseSuite(ch: ClientHello): Suite {
    const wanted = this.#script.suite ?? ch.cipherSuites.find((s) => suiteById(PEER, s));
    return suiteById(PEER, wanted ?? 0) ?? PEER.suites[0];
  }

  /** Frames a message (through the `message` hook) and adds it to the transcript. */
  async #message(type: number, body: Uint8Array): Promise<Uint8Array> {
    const raw = frameHandshake(type, this.#script.message?.(type, body) ?? body);
    await this.#transcript.add(raw, "server");
    return raw;
  }

  async #helloRetryRequest(ch: ClientHello): Promise<Uint8Array> {
    const hrr: ServerHello = {
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionIdEcho: ch.legacySessionId,
      cipherSuite: this.#script.suite ?? this.#suite.id,
      legacyCompressionMethod: 0,
      extensions: [
        {
          type: ExtensionType.supported_versions,
          data: encodeSelectedVersion(ProtocolVersion.TLSv1_3),
        },
        {
          type: ExtensionType.key_share,
          data: encodeSelectedGroup(this.#script.helloRetry!.group),
        },
        { type: ExtensionType.cookie, data: encodeCookie(Uint8Array.of(1, 2, 3)) },
      ],
    };
    const raw = await this.#message(HandshakeType.server_hello, encodeServerHello(hrr));
    return concat(
      plainRecord(ContentType.handshake, raw),
      plainRecord(ContentType.change_cipher_spec, Uint8Array.of(1)),
    );
  }

  /** ServerHello, then EncryptedExtensions, Certificate, CertificateVerify and Finished. */
  async #flight(ch: ClientHello): Promise<Uint8Array> {
    const s = this.#script;
    const suite = this.#suite;
    const shares = decodeClientKeyShares(findExtension(ch.extensions, ExtensionType.key_share)!);
    const group = s.group ?? s.helloRetry?.group ?? shares[0].group;
    // The server's one-step exchange (a KEM's encapsulation, or Diffie-Hellman); for a group the
    // client sent no share for, a share of our own that cannot agree.
    const impl = PEER.groups.find((g) => g.id === group)!;
    const theirs = shares.find((e) => e.group === group);
    const { share: ourShare, secret: shared } = theirs
      ? await impl.complete(theirs.keyExchange)
      : { share: (await impl.start()).share, secret: crypto.getRandomValues(new Uint8Array(32)) };
    const sh: ServerHello = {
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: crypto.getRandomValues(new Uint8Array(32)),
      legacySessionIdEcho: (this.#first ?? ch).legacySessionId,
      cipherSuite: s.suite ?? suite.id,
      legacyCompressionMethod: 0,
      extensions: [
        {
          type: ExtensionType.supported_versions,
          data: encodeSelectedVersion(ProtocolVersion.TLSv1_3),
        },
        {
          type: ExtensionType.key_share,
          data: encodeServerKeyShare({ group, keyExchange: ourShare }),
        },
      ],
    };
    s.serverHello?.(sh);
    const serverHello = await this.#message(HandshakeType.server_hello, encodeServerHello(sh));

    const schedule = new KeySchedule(suite);
    const hs = await schedule.handshakeSecrets(shared, await this.#hash());
    const ee = await this.#message(
      HandshakeType.encrypted_extensions,
      encodeEncryptedExtensions([]),
    );
    const chain = s.chain ?? this.#identity.chain;
    const certificate = await this.#message(
      HandshakeType.certificate,
      encodeCertificate({
        context: new Uint8Array(0),
        entries: chain.map((certificate) => ({ certificate, extensions: [] })),
      }),
    );
    const signer = s.signer ?? this.#identity.key;
    const schemes = decodeU16List(
      findExtension(ch.extensions, ExtensionType.signature_algorithms)!,
      ExtensionType.signature_algorithms,
    );
    const scheme = chooseScheme(signer, schemes) ?? signer.schemes[0];
    const realHash = await this.#hash();
    const signature = await signer.sign(
      scheme,
      certificateVerifyContent("server", s.signedHash?.(realHash) ?? realHash),
    );
    const verify = await this.#message(
      HandshakeType.certificate_verify,
      encodeCertificateVerify({ scheme, signature }),
    );
    const verifyData = await schedule.finishedVerifyData(hs.server, await this.#hash());
    const finished = await this.#message(
      HandshakeType.finished,
      s.finished?.(verifyData) ?? verifyData,
    );
    const app = await schedule.applicationSecrets(await this.#hash());
    this.#read = await RecordCipher.fromSecret(suite, hs.client);
    this.#readApplication = app.client;

    const encrypted = concat(ee, certificate, verify, finished);
    let records: PlainRecord[] = [
      { type: ContentType.handshake, content: serverHello, keys: "plaintext" },
      { type: ContentType.change_cipher_spec, content: Uint8Array.of(1), keys: "plaintext" },
    ];
    for (let at = 0; at < encrypted.length; at += 1 << 14) {
      records.push({
        type: ContentType.handshake,
        content: encrypted.subarray(at, at + (1 << 14)),
        keys: "handshake",
      });
    }
    for (const r of s.after ?? []) records.push({ ...r, keys: "application" });
    records = s.records?.(records) ?? records;
    const ciphers = {
      handshake: await RecordCipher.fromSecret(suite, hs.server),
      application: await RecordCipher.fromSecret(suite, app.server),
    };
    const out: Uint8Array[] = [];
    for (const r of records) {
      out.push(
        r.keys === "plaintext"
          ? plainRecord(r.type, r.content)
          : await sealRecord(ciphers[r.keys], r.type, r.content),
      );
    }
    return concat(...out);
  }

  #hash(): Uint8Array {
    this.#transcript.useHash(this.#suite.hash);
    return this.#transcript.hash();
  }
}

/** A plaintext record (any size: the scripted server may send oversized ones). */
function plainRecord(type: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  return concat(Uint8Array.of(type, 3, 3, (n >> 8) & 0xff, n & 0xff), content);
}

/** A protected record: TLSInnerPlaintext sealed under `cipher` at its next sequence number. */
async function sealRecord(
  cipher: RecordCipher,
  type: number,
  content: Uint8Array,
): Promise<Uint8Array> {
  const inner = concat(content, Uint8Array.of(type));
  const n = inner.length + TAG_LENGTH;
  const header = Uint8Array.of(ContentType.application_data, 3, 3, (n >> 8) & 0xff, n & 0xff);
  return concat(header, await cipher.seal(inner, header));
}

/** A scripted server on a loopback port, one `ScriptedServer` per connection. */
export interface ScriptedListener {
  readonly port: number;
  /** The connections so far, in order. */
  readonly servers: ScriptedServer[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port) and runs `script` for each client. */
export function listenScripted(identity: CertifiedKey, script: Script): ScriptedListener {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const servers: ScriptedServer[] = [];
  const tasks = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      const server = new ScriptedServer(identity, script);
      servers.push(server);
      const task = serveOne(conn, server);
      tasks.add(task);
      task.finally(() => tasks.delete(task));
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    servers,
    close: async () => {
      listener.close();
      await accepting.catch(() => {});
      await Promise.allSettled([...tasks]);
    },
  };
}

/** Answers one client until it closes (reading to the end, so it never sees a reset). */
async function serveOne(conn: Deno.Conn, server: ScriptedServer): Promise<void> {
  const buf = new Uint8Array(1 << 16);
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      const out = await server.receive(buf.slice(0, n));
      for (let at = 0; at < out.length;) at += await conn.write(out.subarray(at));
    }
  } catch {
    // The client went away.
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}
