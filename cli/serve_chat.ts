/**
 * `serve --mode chat`: the two-shell experience. What is typed in the
 * server's shell goes to every client, what a client sends goes to the
 * server's shell and to the other clients, and every line says who said it.
 *
 * @module
 */

import type { TlsConn } from "../lib/tls_conn.ts";

const encoder = new TextEncoder();

/** The clients connected in chat mode, and the server's shell. */
export class ChatRoom {
  readonly #members = new Map<number, { name: string; conn: TlsConn }>();
  readonly #say: (line: string) => void;

  /** `say` prints a line in the server's shell. */
  constructor(say: (line: string) => void) {
    this.#say = say;
  }

  /** Sends each line typed in the server's shell (stdin) to every client, until stdin ends. */
  async readShell(input: ReadableStream<Uint8Array> = Deno.stdin.readable): Promise<void> {
    for await (const line of lines(input)) this.#broadcast(`server: ${line}`);
  }

  /** One client, from its handshake to its close; returns the outcome for the log. */
  async join(conn: TlsConn, id: number, peer: string): Promise<string> {
    const name = `client #${id}`;
    this.#announce(`${name} (${peer}) joined`);
    const here = ["server", ...[...this.#members.values()].map((m) => m.name)].join(", ");
    await conn.write(encoder.encode(`* you are ${name} (${peer}); here: ${here}\n`));
    this.#members.set(id, { name, conn });
    let said = 0;
    try {
      for await (const line of lines(conn.readable)) {
        said++;
        this.#say(`${name}: ${line}`);
        this.#broadcast(`${name}: ${line}`, id);
      }
    } finally {
      this.#members.delete(id);
      this.#announce(`${name} left`);
    }
    return `chat, ${said} line${said === 1 ? "" : "s"}`;
  }

  #announce(text: string): void {
    this.#say(`* ${text}`);
    this.#broadcast(`* ${text}`);
  }

  /** Sends a line to every client but `except`; one that cannot take it is left alone. */
  #broadcast(line: string, except?: number): void {
    const bytes = encoder.encode(line + "\n");
    for (const [id, m] of this.#members) {
      if (id !== except) m.conn.write(bytes).catch(() => {});
    }
  }
}

/** The lines of a byte stream, without their line endings. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl).replace(/\r$/, "");
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered) yield buffered;
}
