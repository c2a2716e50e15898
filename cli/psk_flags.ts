/**
 * The flags of session tickets, resumption and external PSKs, for `serve`
 * (`--tickets`, `--ticket-lifetime`, `--ticket-keys`, `--rotate-ticket-keys`,
 * `--psk-ke`) and `connect` (`--session`), and for both (`--psk`,
 * `--psk-identity`): parsing, the ticket key file and the session file
 * (both written 0600: they hold secrets).
 *
 * @module
 */

import type { ExternalPsk, TicketSettings } from "../lib/config.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";
import { MemorySessionStore } from "../lib/session/store.ts";
import type { TicketKeys } from "../lib/session/ticket_keys.ts";
import { UsageError } from "./common.ts";
import { parseCount } from "./limits.ts";

/** Flags of `serve`. */
export const SERVE_PSK_FLAGS = {
  tickets: { type: "string", default: "2" },
  "ticket-lifetime": { type: "string", default: "7200" },
  "ticket-keys": { type: "string" },
  "rotate-ticket-keys": { type: "boolean" },
  "psk-ke": { type: "boolean" },
  "early-data": { type: "string", default: "0" },
  psk: { type: "string" },
  "psk-identity": { type: "string", default: "Client_identity" },
} as const;

/** Help lines of `serve`. */
export const SERVE_PSK_HELP =
  `  --tickets N         session tickets sent after each handshake (default 2; 0: none)
  --ticket-lifetime SECONDS   how long a ticket may be used (default 7200, at most 604800)
  --ticket-keys FILE  ticket keys shared by servers that resume each other's sessions
                      (created 0600 with one key when missing; the newest key seals, all open)
  --rotate-ticket-keys  add a fresh key to --ticket-keys (keeping the 3 newest), then serve
  --psk-ke            also accept psk_ke resumption (no (EC)DHE: no forward secrecy)
  --early-data BYTES  accept up to BYTES of 0-RTT data with each ticket, at most once per
                      ticket and with a fresh ticket age (default 0: never); early data may be
                      a replay: --mode http answers non-GET requests in it with 425 Too Early
  --psk HEX           accept this external PSK (as openssl s_server -psk); SHA-256 suites
  --psk-identity ID   the identity of --psk (default Client_identity)`;

/** Flags of `connect`. */
export const CONNECT_PSK_FLAGS = {
  session: { type: "string" },
  "early-data": { type: "string" },
  psk: { type: "string" },
  "psk-identity": { type: "string", default: "Client_identity" },
} as const;

/** Help lines of `connect`. */
export const CONNECT_PSK_HELP =
  `  --session FILE      resume with a ticket kept there for this server, and keep the
                      tickets received there (JSON, 0600; expired tickets dropped)
  --early-data FILE   send FILE as 0-RTT data when the --session ticket allows it, else (or
                      what does not fit) right after the handshake; then stdin as usual
  --psk HEX           offer this external PSK (as openssl s_client -psk); SHA-256 suites
  --psk-identity ID   the identity of --psk (default Client_identity)`;

/** `--psk HEX --psk-identity ID`, if given. */
export function parseExternalPsk(
  values: { psk?: string; "psk-identity"?: string },
): ExternalPsk | undefined {
  if (values.psk === undefined) return undefined;
  if (!/^([0-9a-f]{2}){16,}$/i.test(values.psk)) {
    throw new UsageError(
      "--psk must be at least 16 bytes in hex",
      "e.g. --psk $(openssl rand -hex 32)",
    );
  }
  const identity = new TextEncoder().encode(values["psk-identity"] ?? "Client_identity");
  if (identity.length === 0 || identity.length > 0xffff) {
    throw new UsageError("--psk-identity must be 1 to 65535 bytes");
  }
  return { identity, secret: Uint8Array.fromHex(values.psk) };
}

