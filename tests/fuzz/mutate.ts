/**
 * Structure-aware mutation of one direction of a recorded conversation.
 * Mutations work at three levels, and each input stacks a few:
 *
 * - records: drop, duplicate, reorder, splice from another conversation,
 *   change type or protection, split, merge, empty, pad;
 * - handshake messages (reassembled across records): boundary lengths,
 *   truncate, extend, duplicate, drop, reorder, retype, and field-aware
 *   changes of ClientHello, ServerHello, extensions, Certificate,
 *   CertificateVerify, Finished and KeyUpdate through the library's codecs;
 * - the wire: record headers set to boundary values, bit flips, truncation,
 *   garbage, and re-chunking of the deliveries.
 *
 * Protected records are sealed again with the sender's real keys, so that a
 * change inside them reaches the handshake code rather than the AEAD check.
 *
 * @module
 */

import { ContentType, ExtensionType, HandshakeType } from "../../lib/codepoints.ts";
import { RecordCipher, TAG_LENGTH } from "../../lib/crypto/aead.ts";
import type { CryptoProvider } from "../../lib/crypto/provider.ts";
import { suiteById } from "../../lib/crypto/suites.ts";
import type { Extension } from "../../lib/handshake/extensions.ts";
import {
  decodeCertificate,
  decodeClientHello,
  decodeEncryptedExtensions,
  decodeServerHello,
  encodeCertificate,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeServerHello,
  HELLO_RETRY_REQUEST_RANDOM,
} from "../../lib/handshake/messages.ts";
import { concat } from "../../lib/wire/writer.ts";
import type { Direction, LogicalRecord } from "./conversations.ts";
import type { Rng } from "./rng.ts";

/** A record ready to be serialized: `padding` zeros follow the inner content type when protected. */
interface Rec extends LogicalRecord {
  padding?: number;
}

/** The result of mutating a direction: the bytes to deliver, and what was done. */
export interface Mutated {
  chunks: Uint8Array[];
  mutations: string[];
}

/** Lengths at the edges of what TLS and this engine accept. */
const BOUNDARY_LENGTHS = [0, 1, 2, 3, 4, 31, 32, 33, 255, 256, 16383, 16384, 16385, 16640, 16641];
const BOUNDARY_24 = [0, 1, 0xffff, 0x10000, 131072, 131073, 0xffffff];
const TYPES = [0, 20, 21, 22, 23, 24, 255];
const HANDSHAKE_TYPES = [0, 1, 2, 4, 5, 8, 11, 13, 15, 20, 24, 254, 255];
const EXTENSION_TYPES = [0, 10, 13, 16, 21, 41, 42, 43, 44, 45, 47, 50, 51, 0x0a0a, 0xffff];

/** Mutates `dir` (with `others` to splice from) into an input for the engine of the other role. */
export async function mutate(
  dir: Direction,
  others: Direction[],
  rng: Rng,
  ciphers: RecordCipher[],
): Promise<Mutated> {
  const mutations: string[] = [];
  let recs: Rec[] = dir.records.map((r) => ({ ...r, content: r.content.slice() }));
  const rounds = 1 + rng.int(3);
  for (let i = 0; i < rounds; i++) {
    const level = rng.int(10);
    if (level < 4) recs = recordMutation(recs, others, rng, mutations);
    else if (level < 8) recs = messageMutation(recs, rng, mutations);
    else recs = byteMutation(recs, rng, mutations);
  }
  let sealed = await serialize(recs, ciphers);
  if (rng.chance(0.25)) sealed = wireMutation(sealed, rng, mutations);
  let chunks = rechunkByRecord(sealed, recs);
  if (rng.chance(0.2)) chunks = rechunk(chunks, rng, mutations);
  return { chunks, mutations };
}

