/**
 * One worker of `handshake serve --workers N`: the whole server (its own
 * engine, provider and listener, bound with SO_REUSEPORT beside the other
 * workers), driven by messages from `serve_workers.ts`:
 *
 *   in:  { type: "start", argv, port, worker }, then { type: "stop" }
 *   out: { type: "listening", addr }, then { type: "done", code } or { type: "error", ... }
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { UsageError } from "./common.ts";
import { serve, type ServeHost } from "./serve.ts";

/** What the worker tells the process. */
export type WorkerReport =
  | { type: "listening"; addr: { hostname: string; port: number } }
  | { type: "done"; code: number }
  | { type: "error"; message: string; hint?: string; usage: boolean };

const report = (message: WorkerReport) => self.postMessage(message);

/** What the process tells a worker first: its flags, the port, and its number (from 1). */
export interface WorkerStart {
  type: "start";
  argv: string[];
  port: number;
  worker: number;
}

self.onmessage = async (start: MessageEvent<WorkerStart>) => {
  let stop: (() => void) | undefined;
  let stopping = false;
  self.onmessage = (e: MessageEvent<{ type: "stop" }>) => {
    if (e.data.type !== "stop") return;
    stopping = true;
    stop?.();
  };
  const host: ServeHost = {
    worker: start.data.worker,
    listening: (addr) =>
      report({ type: "listening", addr: { hostname: addr.hostname, port: addr.port } }),
    onStop(s) {
      stop = s;
      if (stopping) s();
      return () => stop = undefined;
    },
  };
  try {
    // The last --port wins: every worker but the first is given the port the first one got.
    const code = await serve([...start.data.argv, "--port", String(start.data.port)], host);
    report({ type: "done", code });
  } catch (e) {
    const err = e as Error & { hint?: string };
    report({ type: "error", message: err.message, hint: err.hint, usage: e instanceof UsageError });
  }
};
