/**
 * Our library's echo server on a free loopback port, for interop tests:
 * records each handshake's outcome, and closes cleanly.
 *
 * @module
 */

import { listen } from "../../lib/net.ts";
import type { HandshakeInfo, ServerConfig } from "../../lib/config.ts";

/** A running echo server. */
export interface EchoServer {
  port: number;
  /** Handshakes completed, in order. */
  infos: HandshakeInfo[];
  /** Connections that failed, in order. */
  errors: Error[];
  close(): Promise<void>;
}

/** Starts an echo server with `config` on 127.0.0.1 and a free port. */
export function startEchoServer(config: ServerConfig, hostname = "127.0.0.1"): EchoServer {
  const listener = listen({ hostname, port: 0, ...config });
  const infos: HandshakeInfo[] = [];
  const errors: Error[] = [];
  const tasks = new Set<Promise<void>>();
  const done = (async () => {
    for await (const conn of listener) {
      const task = (async () => {
        try {
          infos.push(await conn.handshake());
          const buf = new Uint8Array(1 << 14);
          for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
            await conn.write(buf.subarray(0, n));
          }
          await conn.close();
        } catch (e) {
          errors.push(e as Error);
          await conn.close();
        }
      })();
      tasks.add(task);
      task.finally(() => tasks.delete(task));
    }
  })();
  return {
    port: listener.addr.port,
    infos,
    errors,
    close: async () => {
      listener.close();
      await done;
      await Promise.allSettled([...tasks]);
    },
  };
}