/** Seals or frames each record, with fresh sequence numbers per key. */
async function serialize(recs: Rec[], ciphers: RecordCipher[]): Promise<Uint8Array[]> {
  for (const c of ciphers) c.seq = 0;
  const out: Uint8Array[] = [];
  for (const r of recs) {
    if (r.key < 0 || !ciphers[r.key]) {
      out.push(frame(r.type, r.content));
      continue;
    }
    const inner = new Uint8Array(r.content.length + 1 + (r.padding ?? 0));
    inner.set(r.content);
    inner[r.content.length] = r.type;
    const header = Uint8Array.of(23, 3, 3, 0, 0);
    const n = Math.min(inner.length + TAG_LENGTH, 0xffff);
    header[3] = n >> 8;
    header[4] = n & 0xff;
    out.push(concat(header, await ciphers[r.key].seal(inner, header)));
  }
  return out;
}

function frame(type: number, content: Uint8Array): Uint8Array {
  const body = content.subarray(0, 0xffff);
  return concat(Uint8Array.of(type, 3, 3, body.length >> 8, body.length & 0xff), body);
}

/** Groups serialized records back into their deliveries. */
function rechunkByRecord(sealed: Uint8Array[], recs: Rec[]): Uint8Array[] {
  const chunks: Uint8Array[][] = [];
  let last = -1;
  sealed.forEach((bytes, i) => {
    const chunk = recs[i]?.chunk ?? last;
    if (chunk !== last || chunks.length === 0) chunks.push([]);
    chunks[chunks.length - 1].push(bytes);
    last = chunk;
  });
  return chunks.map((c) => concat(...c));
}

// --- records ---

function recordMutation(recs: Rec[], others: Direction[], rng: Rng, log: string[]): Rec[] {
  if (recs.length === 0) return recs;
  const i = rng.int(recs.length);
  const r = recs[i];
  const out = recs.slice();
  switch (rng.int(11)) {
    case 0:
      log.push(`drop record ${i}`);
      out.splice(i, 1);
      break;
    case 1:
      log.push(`duplicate record ${i}`);
      out.splice(i, 0, { ...r });
      break;
    case 2: {
      const j = Math.min(i + 1, recs.length - 1);
      log.push(`swap records ${i} and ${j}`);
      [out[i], out[j]] = [out[j], out[i]];
      break;
    }
    case 3: {
      const j = rng.int(recs.length);
      log.push(`move record ${i} to ${j}`);
      out.splice(i, 1);
      out.splice(j, 0, r);
      break;
    }
    case 4: {
      const from = rng.pick(others);
      const donor = rng.pick(from.records);
      log.push(`splice a ${ContentType.name(donor.type)} record from another conversation at ${i}`);
      out.splice(i, 0, { ...donor, key: r.key, chunk: r.chunk });
      break;
    }
    case 5: {
      const type = rng.pick(TYPES);
      log.push(`record ${i} type ${r.type} -> ${type}`);
      out[i] = { ...r, type };
      break;
    }
    case 6: {
      const key = r.key < 0 ? rng.int(3) : -1;
      log.push(`record ${i} protection ${r.key} -> ${key}`);
      out[i] = { ...r, key };
      break;
    }
    case 7: {
      const at = rng.int(r.content.length + 1);
      log.push(`split record ${i} at ${at}`);
      out.splice(i, 1, { ...r, content: r.content.subarray(0, at) }, {
        ...r,
        content: r.content.subarray(at),
      });
      break;
    }
    case 8: {
      if (i + 1 >= recs.length) break;
      log.push(`merge records ${i} and ${i + 1}`);
      out.splice(i, 2, { ...r, content: concat(r.content, recs[i + 1].content) });
      break;
    }
    case 9:
      log.push(`empty record ${i}`);
      out[i] = { ...r, content: new Uint8Array(0) };
      break;
    default: {
      const padding = rng.pick([1, 100, 16384 - r.content.length, 16385 - r.content.length, 20000]);
      log.push(`pad record ${i} with ${padding}`);
      out[i] = { ...r, padding: Math.max(0, padding) };
    }
  }
  return out;
}

// --- handshake messages ---

interface Message {
  type: number;
  body: Uint8Array;
  /** The length written in the header, when it is not the body's. */
  length?: number;
}

/**
 * Picks a run of handshake records under one key, reassembles their
 * messages, mutates them and splits the result at the old record sizes.
 */
