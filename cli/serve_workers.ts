/**
 * `handshake serve --workers N`: N Deno Workers, each a whole server with its
 * own engine and its own listener on the same port (SO_REUSEPORT: Linux's
 * kernel spreads new connections over the listeners). Deno cannot hand an
 * accepted socket to another worker, so there is no single accept loop to
 * fall back on: elsewhere `--workers` is refused. The process prints where
 * it listens, and on SIGINT/SIGTERM asks every worker to stop accepting and
 * waits for their connections to end.
 *
 * @module
 */

import { UsageError } from "./common.ts";
import { formatAddr } from "./serve.ts";
import type { WorkerReport, WorkerStart } from "./serve_worker.ts";

/** Runs `serve` with `argv` in `count` workers until interrupted; returns the exit status. */
export async function serveWorkers(
  argv: string[],
  count: number,
  port: number,
  mode: string,
): Promise<number> {
  checkReusePort();
  const workers: Worker[] = [];
  const finished: Promise<number>[] = [];
  const stopAll = () => workers.forEach((w) => w.postMessage({ type: "stop" }));

  /** Starts one worker on `port`; resolves once it listens. */
  const start = (port: number) =>
    new Promise<Deno.NetAddr>((listening, failed) => {
      const worker = new Worker(new URL("./serve_worker.ts", import.meta.url), { type: "module" });
      workers.push(worker);
      let done!: (code: number) => void;
      finished.push(new Promise((resolve) => done = resolve));
      const fail = (error: Error) => {
        failed(error);
        done(1);
        stopAll(); // one worker down: the server as a whole stops
      };
      worker.onmessage = ({ data }: MessageEvent<WorkerReport>) => {
        if (data.type === "listening") listening({ transport: "tcp", ...data.addr });
        else if (data.type === "done") done(data.code);
        else fail(data.usage ? new UsageError(data.message, data.hint) : new Error(data.message));
      };
      worker.onerror = (e) => {
        e.preventDefault();
        fail(new Error(e.message));
      };
      const message: WorkerStart = { type: "start", argv, port, worker: workers.length };
      worker.postMessage(message);
    });

  let addr: Deno.NetAddr;
  try {
    addr = await start(port);
    const rest = Array.from({ length: count - 1 }, () => start(addr.port));
    await Promise.all(rest);
  } catch (e) {
    workers.forEach((w) => w.terminate());
    throw e;
  }
  console.error(
    `handshake serve: listening on ${formatAddr(addr)} (${mode}, ${count} workers; Ctrl-C to stop)`,
  );
  Deno.addSignalListener("SIGINT", stopAll);
  Deno.addSignalListener("SIGTERM", stopAll);
  try {
    const codes = await Promise.all(finished);
    return Math.max(...codes);
  } finally {
    Deno.removeSignalListener("SIGINT", stopAll);
    Deno.removeSignalListener("SIGTERM", stopAll);
    workers.forEach((w) => w.terminate());
  }
}

/** SO_REUSEPORT is what spreads connections: Linux only, and behind Deno's --unstable-net. */
function checkReusePort(): void {
  if (Deno.build.os !== "linux") {
    throw new UsageError(
      `--workers needs Linux's SO_REUSEPORT (this is ${Deno.build.os})`,
      "leave out --workers",
    );
  }
  // Without the flag Deno ends the process (status 70) at `reusePort` rather than throw; the flag
  // also brings its other unstable network APIs (QUIC), which say whether it was given.
  if (!("QuicEndpoint" in Deno)) {
    throw new UsageError(
      "--workers needs Deno's --unstable-net (SO_REUSEPORT)",
      "run deno run --unstable-net ... main.ts serve, as deno task serve does",
    );
  }
}
