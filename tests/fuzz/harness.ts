/**
 * The fuzz harness: runs one input (the bytes one side would have sent)
 * through a fresh engine of the other role and checks what the issue asks
 * of every input: the engine continues, or stops with one of the RFC's
 * alerts as a typed error and sends that alert; it throws nothing else,
 * every call settles (no hang), its buffers stay within the limits and its
 * output stays bounded. `fuzz()` mutates the recorded conversations with a
 * seeded generator for a while and reports findings as replayable inputs.
 *
 * @module
 */

import { Connection } from "../../lib/connection.ts";
import { DEFAULT_LIMITS } from "../../lib/config.ts";
import { ContentType } from "../../lib/codepoints.ts";
import { defaultProvider } from "../../lib/crypto/default.ts";
import type { CryptoProvider } from "../../lib/crypto/provider.ts";
import { AlertDescription, PeerAlert, TlsError, TruncationError } from "../../lib/errors.ts";
import { HEADER_LENGTH, MAX_CIPHERTEXT, MAX_PLAINTEXT } from "../../lib/record/deframer.ts";
import {
  clientConfig,
  type Conversation,
  type Direction,
  loadKeys,
  record,
  SCENARIOS,
  serverConfig,
} from "./conversations.ts";
import { ciphersFor, mutate } from "./mutate.ts";
import { Rng } from "./rng.ts";

/** One input: the scenario whose engine receives it, the role under test, and the deliveries. */
export interface FuzzInput {
  scenario: string;
  role: "client" | "server";
  chunks: Uint8Array[];
  /** How the input was made from the recording, for people. */
  mutations: string[];
}

/** What one input did. */
export interface Verdict {
  /** `ok`, `alert <name>` (we refused), `peer <name>` (an alert in the input), or `truncated`. */
  outcome: string;
  /** Set when the engine broke a rule: what happened. */
  finding?: string;
}

/** A receive that has not settled after this long is a hang. */
const HANG_MS = 5000;
/** Bytes the engine may hold between calls: a partial record, and a partial message plus a record. */
const MAX_BUFFERED = HEADER_LENGTH + MAX_CIPHERTEXT + DEFAULT_LIMITS.maxHandshakeMessage + 4 +
  MAX_PLAINTEXT;
/** The alerts RFC 8446 §6.2 names for errors we detect (internal_error means a bug). */
const RFC_ALERTS = new Set(
  [
    "unexpected_message",
    "bad_record_mac",
    "record_overflow",
    "handshake_failure",
    "bad_certificate",
    "unsupported_certificate",
    "certificate_expired",
    "certificate_unknown",
    "illegal_parameter",
    "unknown_ca",
    "decode_error",
    "decrypt_error",
    "protocol_version",
    "missing_extension",
    "unsupported_extension",
    "certificate_required",
    "no_application_protocol",
  ].map((n) => AlertDescription[n as "decode_error"]),
);

/** Runs `input` through a fresh engine on `crypto` and judges it. Never throws. */
export async function runInput(
  input: FuzzInput,
  crypto: CryptoProvider = defaultProvider,
): Promise<Verdict> {
  await loadKeys(crypto);
  const conn = input.role === "server"
    ? Connection.server(serverConfig(input.scenario, crypto))
    : Connection.client(clientConfig(input.scenario, crypto));
  const finding = (what: string) => ({ outcome: "finding", finding: what });
  try {
    await conn.start();
    conn.takeOutput();
  } catch (e) {
    return finding(`start() failed: ${e}`);
  }
  let received = 0;
  for (const chunk of input.chunks) {
    received += chunk.length;
    const settled = await settle(conn.receive(chunk));
    if (settled === "hang") return finding(`receive() did not settle within ${HANG_MS} ms`);
    const out = conn.takeOutput();
    if (out.length > 1 << 20) return finding(`one receive() produced ${out.length} bytes`);
    const data = conn.takeEvents().reduce((n, e) => n + (e.type === "data" ? e.data.length : 0), 0);
    if (data > received) return finding(`delivered ${data} bytes of data from ${received} bytes`);
    if (settled.error === undefined) {
      if (conn.buffered > MAX_BUFFERED) return finding(`holds ${conn.buffered} bytes`);
      continue;
    }
    return judgeError(conn, settled.error, out);
  }
  const end = conn.endOfInput();
  if (end && !(end instanceof TruncationError)) return finding(`endOfInput() returned ${end}`);
  return { outcome: end ? "truncated" : "ok" };
}

/** A failure must be a TlsError with an RFC alert that was sent, or the peer's own alert. */
async function judgeError(conn: Connection, e: unknown, out: Uint8Array): Promise<Verdict> {
  const finding = (what: string) => ({ outcome: "finding", finding: what });
  if (e instanceof PeerAlert) return { outcome: `peer ${e.alertName}` };
  if (!(e instanceof TlsError)) {
    return finding(`threw ${(e as Error)?.name}: ${(e as Error)?.message ?? e}`);
  }
  if (!RFC_ALERTS.has(e.alert)) return finding(`alert ${e.alertName}: ${e.message}`);
  const last = lastRecord(out);
  const plaintextAlert = last?.[0] === ContentType.alert;
  if (!last || !(plaintextAlert || last[0] === ContentType.application_data)) {
    return finding(`no alert record sent for ${e.alertName}: ${e.message}`);
  }
  if (plaintextAlert && (last[5] !== 2 || last[6] !== e.alert)) {
    return finding(`sent alert ${last[6]} for ${e.alertName}`);
  }
  const again = await settle(conn.receive(Uint8Array.of(0)));
  if (again === "hang" || again.error !== e) {
    return finding(`after failing, receive() did not reject with the same error`);
  }
  return { outcome: `alert ${e.alertName}` };
}

