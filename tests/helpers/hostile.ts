/**
 * Tools for feeding crafted bytes to a real engine and checking how it
 * refuses them: a `Probe` (an engine, untraced as in production, with its
 * key log, output and input collected), record and message builders, a
 * valid TLS 1.3 ClientHello to start from, and a sealer that protects
 * records with the keys a side is using, taken from the key log and the
 * records on the wire (as a capture tool would), so that crafted content
 * reaches the handshake code behind the AEAD.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Connection } from "../../lib/connection.ts";
import type { ClientConfig, ServerConfig } from "../../lib/config.ts";
import { AlertDescription, TlsError, type TlsErrorCode } from "../../lib/errors.ts";
import {
  ContentType,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
} from "../../lib/codepoints.ts";
import { RecordCipher, TAG_LENGTH, trafficKeys } from "../../lib/crypto/aead.ts";
import { type Suite, suiteById } from "../../lib/crypto/suites.ts";
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
  type HandshakeMessage,
} from "../../lib/handshake/messages.ts";
import type { RawRecord } from "../../lib/record/deframer.ts";
import { HandshakeJoiner } from "../../lib/record/handshake_joiner.ts";
import { Direction, openRecord } from "../../lib/record/record_layer.ts";
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

/** The secret logged under `label` (NSS key log lines), the last one if there are several. */
export function loggedSecret(keyLog: readonly string[], label: string): Uint8Array | undefined {
  const line = keyLog.findLast((l) => l.startsWith(`${label} `));
  return line === undefined ? undefined : Uint8Array.fromHex(line.trim().split(" ")[2]);
}

/** Options of a probe. */
export interface ProbeOptions {
  /**
   * Collect the engine's trace in `trace` (off by default: the engine is
   * tested as it runs in production; the trace only observes it).
   */
  trace?: boolean;
}

/**
 * What a test saw of one connection: the key log of one of its ends (NSS
 * lines, as `config.keyLog` writes them) and the bytes each side sent.
 */
export interface Seen {
  readonly keyLog: readonly string[];
  sentBy(side: Side): Uint8Array;
}

/**
 * An engine under test, untraced unless asked, with its key log, what it
 * sent and what it was fed collected. `feed` hands it bytes and keeps the
 * error it ends with.
 */
export class Probe implements Seen {
  readonly conn: Connection;
  readonly role: Side;
  readonly keyLog: string[];
  readonly #trace?: TraceEvent[];
  #sent: Uint8Array[] = [];
  #received: Uint8Array[] = [];
  #taken = 0;
  error?: Error;

  private constructor(
    make: (observe: Pick<ClientConfig, "keyLog" | "trace">) => Connection,
    options: ProbeOptions,
  ) {
    const keyLog: string[] = [], trace: TraceEvent[] = [];
    this.conn = make({
      keyLog: (line) => keyLog.push(line),
      trace: options.trace ? (e) => trace.push(e) : undefined,
    });
    this.keyLog = keyLog;
    this.#trace = options.trace ? trace : undefined;
    this.role = this.conn.role;
  }

  /** A server engine with `config`. */
  static server(config: ServerConfig, options: ProbeOptions = {}): Probe {
    return new Probe((observe) => Connection.server({ ...config, ...observe }), options);
  }

  /** A started client engine (its ClientHello is in `sent`). */
  static async client(
    config: Partial<ClientConfig> = {},
    options: ProbeOptions = {},
  ): Promise<Probe> {
    const p = new Probe(
      (observe) =>
        Connection.client({
          verifier: acceptAnything,
          serverName: "localhost",
          ...config,
          ...observe,
        }),
      options,
    );
    await p.conn.start();
    p.#collect();
    return p;
  }

