/**
 * `handshake inspect --listen HOST:PORT --to HOST:PORT`: a TCP relay that
 * passes every byte on unchanged, as soon as it comes, and narrates each
 * connection beside it. The narration never holds the relay up: it works on
 * its own copy of the bytes, behind, and gives up on a connection (saying
 * so) rather than buffer without bound.
 *
 * @module
 */

import type { Side } from "../lib/trace.ts";
import type { KeyLogFile } from "./inspect_key_log.ts";
import { Narration, type NarrationOutput } from "./inspect_narration.ts";

/** Bytes the narration of one connection may be behind the relay before it stops. */
const MAX_BACKLOG = 64 << 20;
const READ_SIZE = 64 * 1024;

/** Where the relay listens and where it connects. */
export interface RelayOptions {
  readonly listen: { hostname: string; port: number };
  readonly to: { hostname: string; port: number };
}

/** Runs the relay until the process ends. */
export async function inspectRelay(
  options: RelayOptions,
  out: NarrationOutput,
  keyLog?: KeyLogFile,
): Promise<number> {
  const listener = Deno.listen({ ...options.listen, transport: "tcp" });
  const addr = listener.addr as Deno.NetAddr;
  const to = `${options.to.hostname}:${options.to.port}`;
  out.write(
    out.json
      ? JSON.stringify({ event: "listening", address: `${addr.hostname}:${addr.port}`, to })
      : `inspect: listening on ${addr.hostname}:${addr.port}, relaying to ${to}` +
        (keyLog ? `, secrets from ${keyLog.path}` : ", without a key log"),
  );
  let id = 0;
  for await (const client of listener) {
    relayOne(client, ++id, options, out, keyLog);
  }
  return 0;
}

/** Relays and narrates one connection. */
async function relayOne(
  client: Deno.TcpConn,
  id: number,
  options: RelayOptions,
  out: NarrationOutput,
  keyLog?: KeyLogFile,
): Promise<void> {
  const narration = new Narration(out, id, keyLog?.lookup);
  const from = client.remoteAddr;
  let server: Deno.TcpConn;
  try {
    server = await Deno.connect({ ...options.to, transport: "tcp" });
  } catch (e) {
    narration.say(
      `${from.hostname}:${from.port}: cannot reach ${options.to.hostname}:${options.to.port} ` +
        `(${(e as Error).message}); closed`,
      { event: "unreachable", error: (e as Error).message },
    );
    close(client);
    return;
  }
  narration.say(
    `TCP ${from.hostname}:${from.port} → relayed to ${options.to.hostname}:${options.to.port}`,
    { event: "connection", client: `${from.hostname}:${from.port}`, to: options.to },
  );
  const queue = new Backlog(narration);
  await Promise.all([
    pump(client, server, "client", queue),
    pump(server, client, "server", queue),
  ]);
  close(client);
  close(server);
  await queue.drained();
  narration.say(
    `closed: relayed ${narration.bytes.client + queue.skipped.client} bytes from the client, ` +
      `${narration.bytes.server + queue.skipped.server} from the server`,
    { event: "closed", clientBytes: narration.bytes.client, serverBytes: narration.bytes.server },
  );
}

/** Copies `src` to `dst` until EOF (then half-closes `dst`) or an error (then closes both). */
async function pump(src: Deno.TcpConn, dst: Deno.TcpConn, from: Side, queue: Backlog) {
  try {
    while (true) {
      const buf = new Uint8Array(READ_SIZE);
      const n = await src.read(buf);
      if (n === null) break;
      const chunk = buf.subarray(0, n);
      for (let at = 0; at < n;) at += await dst.write(chunk.subarray(at));
      queue.push(from, chunk);
    }
    await dst.closeWrite().catch(() => {});
  } catch {
    close(src);
    close(dst);
  }
  queue.end(from);
}

function close(c: Deno.Conn): void {
  try {
    c.close();
  } catch {
    // already closed
  }
}

/** The narration's work, in arrival order, one chunk at a time, bounded. */
class Backlog {
  readonly #narration: Narration;
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #behind = false;
  readonly skipped: Record<Side, number> = { client: 0, server: 0 };

  constructor(narration: Narration) {
    this.#narration = narration;
  }

  push(from: Side, bytes: Uint8Array): void {
    if (!this.#behind && this.#pending + bytes.length > MAX_BACKLOG) {
      this.#behind = true;
      this.#tail = this.#tail.then(() =>
        this.#narration.say(
          `the narration fell ${MAX_BACKLOG >> 20} MiB behind: the rest is relayed, not shown`,
          { event: "behind" },
        )
      );
    }
    if (this.#behind) {
      this.skipped[from] += bytes.length;
      return;
    }
    this.#pending += bytes.length;
    this.#tail = this.#tail.then(async () => {
      await this.#narration.feed(from, bytes).catch((e) =>
        this.#narration.say(`narration stopped: ${(e as Error).message}`, { event: "error" })
      );
      this.#pending -= bytes.length;
    });
  }

  end(from: Side): void {
    this.#tail = this.#tail.then(() => this.#narration.observer.end(from));
  }

  drained(): Promise<void> {
    return this.#tail;
  }
}
