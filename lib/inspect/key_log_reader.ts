/**
 * Reading the NSS key log format (SSLKEYLOGFILE) that browsers, curl, Node,
 * OpenSSL's `-keylogfile` and this tool write: one line per secret,
 * `LABEL client_random secret`, in hex. The text may arrive in pieces (a
 * file that is still being written): a line is taken only once it is whole.
 *
 * @module
 */

/** The TLS 1.3 labels (as NSS names them) `inspect` looks up. */
export type KeyLogLabel =
  | "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
  | "SERVER_HANDSHAKE_TRAFFIC_SECRET"
  | "CLIENT_TRAFFIC_SECRET_0"
  | "SERVER_TRAFFIC_SECRET_0";

/** The secrets of a key log, by client random and label. */
export class KeyLogBook {
  readonly #secrets = new Map<string, Uint8Array>();
  #partial = "";
  /** Lines that are not key log lines (not counted: comments and blank lines). */
  malformed = 0;

  /** Adds text read from a key log; an unfinished last line waits for the rest. */
  add(text: string): void {
    const lines = (this.#partial + text).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) this.#line(line);
  }

  /** Takes an unfinished last line as whole (the file is complete). */
  end(): void {
    if (this.#partial) this.#line(this.#partial);
    this.#partial = "";
  }

  /** How many secrets are known. */
  get size(): number {
    return this.#secrets.size;
  }

  /** The secret logged under `label` for the connection with this client random. */
  get(clientRandom: Uint8Array, label: string): Uint8Array | undefined {
    return this.#secrets.get(`${label} ${clientRandom.toHex()}`);
  }

  #line(raw: string): void {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = line.match(/^([A-Z0-9_]+) ([0-9a-fA-F]{64}) ([0-9a-fA-F]{2,256})$/);
    if (!m || m[3].length % 2 !== 0) {
      this.malformed++;
      return;
    }
    this.#secrets.set(`${m[1]} ${m[2].toLowerCase()}`, Uint8Array.fromHex(m[3]));
  }
}