  /** The engine's trace, for a probe made with `{ trace: true }`. */
  get trace(): TraceEvent[] {
    assert.ok(this.#trace, "this probe is not traced: make it with { trace: true }");
    return this.#trace;
  }

  /** Feeds each chunk in turn; stops at the first error (kept in `error`). */
  async feed(...chunks: Uint8Array[]): Promise<void> {
    for (const c of chunks) {
      this.#received.push(c.slice());
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

  /** Writes application data through the engine (its records go to `sent`). */
  async write(data: Uint8Array): Promise<void> {
    await this.conn.write(data);
    this.#collect();
  }

  /** Sends close_notify through the engine (its record goes to `sent`). */
  async close(): Promise<void> {
    await this.conn.close();
    this.#collect();
  }

  /** Everything the engine has sent so far, in order. */
  get sent(): Uint8Array {
    return concat(...this.#sent);
  }

  /** What `side` sent: this engine's output, or what it was fed. */
  sentBy(side: Side): Uint8Array {
    return side === this.role ? this.sent : concat(...this.#received);
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
 * RegExp of it), and that the last record it sent is that alert, fatal
 * (opened with its key log when it is encrypted), so the peer was told
 * before the connection ended.
 */
export async function assertAlert(
  p: Probe,
  alert: number,
  ...expected: (TlsErrorCode | RegExp | undefined)[]
): Promise<void> {
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
  const { opened, records } = await follow(p, p.role);
  const last = opened.at(-1);
  assert.ok(last, "no record was sent");
  assert.equal(last.index, records - 1, "the last record sent does not open with the key log");
  assert.equal(last.type, ContentType.alert, "the last record sent is not an alert");
  assert.deepEqual([...last.content], [2, alert], "the alert sent is not the fatal one expected");
}

/** The records `side` sent, as far as they open, and the keys it seals its next record with. */
interface Followed {
  /** How many records `side` sent. */
  records: number;
  /** The records that were plaintext or opened, with their index among all. */
  opened: { index: number; type: number; content: Uint8Array }[];
  /** The traffic secret of the next record, and its sequence number (RFC 8446 §5.3). */
  next?: { secret: Uint8Array; seq: number };
  suite?: Suite;
}

/** Handshake messages after which `side` seals under its next traffic secret (RFC 8446 §7). */
const KEY_CHANGES: readonly number[] = [
  HandshakeType.end_of_early_data,
  HandshakeType.finished,
  HandshakeType.key_update,
];

/**
 * Follows what `side` sent with the key log, as a capture tool would: its
 * traffic secrets in the order RFC 8446 §7.1 and §7.2 derive them (early,
 * handshake, application 0, 1, ...), the next one taken after EndOfEarlyData,
 * Finished or KeyUpdate (or when a record opens only under it: a client
 * whose early data was declined); records that open under no secret (early
 * data the receiver skipped) are passed over. The suite is the ServerHello's.
 */
async function follow(seen: Seen, side: Side): Promise<Followed> {
  const suite = serverHelloSuite(seen.sentBy("server"));
  const prefix = side.toUpperCase();
  const secrets = seen.keyLog.flatMap((line) => {
    const [label, , secret] = line.trim().split(" ");
    const ours = label === `${prefix}_EARLY_TRAFFIC_SECRET` ||
      label === `${prefix}_HANDSHAKE_TRAFFIC_SECRET` ||
      label.startsWith(`${prefix}_TRAFFIC_SECRET_`);
    return ours ? [Uint8Array.fromHex(secret)] : [];
  });
  const ciphers = new Map<number, RecordCipher>();
  /** Opens `rec` under secret `i` at sequence number `seq`, or undefined if it does not open. */
  const tryOpen = async (i: number, seq: number, rec: RawRecord) => {
    if (!ciphers.has(i)) {
      const { key, iv } = trafficKeys(suite!, secrets[i]);
      ciphers.set(i, await RecordCipher.fromKeys(suite!, key, iv));
    }
    const dir = new Direction();
    dir.set(ciphers.get(i)!, secrets[i], "application");
    dir.cipher!.seq = seq;
    try {
      return await openRecord(dir, rec);
    } catch {
      return undefined;
    }
  };
  const joiner = new HandshakeJoiner(1 << 24);
  const opened: Followed["opened"] = [];
  let at = 0, seq = 0, index = 0;
  for (const rec of splitRecords(seen.sentBy(side))) {
    const i = index++;
    if (rec.type !== ContentType.application_data) {
      opened.push({ index: i, type: rec.type, content: rec.fragment });
      continue;
    }
    for (let j = at; suite && j < secrets.length; j++) {
      const record = await tryOpen(j, j === at ? seq : 0, rec);
      if (!record) continue;
      seq = j === at ? seq + 1 : 1;
      at = j;
      opened.push({ index: i, type: record.type, content: record.content });
      if (record.type === ContentType.handshake) {
        for (const type of messageTypes(joiner, record.content)) {
          if (KEY_CHANGES.includes(type)) [at, seq] = [at + 1, 0];
        }
      }
      break;
    }
  }
  const next = at < secrets.length ? { secret: secrets[at], seq } : undefined;
  return { records: index, opened, next, suite };
}

/** The types of the handshake messages completed by `content` (none if it is not well framed). */
function messageTypes(joiner: HandshakeJoiner, content: Uint8Array): number[] {
  const types = [];
  try {
    joiner.push(content);
    for (let m = joiner.next(); m; m = joiner.next()) types.push(m.type);
  } catch {
    // Hostile framing: no key change is inferred from it.
  }
  return types;
}

/** The whole records in `bytes`, in order (a partial last one is left out). */
function* splitRecords(bytes: Uint8Array): Generator<RawRecord> {
  for (let at = 0; at + 5 <= bytes.length;) {
    const end = at + 5 + ((bytes[at + 3] << 8) | bytes[at + 4]);
    if (end > bytes.length) return;
    const header = bytes.subarray(at, at + 5);
    yield {
      type: bytes[at],
      version: (bytes[at + 1] << 8) | bytes[at + 2],
      header,
      fragment: bytes.subarray(at + 5, end),
    };
    at = end;
  }
}

/**
 * The cipher suite (on WebCrypto, the test's own side) of the server's first
 * ServerHello (RFC 8446 §4.1.3), read where it lies: the rest of a crafted
 * ServerHello may not decode.
 */
function serverHelloSuite(server: Uint8Array): Suite | undefined {
  const first = splitRecords(server).next().value;
  if (first?.type !== ContentType.handshake || first.fragment[0] !== HandshakeType.server_hello) {
    return undefined;
  }
  // Message header (4), legacy_version (2), random (32), legacy_session_id_echo (1 + length).
  const at = 4 + 2 + 32 + 1 + first.fragment[4 + 2 + 32];
  if (at + 2 > first.fragment.length) return undefined;
  return suiteById(webcrypto, (first.fragment[at] << 8) | first.fragment[at + 1]);
}

/**
 * Seals records as `side` would, with the keys it seals its next record
 * with: its traffic secret from the key log and the next sequence number
 * (see `follow`). Only valid while that side sends nothing more itself.
 */
export async function sealerFor(
  seen: Seen,
  side: Side,
): Promise<(type: number, content: Uint8Array, padding?: number) => Promise<Uint8Array>> {
  const { next, suite } = await follow(seen, side);
  assert.ok(suite, "no ServerHello yet");
  assert.ok(next, `${side} has no keys yet`);
  const { key, iv } = trafficKeys(suite, next.secret);
  const cipher = await RecordCipher.fromKeys(suite, key, iv);
  cipher.seq = next.seq;
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

/**
 * The handshake messages `side` sent, whole, in order, from the records
 * that open with the key log (see `follow`).
 */
export async function messagesSentBy(seen: Seen, side: Side): Promise<HandshakeMessage[]> {
  const joiner = new HandshakeJoiner(1 << 24);
  const out: HandshakeMessage[] = [];
  for (const r of (await follow(seen, side)).opened) {
    if (r.type !== ContentType.handshake) continue;
    joiner.push(r.content);
    for (let m = joiner.next(); m; m = joiner.next()) out.push(m);
  }
  return out;
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