function messageMutation(recs: Rec[], rng: Rng, log: string[]): Rec[] {
  const starts = recs.flatMap((r, i) =>
    r.type === ContentType.handshake && (i === 0 || recs[i - 1].key !== r.key ||
        recs[i - 1].type !== ContentType.handshake)
      ? [i]
      : []
  );
  if (starts.length === 0) return recs;
  const start = rng.pick(starts);
  let end = start;
  while (
    end + 1 < recs.length && recs[end + 1].type === ContentType.handshake &&
    recs[end + 1].key === recs[start].key
  ) end++;
  const run = recs.slice(start, end + 1);
  const { messages, rest } = parseMessages(concat(...run.map((r) => r.content)));
  if (messages.length === 0) return recs;
  mutateMessages(messages, rng, log);
  const bytes = concat(...messages.map(encodeMessage), rest);
  const sizes = run.map((r) => r.content.length);
  const pieces: Rec[] = [];
  let at = 0;
  run.forEach((r, k) => {
    const n = k === run.length - 1 ? bytes.length - at : Math.min(sizes[k], bytes.length - at);
    pieces.push({ ...r, content: bytes.subarray(at, at + n) });
    at += n;
  });
  return [...recs.slice(0, start), ...pieces, ...recs.slice(end + 1)];
}