/** The last whole record of `out`, if any. */
function lastRecord(out: Uint8Array): Uint8Array | undefined {
  let at = 0, last: Uint8Array | undefined;
  while (at + HEADER_LENGTH <= out.length) {
    const n = (out[at + 3] << 8) | out[at + 4];
    last = out.subarray(at, at + HEADER_LENGTH + n);
    at += HEADER_LENGTH + n;
  }
  return last;
}

/** Waits for `p`, or reports a hang; the timer is cleared either way. */
async function settle(p: Promise<void>): Promise<{ error?: unknown } | "hang"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<"hang">((resolve) => timer = setTimeout(() => resolve("hang"), HANG_MS));
  try {
    return await Promise.race([p.then(() => ({}), (error) => ({ error })), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every scenario recorded once on `crypto`, both directions. */
export async function recordAll(crypto: CryptoProvider): Promise<Conversation[]> {
  return await Promise.all(Object.keys(SCENARIOS).map((s) => record(s, crypto)));
}

/** What a fuzz run did. */
export interface FuzzStats {
  inputs: number;
  seconds: number;
  /** How many inputs ended each way (`alert decode_error`, `ok`, ...). */
  outcomes: Record<string, number>;
  findings: { input: FuzzInput; verdict: Verdict }[];
}

/**
 * Mutates the recorded conversations for `seconds` (or `maxInputs`) with a
 * generator seeded by `seed`, running each input in both roles' turn, on
 * `crypto` (the default provider unless given).
 */
export async function fuzz(
  opts: { seconds: number; seed: number; maxInputs?: number; crypto?: CryptoProvider },
  onFinding: (input: FuzzInput, verdict: Verdict) => void | Promise<void> = () => {},
): Promise<FuzzStats> {
  const crypto = opts.crypto ?? defaultProvider;
  const conversations = await recordAll(crypto);
  const targets: { scenario: string; role: "client" | "server"; dir: Direction; suite: number }[] =
    [];
  for (const c of conversations) {
    targets.push({ scenario: c.scenario, role: "server", dir: c.toServer, suite: c.suite });
    targets.push({ scenario: c.scenario, role: "client", dir: c.toClient, suite: c.suite });
  }
  const ciphers = new Map(
    await Promise.all(
      targets.map(async (t) => [t.dir, await ciphersFor(t.dir, t.suite, crypto)] as const),
    ),
  );
  const rng = new Rng(opts.seed);
  const stats: FuzzStats = { inputs: 0, seconds: 0, outcomes: {}, findings: [] };
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  while (performance.now() < deadline && stats.inputs < (opts.maxInputs ?? Infinity)) {
    const t = targets[stats.inputs % targets.length];
    const others = targets.filter((o) => o.role === t.role && o !== t).map((o) => o.dir);
    const { chunks, mutations } = await mutate(t.dir, others, rng, ciphers.get(t.dir)!);
    const input = { scenario: t.scenario, role: t.role, chunks, mutations };
    const verdict = await runInput(input, crypto);
    stats.inputs++;
    stats.outcomes[verdict.outcome] = (stats.outcomes[verdict.outcome] ?? 0) + 1;
    if (verdict.finding) {
      stats.findings.push({ input, verdict });
      await onFinding(input, verdict);
    }
  }
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}

// --- the corpus: findings saved as replayable cases ---

/** Where findings are kept; each file replays as a regular test. */
export const CORPUS = new URL("./corpus/", import.meta.url);

/** A corpus file's content. */
interface CorpusCase {
  scenario: string;
  role: "client" | "server";
  finding: string;
  /** The verdict once fixed (written by hand): the replay must still reach the same check. */
  outcome?: string;
  mutations: string[];
  chunks: string[];
}

/** Saves a finding under tests/fuzz/corpus/, named by its kind and content; returns the path. */
export async function saveCase(input: FuzzInput, verdict: Verdict): Promise<string> {
  const bytes = new TextEncoder().encode(input.chunks.map((c) => c.toHex()).join("/"));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex().slice(0, 12);
  const kind = (verdict.finding ?? "case").split(/[^a-z]+/i).filter(Boolean).slice(0, 3).join("-")
    .toLowerCase();
  const file = new URL(`${input.role}-${kind}-${hash}.json`, CORPUS);
  const data: CorpusCase = {
    scenario: input.scenario,
    role: input.role,
    finding: verdict.finding ?? "",
    mutations: input.mutations,
    chunks: input.chunks.map((c) => c.toHex()),
  };
  await Deno.mkdir(CORPUS, { recursive: true });
  await Deno.writeTextFile(file, JSON.stringify(data, null, 2) + "\n");
  return file.pathname;
}

/** Every saved case, as inputs. */
export async function loadCorpus(): Promise<
  { name: string; input: FuzzInput; finding: string; outcome?: string }[]
> {
  const out = [];
  for await (const entry of Deno.readDir(CORPUS)) {
    if (!entry.name.endsWith(".json")) continue;
    const c: CorpusCase = JSON.parse(await Deno.readTextFile(new URL(entry.name, CORPUS)));
    out.push({
      name: entry.name,
      finding: c.finding,
      outcome: c.outcome,
      input: {
        scenario: c.scenario,
        role: c.role,
        mutations: c.mutations,
        chunks: c.chunks.map((h) => Uint8Array.fromHex(h)),
      },
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