/** The server's ticket settings from its flags (undefined with --tickets 0 and no key file). */
export async function ticketSettings(
  values: {
    tickets: string;
    "ticket-lifetime": string;
    "ticket-keys"?: string;
    "rotate-ticket-keys"?: boolean;
    "psk-ke"?: boolean;
    "early-data": string;
  },
  crypto: CryptoProvider,
): Promise<TicketSettings> {
  // The server's session modules, loaded here so that `connect` (which shares this file) does not.
  const [{ MAX_TICKET_LIFETIME }, { TicketKeys }, { UsedTickets }] = await Promise.all([
    import("../lib/handshake/server_psk.ts"),
    import("../lib/session/ticket_keys.ts"),
    import("../lib/session/used_tickets.ts"),
  ]);
  const maxBytes = parseCount("--early-data", values["early-data"], 0);
  const earlyData = maxBytes
    ? { maxBytes, used: new UsedTickets(crypto.hashes["SHA-256"]) }
    : undefined;
  const count = parseCount("--tickets", values.tickets, 0);
  const lifetime = parseCount("--ticket-lifetime", values["ticket-lifetime"], 1);
  if (lifetime > MAX_TICKET_LIFETIME) {
    throw new UsageError(
      `--ticket-lifetime ${lifetime} is over 7 days`,
      `RFC 8446 §4.6.1 allows at most ${MAX_TICKET_LIFETIME} seconds`,
    );
  }
  const file = values["ticket-keys"];
  if (values["rotate-ticket-keys"] && !file) {
    throw new UsageError("--rotate-ticket-keys needs --ticket-keys FILE");
  }
  const keys = file
    ? await loadTicketKeys(file, crypto, values["rotate-ticket-keys"] ?? false)
    : TicketKeys.generate(crypto);
  return { keys, count, lifetime, pskKe: values["psk-ke"] ?? false, earlyData };
}

/** Reads (or creates, 0600) a ticket key file; with `rotate`, adds a key and writes it back. */
async function loadTicketKeys(
  file: string,
  crypto: CryptoProvider,
  rotate: boolean,
): Promise<TicketKeys> {
  const { TicketKeys } = await import("../lib/session/ticket_keys.ts");
  let keys: TicketKeys;
  try {
    keys = TicketKeys.fromText(crypto, await Deno.readTextFile(file));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new UsageError(
        `cannot use ticket key file ${file}: ${(e as Error).message}`,
        "remove it to start with a fresh key",
      );
    }
    keys = TicketKeys.generate(crypto);
    await writeSecret(file, keys.toText());
    return keys;
  }
  if (rotate) {
    keys = keys.rotate();
    await writeSecret(file, keys.toText());
  }
  return keys;
}

/** Reads a session file (a missing one is empty); expired tickets are dropped. */
export async function loadSessions(file: string): Promise<MemorySessionStore> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return new MemorySessionStore();
    throw new UsageError(`cannot read session file ${file}: ${(e as Error).message}`);
  }
  try {
    return MemorySessionStore.fromFile(JSON.parse(text), new Date());
  } catch (e) {
    throw new UsageError(
      `session file ${file} is not usable: ${(e as Error).message}`,
      "remove it; the next connection writes a fresh one",
    );
  }
}

/** Writes the sessions held back to the file (0600), expired ones dropped. */
export async function saveSessions(file: string, store: MemorySessionStore): Promise<void> {
  await writeSecret(file, JSON.stringify(store.toFile(new Date()), null, 2) + "\n");
}

/** Writes a file only its owner may read. */
async function writeSecret(file: string, text: string): Promise<void> {
  await Deno.writeTextFile(file, text, { mode: 0o600 });
  if (Deno.build.os !== "windows") await Deno.chmod(file, 0o600);
}

/** Waits until `store` holds more than `before` sessions, or `ms` pass. */
export async function ticketsArrived(
  store: MemorySessionStore,
  before: number,
  ms: number,
): Promise<void> {
  const until = Date.now() + ms;
  while (store.list(new Date()).length <= before && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
  }
}
