/**
 * Tools for feeding crafted bytes to a real engine and checking how it
 * refuses them: a `Probe` (an engine with its trace and output collected),
 * record and message builders, a valid TLS 1.3 ClientHello to start from,
 * and a sealer that protects records with the keys an engine is using, so
 * that crafted content reaches the handshake code behind the AEAD.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Connection } from "../../lib/connection.ts";
import type { ClientConfig, ServerConfig } from "../../lib/config.ts";
import { AlertDescription, TlsError, type TlsErrorCode } from "../../lib/errors.ts";
import { ContentType, ExtensionType, NamedGroup, ProtocolVersion } from "../../lib/codepoints.ts";
import { RecordCipher, TAG_LENGTH } from "../../lib/crypto/aead.ts";
import { suiteById } from "../../lib/crypto/suites.ts";
import { webcrypto } from "../../lib/crypto/webcrypto/mod.ts";
import { HANDSHAKE_SCHEMES } from "../../lib/crypto/signature.ts";
import {
  encodeClientKeyShares,
  encodeClientVersions,
  encodeU16List,
  type Extension,
} from "../../lib/handshake/extensions.ts";
import {
  type ClientHello,
  encodeClientHello,
  frameHandshake,
} from "../../lib/handshake/messages.ts";
import type { Side, TraceEvent } from "../../lib/trace.ts";
import { concat } from "../../lib/wire/writer.ts";
import { acceptAnything } from "./pair.ts";

/** One record as it goes on the wire: type, legacy version 0x0303, 16-bit length, content. */
export function record(type: number, content: Uint8Array, version = 0x0303): Uint8Array {
  const out = new Uint8Array(5 + content.length);
  out.set([
    type,
    version >> 8,
    version & 0xff,
    (content.length >> 8) & 0xff,
    content.length & 0xff,
  ]);
  out.set(content, 5);
  return out;
}

/** A plaintext handshake record holding one framed message. */
export function handshakeRecord(type: number, body: Uint8Array): Uint8Array {
  return record(ContentType.handshake, frameHandshake(type, body));
}

/** Bytes from hex, for short literals. */
export const hex = (s: string): Uint8Array => Uint8Array.fromHex(s.replace(/\s+/g, ""));

/**
 * A valid TLS 1.3 ClientHello (x25519 share, both suites, our signature
 * schemes), to be changed by each test before it is encoded.
 */
export async function validClientHello(): Promise<ClientHello> {
  const share = await webcrypto.groups.find((g) => g.id === NamedGroup.x25519)!.start();
  return {
    legacyVersion: ProtocolVersion.TLSv1_2,
    random: crypto.getRandomValues(new Uint8Array(32)),
    legacySessionId: crypto.getRandomValues(new Uint8Array(32)),
    cipherSuites: [0x1301, 0x1302],
    legacyCompressionMethods: new Uint8Array([0]),
    extensions: [
      {
        type: ExtensionType.supported_versions,
        data: encodeClientVersions([ProtocolVersion.TLSv1_3]),
      },
      {
        type: ExtensionType.supported_groups,
        data: encodeU16List([NamedGroup.x25519, NamedGroup.secp256r1]),
      },
      { type: ExtensionType.signature_algorithms, data: encodeU16List(HANDSHAKE_SCHEMES) },
      {
        type: ExtensionType.key_share,
        data: encodeClientKeyShares([{ group: NamedGroup.x25519, keyExchange: share.share }]),
      },
    ],
  };
}

/** Replaces (or with `data` undefined, removes) one extension of a ClientHello. */
export function withExtension(ch: ClientHello, type: number, data?: Uint8Array): ClientHello {
  const extensions: Extension[] = ch.extensions.filter((e) => e.type !== type);
  if (data) extensions.push({ type, data });
  return { ...ch, extensions };
}

/** The ClientHello as one plaintext record. */
export function clientHelloRecord(ch: ClientHello): Uint8Array {
  return handshakeRecord(1, encodeClientHello(ch));
}

/**
 * An engine under test with its trace and everything it sent collected.
 * `feed` hands it bytes and keeps the error it ends with.
 */
export class Probe {
  readonly conn: Connection;
  readonly trace: TraceEvent[];
  readonly role: Side;
  #sent: Uint8Array[] = [];
  #taken = 0;
  error?: Error;

  private constructor(conn: Connection, trace: TraceEvent[]) {
    this.conn = conn;
    this.trace = trace;
    this.role = conn.role;
  }

  /** A server engine with `config` (traced). */
  static server(config: ServerConfig): Probe {
    const trace: TraceEvent[] = [];
    return new Probe(Connection.server({ ...config, trace: (e) => trace.push(e) }), trace);
  }

  /** A started client engine (its ClientHello is in `sent`). */
  static async client(config: Partial<ClientConfig> = {}): Promise<Probe> {
    const trace: TraceEvent[] = [];
    const p = new Probe(
      Connection.client({
        verifier: acceptAnything,
        serverName: "localhost",
        ...config,
        trace: (e) => trace.push(e),
      }),
      trace,
    );
    await p.conn.start();
    p.#collect();
    return p;
  }

