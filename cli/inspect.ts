/**
 * `handshake inspect`: watch two other programs speak TLS 1.3, live through
 * a relay or from a capture file, told in the words of `--trace`.
 *
 * @module
 */

import type { ProviderName } from "../lib/providers.ts";
import { parseFlags, UsageError, useColor } from "./common.ts";
import { CRYPTO_FLAGS, CRYPTO_HELP, loadCrypto } from "./crypto_flag.ts";
import { parseTarget } from "./connect.ts";
import { inspectCapture } from "./inspect_capture.ts";
import { KeyLogFile } from "./inspect_key_log.ts";
import type { NarrationOutput } from "./inspect_narration.ts";
import { inspectRelay } from "./inspect_relay.ts";
import { paint } from "./paint.ts";
import { bareTraceFlag, parseTraceLevel } from "./trace_printer.ts";

const HELP = `handshake inspect: watch two other programs speak TLS 1.3

Usage: handshake inspect --listen HOST:PORT --to HOST:PORT [options]   a live relay
       handshake inspect FILE [options]                               a pcap or pcapng capture

  --listen HOST:PORT  accept connections here (port 0: any free port, printed)
  --to HOST:PORT      and relay each, byte for byte, to this server
  --keylog FILE       NSS key log (SSLKEYLOGFILE, -keylogfile) of either program: decrypt
                      everything; the file may still be growing while the relay runs: records
                      whose secret is not in it yet are held back (up to 30 s, 16 MiB a
                      connection) and shown once it is
  --trace[=LEVEL]     LEVEL: secrets (show the secrets and keys used), bytes (every record
                      field by field), or secrets,bytes
  --json              one JSON object per event, one per line
  --max-behind MIB    how far the narration of one connection may fall behind the bytes
                      before it gives up on it, in MiB (default 256; all connections
                      together: twice that); while a connection is busy its records wait
                      for a pause, up to half of it, so that telling them does not slow it
${CRYPTO_HELP}
  -h, --help          this help

Without --keylog, encrypted records are shown as "encrypted, N bytes".
Exit status: 0 when the capture was read (or the relay stopped), 1 if the capture is
broken (one line says where), 2 on a usage error.`;

const FLAGS = {
  listen: { type: "string" },
  to: { type: "string" },
  keylog: { type: "string" },
  trace: { type: "string" },
  json: { type: "boolean" },
  "max-behind": { type: "string" },
  ...CRYPTO_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

/**
 * How long the relay waits for a secret the watched programs have not
 * logged yet, holding back the records it opens (a browser under load may
 * log seconds late); counted from the first record held, and again from
 * each secret that comes.
 */
const KEY_LOG_WAIT_MS = 30_000;
/** The most bytes of records held back for one connection meanwhile. */
const KEY_LOG_MAX_HELD = 16 << 20;
/** `--max-behind`, in MiB: its default and its largest value. */
const MAX_BEHIND_MIB = 256;
const MAX_BEHIND_LIMIT_MIB = 4096;

/** The `--max-behind` value, in bytes. */
function maxBehind(flag: string | undefined): number {
  if (flag === undefined) return MAX_BEHIND_MIB << 20;
  const mib = Number(flag);
  if (!/^\d+$/.test(flag) || mib < 1 || mib > MAX_BEHIND_LIMIT_MIB) {
    throw new UsageError(
      `--max-behind takes a whole number of MiB from 1 to ${MAX_BEHIND_LIMIT_MIB}, not "${flag}"`,
      "`--max-behind 64`",
    );
  }
  return mib * (1 << 20);
}

/** `handshake inspect`. */
export async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("inspect", bareTraceFlag(argv), FLAGS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const color = useColor() && Deno.stdout.isTerminal();
  const crypto = await loadCrypto(values.crypto);
  const out: NarrationOutput = {
    crypto,
    level: parseTraceLevel(values.trace ?? ""),
    json: values.json ?? false,
    paint: paint(color),
    write: (line) => console.log(line),
  };
  const live = values.listen !== undefined || values.to !== undefined;
  if (live) {
    if (positionals.length > 0) {
      throw new UsageError("give either a capture FILE or --listen and --to, not both");
    }
    if (!values.listen || !values.to) {
      throw new UsageError("the relay needs both --listen HOST:PORT and --to HOST:PORT");
    }
    const listen = parseTarget(values.listen), to = parseTarget(values.to);
    const behind = maxBehind(values["max-behind"]);
    if (values.keylog) await new KeyLogFile(values.keylog, true).refresh();
    return await inspectRelay({
      listen: { hostname: listen.host, port: listen.port },
      to: { hostname: to.host, port: to.port },
      level: out.level,
      json: out.json,
      color,
      crypto: values.crypto as ProviderName,
      keyLog: values.keylog,
      keyLogWait: { ms: KEY_LOG_WAIT_MS, maxBytes: KEY_LOG_MAX_HELD },
      maxBehind: behind,
    });
  }
  if (values["max-behind"] !== undefined) {
    throw new UsageError("--max-behind is for the relay (--listen, --to), not a capture");
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? "nothing to inspect" : "one capture file at a time",
      "`handshake inspect capture.pcapng` or `handshake inspect --listen HOST:PORT --to HOST:PORT`",
    );
  }
  const keyLog = values.keylog ? new KeyLogFile(values.keylog, false) : undefined;
  await keyLog?.refresh(true);
  return await inspectCapture(positionals[0], out, keyLog);
}
