/**
 * The client's side of resumption (RFC 8446 §2.2, §4.6.1): what it keeps
 * of each NewSessionTicket, and where. A ticket is used for one connection
 * only (RFC 8446 §C.4: reusing one lets observers link connections), so
 * `take` removes what it returns. The in-memory store can be saved as JSON
 * (`connect --session FILE`); the format is documented on `SessionFile`.
 *
 * @module
 */

/** What a client keeps of one ticket. */
export interface StoredSession {
  /** The server name (SNI, or the address) the ticket was issued for. */
  readonly server: string;
  /** The ticket, sent back as the PSK identity. */
  readonly ticket: Uint8Array;
  /** The ticket's PSK (RFC 8446 §4.6.1). */
  readonly secret: Uint8Array;
  /** The cipher suite of the connection that received it. */
  readonly suite: number;
  /** ticket_lifetime in seconds. */
  readonly lifetime: number;
  /** ticket_age_add. */
  readonly ageAdd: number;
  /** When it was received, in milliseconds since the epoch. */
  readonly received: number;
  /** max_early_data_size (0: the server accepts no 0-RTT data with it). */
  readonly maxEarlyData: number;
  /** The ALPN protocol of the connection that received it. */
  readonly alpn?: string;
}

/** Where a client keeps tickets. */
export interface SessionStore {
  /** Keeps a ticket. */
  put(session: StoredSession): void;
  /** Removes and returns the newest unexpired ticket for `server`, if any. */
  take(server: string, now: Date): StoredSession | undefined;
}

/**
 * A JSON session file: `{"version": 1, "sessions": [...]}`, each session
 * the fields of `StoredSession` with `ticket` and `secret` in base64.
 */
export interface SessionFile {
  /** The format's version: 1. */
  version: 1;
  /** The sessions, oldest first. */
  sessions: {
    server: string;
    ticket: string;
    secret: string;
    suite: number;
    lifetime: number;
    ageAdd: number;
    received: number;
    maxEarlyData: number;
    alpn?: string;
  }[];
}

/** Whether a session's ticket has outlived its lifetime at `now`. */
function expired(s: StoredSession, now: Date): boolean {
  const age = now.getTime() - s.received;
  return age < 0 || age >= s.lifetime * 1000;
}

/** Tickets in memory, the `perServer` newest for each server. */
export class MemorySessionStore implements SessionStore {
  readonly #sessions: StoredSession[] = [];
  readonly #perServer: number;

  /** A store that keeps the `perServer` newest tickets of each server. */
  constructor(perServer: number = 8) {
    this.#perServer = perServer;
  }

  /** {@inheritDoc SessionStore.put} */
  put(session: StoredSession): void {
    this.#sessions.push(session);
    const mine = this.#sessions.filter((s) => s.server === session.server);
    if (mine.length > this.#perServer) this.#sessions.splice(this.#sessions.indexOf(mine[0]), 1);
  }

  /** {@inheritDoc SessionStore.take} */
  take(server: string, now: Date): StoredSession | undefined {
    for (let i = this.#sessions.length - 1; i >= 0; i--) {
      const s = this.#sessions[i];
      if (s.server !== server) continue;
      this.#sessions.splice(i, 1);
      if (!expired(s, now)) return s;
    }
    return undefined;
  }

  /** The sessions held, unexpired at `now`, oldest first. */
  list(now: Date): StoredSession[] {
    return this.#sessions.filter((s) => !expired(s, now));
  }

  /** The JSON file form, expired tickets dropped. */
  toFile(now: Date): SessionFile {
    return {
      version: 1,
      sessions: this.list(now).map((s) => ({
        ...s,
        ticket: s.ticket.toBase64(),
        secret: s.secret.toBase64(),
      })),
    };
  }

  /** A store from the JSON file form; throws an Error saying what is wrong. */
  static fromFile(file: unknown, now: Date): MemorySessionStore {
    const f = file as SessionFile;
    if (f?.version !== 1 || !Array.isArray(f.sessions)) {
      throw new Error('it is not a session file ({"version": 1, "sessions": [...]})');
    }
    const store = new MemorySessionStore();
    for (const s of f.sessions) {
      const session: StoredSession = {
        ...s,
        ticket: Uint8Array.fromBase64(s.ticket),
        secret: Uint8Array.fromBase64(s.secret),
      };
      for (const k of ["suite", "lifetime", "ageAdd", "received", "maxEarlyData"] as const) {
        if (!Number.isInteger(session[k])) throw new Error(`a session has no integer ${k}`);
      }
      if (typeof session.server !== "string") throw new Error("a session names no server");
      if (!expired(session, now)) store.put(session);
    }
    return store;
  }
}