  /** Feeds each chunk in turn; stops at the first error (kept in `error`). */
  async feed(...chunks: Uint8Array[]): Promise<void> {
    for (const c of chunks) {
      try {
        await this.conn.receive(c);
      } catch (e) {
        this.error = e as Error;
        return;
      } finally {
        this.#collect();
      }
    }
  }

  /** Everything the engine has sent so far, in order. */
  get sent(): Uint8Array {
    return concat(...this.#sent);
  }

  /** What the engine sent since the last call. */
  takeSent(): Uint8Array {
    const out = concat(...this.#sent.slice(this.#taken));
    this.#taken = this.#sent.length;
    return out;
  }

  #collect(): void {
    const out = this.conn.takeOutput();
    if (out.length) this.#sent.push(out);
  }
}

/**
 * Asserts that the probe's engine failed with a `TlsError` carrying `alert`
 * (and each code of `expected` as its code, and a message matching each
 * RegExp of it), and that the last record it sent is that alert, fatal, so
 * the peer was told before the connection ended.
 */
export function assertAlert(
  p: Probe,
  alert: number,
  ...expected: (TlsErrorCode | RegExp | undefined)[]
): void {
  const err = p.error;
  assert.ok(
    err instanceof TlsError,
    `expected a TlsError (${AlertDescription.name(alert)}), got ${err}`,
  );
  assert.equal(
    err.alertName,
    AlertDescription.name(alert),
    `alert for "${err.message}"`,
  );
  for (const e of expected) {
    if (typeof e === "string") assert.equal(err.code, e, err.message);
    else if (e) assert.match(err.message, e);
  }
  const sentRecords = p.trace.filter((e) => e.kind === "record" && e.from === p.role);
  const last = sentRecords.at(-1);
  assert.ok(last?.kind === "record", "no record was sent");
  assert.equal(last.contentType, ContentType.alert, "the last record sent is not an alert");
  assert.deepEqual([...last.content], [2, alert], "the alert sent is not the fatal one expected");
  const sent = p.sent;
  assert.deepEqual(
    sent.subarray(sent.length - last.bytes.length),
    last.bytes,
    "the alert record is the last thing in the output",
  );
}

/** The AES-GCM suite (on WebCrypto, the test's own side) whose key is as long as `key`. */
function suiteOfKey(key: Uint8Array) {
  return suiteById(webcrypto, key.length === 16 ? 0x1301 : 0x1302)!;
}

/**
 * Seals records as `side` would, with the write keys that side's engine
 * installed last (read from its trace) and the next sequence number. Only
 * valid while the engine itself sends nothing more under those keys.
 */
export async function sealerFor(
  trace: TraceEvent[],
  side: Side,
): Promise<(type: number, content: Uint8Array, padding?: number) => Promise<Uint8Array>> {
  let keys: { key: Uint8Array; iv: Uint8Array } | undefined;
  let seq = 0;
  for (const e of trace) {
    if (e.kind === "keys" && e.direction === side) {
      keys = e;
      seq = 0;
    } else if (e.kind === "record" && e.from === side && e.epoch !== "plaintext") {
      seq++;
    }
  }
  assert.ok(keys, `${side} has no keys yet`);
  const cipher = await RecordCipher.fromKeys(suiteOfKey(keys.key), keys.key, keys.iv);
  cipher.seq = seq;
  return async (type, content, padding = 0) => {
    const inner = new Uint8Array(content.length + 1 + padding);
    inner.set(content);
    inner[content.length] = type;
    const length = inner.length + TAG_LENGTH;
    const aad = new Uint8Array([
      ContentType.application_data,
      3,
      3,
      length >> 8,
      length & 0xff,
    ]);
    return concat(aad, await cipher.seal(inner, aad));
  };
}

/** Moves bytes between two probes until both are quiet (or one has failed). */
export async function exchange(client: Probe, server: Probe): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const c = client.error ? new Uint8Array(0) : client.takeSent();
    if (c.length && !server.error) await server.feed(c);
    const s = server.error ? new Uint8Array(0) : server.takeSent();
    if (s.length && !client.error) await client.feed(s);
    if (!c.length && !s.length) return;
  }
  throw new Error("the probes kept talking for 50 rounds");
}

/** A client and a server probe that have completed a handshake. */
export async function established(
  server: ServerConfig,
  client: Partial<ClientConfig> = {},
): Promise<{ client: Probe; server: Probe }> {
  const c = await Probe.client({ crypto: server.crypto, ...client });
  const s = Probe.server(server);
  await exchange(c, s);
  assert.ok(c.conn.handshakeInfo && s.conn.handshakeInfo, `no handshake: ${c.error ?? s.error}`);
  c.conn.takeEvents();
  s.conn.takeEvents();
  return { client: c, server: s };
}