function parseMessages(bytes: Uint8Array): { messages: Message[]; rest: Uint8Array } {
  const messages: Message[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const n = (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    if (at + 4 + n > bytes.length) break;
    messages.push({ type: bytes[at], body: bytes.slice(at + 4, at + 4 + n) });
    at += 4 + n;
  }
  return { messages, rest: bytes.slice(at) };
}

function encodeMessage(m: Message): Uint8Array {
  const n = m.length ?? m.body.length;
  return concat(Uint8Array.of(m.type, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff), m.body);
}

function mutateMessages(msgs: Message[], rng: Rng, log: string[]): void {
  const i = rng.int(msgs.length);
  const m = msgs[i];
  const name = HandshakeType.name(m.type);
  switch (rng.int(9)) {
    case 0: {
      const length = rng.chance(0.5)
        ? rng.pick(BOUNDARY_24)
        : Math.max(0, m.body.length + rng.pick([-2, -1, 1, 2]));
      log.push(`${name}: length field ${m.body.length} -> ${length}`);
      m.length = length;
      break;
    }
    case 1: {
      const n = rng.int(m.body.length + 1);
      log.push(`${name}: body truncated to ${n}`);
      m.body = m.body.subarray(0, n);
      break;
    }
    case 2: {
      const extra = rng.bytes(rng.pick([1, 2, 7, 300]));
      log.push(`${name}: ${extra.length} bytes appended`);
      m.body = concat(m.body, extra);
      break;
    }
    case 3:
      log.push(`${name}: duplicated`);
      msgs.splice(i, 0, { ...m });
      break;
    case 4:
      log.push(`${name}: dropped`);
      msgs.splice(i, 1);
      break;
    case 5: {
      const j = rng.int(msgs.length);
      log.push(`${name}: swapped with message ${j}`);
      [msgs[i], msgs[j]] = [msgs[j], msgs[i]];
      break;
    }
    case 6: {
      const type = rng.pick(HANDSHAKE_TYPES);
      log.push(`${name}: type -> ${type}`);
      m.type = type;
      break;
    }
    default:
      m.body = structured(m, rng, log);
  }
}

/** A change that knows the message's fields, through the library's decoders and encoders. */
function structured(m: Message, rng: Rng, log: string[]): Uint8Array {
  const name = HandshakeType.name(m.type);
  try {
    switch (m.type) {
      case HandshakeType.client_hello: {
        const ch = decodeClientHello(m.body);
        const field = rng.int(6);
        if (field === 0) ch.extensions = mutateExtensions(ch.extensions, rng, log, name);
        else if (field === 1) {
          ch.cipherSuites = rng.pick([[], [0x1303], [0x1301, 0x1301], [0x0a0a, 0x1302]]);
          log.push(`${name}: cipher_suites ${ch.cipherSuites}`);
        } else if (field === 2) {
          ch.legacyCompressionMethods = rng.pick([Uint8Array.of(1, 0), Uint8Array.of(1)]);
          log.push(`${name}: compression methods ${ch.legacyCompressionMethods}`);
        } else if (field === 3) {
          ch.legacySessionId = rng.bytes(rng.pick([0, 1, 32]));
          log.push(`${name}: session id of ${ch.legacySessionId.length} bytes`);
        } else if (field === 4) {
          ch.legacyVersion = rng.pick([0x0300, 0x0301, 0x0304, 0xffff]);
          log.push(`${name}: legacy_version ${ch.legacyVersion}`);
        } else {
          ch.random = rng.bytes(32);
          log.push(`${name}: new random`);
        }
        return encodeClientHello(ch);
      }
      case HandshakeType.server_hello: {
        const sh = decodeServerHello(m.body);
        const field = rng.int(5);
        if (field === 0) sh.extensions = mutateExtensions(sh.extensions, rng, log, name);
        else if (field === 1) {
          sh.cipherSuite = rng.pick([0x1301, 0x1302, 0x1303, 0x00ff, 0x0a0a]);
          log.push(`${name}: cipher_suite ${sh.cipherSuite}`);
        } else if (field === 2) {
          sh.random = sh.random[0] === HELLO_RETRY_REQUEST_RANDOM[0]
            ? rng.bytes(32)
            : HELLO_RETRY_REQUEST_RANDOM;
          log.push(`${name}: toggled HelloRetryRequest random`);
        } else if (field === 3) {
          sh.legacyCompressionMethod = 1;
          log.push(`${name}: compression method 1`);
        } else {
          sh.legacySessionIdEcho = rng.bytes(rng.pick([0, 32]));
          log.push(`${name}: other session id echo`);
        }
        return encodeServerHello(sh);
      }
      case HandshakeType.encrypted_extensions:
        return encodeEncryptedExtensions(
          mutateExtensions(decodeEncryptedExtensions(m.body), rng, log, name),
        );
      case HandshakeType.certificate: {
        const c = decodeCertificate(m.body);
        const op = rng.int(4);
        if (op === 0) c.entries = [];
        else if (op === 1) c.entries = [...c.entries, ...c.entries];
        else if (op === 2) c.context = Uint8Array.of(1);
        else if (c.entries[0]) {
          const der = c.entries[0].certificate.slice();
          der[rng.int(der.length)] ^= 1 << rng.int(8);
          c.entries[0] = { ...c.entries[0], certificate: der };
        }
        log.push(`${name}: ${["no entries", "entries twice", "context", "a bit of the leaf"][op]}`);
        return encodeCertificate(c);
      }
      case HandshakeType.key_update:
        log.push(`${name}: request_update varied`);
        return Uint8Array.of(rng.pick([0, 1, 2, 255]));
    }
  } catch {
    // Not decodable (an earlier mutation broke it): fall through to bytes.
  }
  const body = m.body.slice();
  if (body.length) body[rng.int(body.length)] ^= 1 << rng.int(8);
  log.push(`${name}: a bit flipped`);
  return body;
}

function mutateExtensions(exts: Extension[], rng: Rng, log: string[], where: string): Extension[] {
  const out = exts.slice();
  const i = rng.int(out.length);
  const e = out[i];
  const op = e ? rng.int(6) : 5;
  const name = e ? ExtensionType.name(e.type) : "";
  if (op === 0) {
    log.push(`${where}: ${name} dropped`);
    out.splice(i, 1);
  } else if (op === 1) {
    log.push(`${where}: ${name} twice`);
    out.push(e);
  } else if (op === 2) {
    log.push(`${where}: extensions reversed`);
    out.reverse();
  } else if (op === 3) {
    const data = e.data.slice();
    if (data.length) data[rng.int(data.length)] ^= 1 << rng.int(8);
    log.push(`${where}: a bit of ${name} flipped`);
    out[i] = { ...e, data };
  } else if (op === 4) {
    const data = rng.chance(0.5) ? new Uint8Array(0) : concat(e.data, rng.bytes(1));
    log.push(`${where}: ${name} ${data.length ? "with a trailing byte" : "empty"}`);
    out[i] = { ...e, data };
  } else {
    const type = rng.pick(EXTENSION_TYPES);
    log.push(`${where}: extension ${type} added`);
    out.push({ type, data: rng.bytes(rng.int(5)) });
  }
  return out;
}

// --- bytes of a record's content ---

function byteMutation(recs: Rec[], rng: Rng, log: string[]): Rec[] {
  if (recs.length === 0) return recs;
  const i = rng.int(recs.length);
  const c = recs[i].content.slice();
  const at = rng.int(c.length + 1);
  let content: Uint8Array;
  switch (rng.int(4)) {
    case 0:
      if (c.length) c[Math.min(at, c.length - 1)] ^= 1 << rng.int(8);
      content = c;
      log.push(`record ${i}: bit flipped at ${at}`);
      break;
    case 1:
      content = concat(c.subarray(0, at), rng.bytes(1 + rng.int(8)), c.subarray(at));
      log.push(`record ${i}: bytes inserted at ${at}`);
      break;
    case 2:
      content = concat(c.subarray(0, at), c.subarray(at + 1 + rng.int(8)));
      log.push(`record ${i}: bytes deleted at ${at}`);
      break;
    default: {
      // A 1-, 2- or 3-byte field set to a boundary value.
      const width = 1 + rng.int(3);
      const value = rng.pick([0, 1, 0x7f, 0x80, 0xff, 0xffff, 0xffffff]) & ((1 << (8 * width)) - 1);
      for (let k = 0; k < width && at + k < c.length; k++) {
        c[at + k] = (value >> (8 * (width - 1 - k))) & 0xff;
      }
      content = c;
      log.push(`record ${i}: ${width}-byte field at ${at} = ${value}`);
    }
  }
  const out = recs.slice();
  out[i] = { ...recs[i], content };
  return out;
}

// --- the wire ---

function wireMutation(sealed: Uint8Array[], rng: Rng, log: string[]): Uint8Array[] {
  const out: Uint8Array[] = sealed.map((s) => s.slice());
  const i = rng.int(out.length);
  const r = out[i];
  switch (rng.int(5)) {
    case 0: {
      const n = rng.pick(BOUNDARY_LENGTHS.concat([0xffff]));
      log.push(`wire: record ${i} length field = ${n}`);
      r[3] = (n >> 8) & 0xff;
      r[4] = n & 0xff;
      break;
    }
    case 1:
      log.push(`wire: record ${i} version 0x${r[1].toString(16)} -> 0x0${rng.int(4)}03`);
      r[1] = rng.int(4);
      break;
    case 2: {
      const at = rng.int(r.length);
      log.push(`wire: record ${i} bit flipped at ${at}`);
      r[at] ^= 1 << rng.int(8);
      break;
    }
    case 3:
      log.push(`wire: garbage after record ${i}`);
      out.splice(i + 1, 0, rng.bytes(1 + rng.int(40)));
      break;
    default: {
      const n = rng.int(r.length);
      log.push(`wire: stream cut inside record ${i} at ${n}`);
      out.splice(i, out.length - i, r.subarray(0, n));
    }
  }
  return out;
}

function rechunk(chunks: Uint8Array[], rng: Rng, log: string[]): Uint8Array[] {
  const all = concat(...chunks);
  if (rng.chance(0.3)) {
    log.push("wire: one delivery");
    return [all];
  }
  const max = rng.pick([1, 3, 17, 500]);
  log.push(`wire: deliveries of 1..${max} bytes`);
  const out: Uint8Array[] = [];
  for (let at = 0; at < all.length;) {
    const n = 1 + rng.int(max);
    out.push(all.subarray(at, at + n));
    at += n;
  }
  return out;
}

/**
 * The sender's ciphers for a direction under `suite` on `crypto`, made once
 * and reused (sequence numbers reset per input).
 */
export function ciphersFor(
  dir: Direction,
  suite: number,
  crypto: CryptoProvider,
): Promise<RecordCipher[]> {
  const s = suiteById(crypto, suite)!;
  return Promise.all(dir.keys.map((k) => RecordCipher.fromKeys(s, k.key, k.iv)));
}
