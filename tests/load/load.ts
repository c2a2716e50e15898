/**
 * `deno task load`: starts `handshake serve` (the real CLI, a subprocess)
 * and, for a bounded time, runs well-behaved clients (handshake, echo some
 * data, close) side by side with hostile ones (garbage, stalls after the
 * ClientHello, floods of tiny records, connections dropped mid-handshake),
 * twice. Then a fresh server holds thousands of idle established
 * connections. It reports the handshakes completed, the failures among
 * well-behaved clients (must be zero: the exit status says), the server's
 * resident memory (VmRSS from /proc/PID/status) at start, at its peak and
 * after the clients left in each round, and per idle connection.
 *
 *   deno task load [--quick] [--seconds 30] [--rounds 2] [--clients 200] [--hostile 100]
 *                  [--idle 3000] [--idle-rounds 3] [--handshake-timeout 10] [--settle 30]
 *
 * @module
 */

import { parseFlags } from "../../cli/common.ts";
import { Connection } from "../../lib/connection.ts";
import { ContentType } from "../../lib/codepoints.ts";
import { connect } from "../../lib/net.ts";
import type { TlsConn } from "../../lib/tls_conn.ts";
import { makeCertSet } from "../helpers/certs.ts";
import { MAIN } from "../helpers/commands.ts";
import { acceptAnything } from "../helpers/pair.ts";

/** What to run. */
export interface LoadOptions {
  /** How long each mixed round lasts. */
  seconds: number;
  /** Mixed rounds: memory after the second should be no higher than after the first. */
  rounds: number;
  /** Well-behaved clients running at once. */
  clients: number;
  /** Hostile clients running at once. */
  hostile: number;
  /** Idle established connections to hold (on a fresh server). */
  idle: number;
  /** How many times to open and hold them: memory should plateau, not grow. */
  idleRounds: number;
  /** The server's --handshake-timeout, in seconds. */
  handshakeTimeout: number;
  /** Longest wait for the server's memory to settle after a round, in seconds. */
  settle: number;
  /** Where the report goes. */
  log: (line: string) => void;
}

/** The figures of a run (memory in bytes). */
export interface LoadReport {
  handshakes: number;
  goodFailures: string[];
  hostile: Record<string, number>;
  /** Hostile clients the server did not answer with an alert or a close in time. */
  hostileNotRefused: number;
  rssStart: number;
  rounds: { peak: number; after: number; settledAfter: number }[];
  idle: { connections: number; before: number; held: number[]; afterClose: number };
  serverLines: number;
  serverCrashed: boolean;
}

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the load test; resolves with the figures (the servers are stopped). */
export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const set = await makeCertSet({ names: ["localhost"], dir: true });
  const report: LoadReport = {
    handshakes: 0,
    goodFailures: [],
    hostile: {},
    hostileNotRefused: 0,
    rssStart: 0,
    rounds: [],
    idle: { connections: 0, before: 0, held: [], afterClose: 0 },
    serverLines: 0,
    serverCrashed: false,
  };
  const limit = openFileLimit();
  opts.log(
    `open files: this process ${limit.soft} (hard ${limit.hard}); the server raises its own`,
  );
  try {
    await mixedRounds(set.paths!, opts, report);
    await idlePhase(set.paths!, opts, report, limit.soft);
  } finally {
    await Deno.remove(set.paths!.dir, { recursive: true });
  }
  return report;
}

/** Well-behaved and hostile clients together, `opts.rounds` times, on one server. */
async function mixedRounds(
  paths: { server: string; serverKey: string },
  opts: LoadOptions,
  report: LoadReport,
): Promise<void> {
  const server = await startServe(paths, opts.handshakeTimeout);
  let peak = 0;
  const sampler = setInterval(() => peak = Math.max(peak, server.rss()), 100);
  try {
    // Warm up (code loaded, JIT compiled), then take the starting point.
    for (let i = 0; i < 20; i++) await goodClient(server.port, report);
    await sleep(1000);
    report.rssStart = server.rss();
    opts.log(`server pid ${server.pid}, port ${server.port}: RSS ${mb(report.rssStart)} at start`);
    for (let round = 1; round <= opts.rounds; round++) {
      peak = server.rss();
      const before = report.handshakes;
      const failuresBefore = report.goodFailures.length;
      opts.log(
        `round ${round}: ${opts.seconds} s, ${opts.clients} well-behaved and ${opts.hostile} ` +
          `hostile clients at a time`,
      );
      const elapsed = await mixedRound(server.port, opts, report);
      const done = report.handshakes - before;
      opts.log(
        `  ${done} handshakes by well-behaved clients (${(done / elapsed).toFixed(0)}/s), ${
          report.goodFailures.length - failuresBefore
        } failed`,
      );
      opts.log(
        `  hostile so far: ${
          Object.entries(report.hostile).map(([k, n]) => `${k} ${n}`).join(", ")
        }; not refused in time: ${report.hostileNotRefused}`,
      );
      const roundPeak = peak;
      const settled = await settledRss(server, report.rssStart, opts.settle);
      report.rounds.push({ peak: roundPeak, after: settled.rss, settledAfter: settled.seconds });
      opts.log(
        `  server RSS: peak ${mb(roundPeak)}; ${mb(settled.rss)} ${settled.seconds} s after the ` +
          `clients left (start ${mb(report.rssStart)})`,
      );
    }
    for (const f of report.goodFailures.slice(0, 5)) opts.log(`  failure: ${f}`);
  } finally {
    clearInterval(sampler);
    report.serverCrashed = server.exited();
    report.serverLines += await server.stop();
  }
  opts.log(
    `server: ${report.serverLines} connection lines logged; ${
      report.serverCrashed ? "it CRASHED during the run" : "it was still running at the end"
    }`,
  );
}

/** One mixed round; returns its length in seconds. */
async function mixedRound(port: number, opts: LoadOptions, report: LoadReport): Promise<number> {
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  const workers: Promise<void>[] = [];
  for (let i = 0; i < opts.clients; i++) {
    workers.push((async () => {
      while (performance.now() < deadline) await goodClient(port, report);
    })());
  }
  const kinds = Object.keys(HOSTILE) as (keyof typeof HOSTILE)[];
  for (let i = 0; i < opts.hostile; i++) {
    const kind = kinds[i % kinds.length];
    workers.push((async () => {
      while (performance.now() < deadline) {
        const refused = await HOSTILE[kind](port, opts.handshakeTimeout * 1000 + 5000);
        report.hostile[kind] = (report.hostile[kind] ?? 0) + 1;
        if (!refused) report.hostileNotRefused++;
        await sleep(10);
      }
    })());
  }
  await Promise.all(workers);
  return (performance.now() - started) / 1000;
}

/**
 * Thousands of established connections left idle on a fresh server: memory
 * per connection. Opened, held and closed `idleRounds` times: RSS should
 * plateau (what the first held is reused), not grow round after round.
 */
async function idlePhase(
  paths: { server: string; serverKey: string },
  opts: LoadOptions,
  report: LoadReport,
  fileLimit: number,
): Promise<void> {
  const wanted = Math.min(opts.idle, fileLimit - 200);
  if (wanted < opts.idle) {
    opts.log(`idle: only ${wanted} connections fit this process's open-file limit (${fileLimit})`);
  }
  const server = await startServe(paths, opts.handshakeTimeout);
  try {
    for (let i = 0; i < 20; i++) await goodClient(server.port, report);
    await sleep(1000);
    report.idle.before = server.rss();
    for (let time = 1; time <= opts.idleRounds; time++) {
      const idle = await openMany(server.port, wanted, report);
      report.idle.connections = idle.length;
      // The lowest RSS while they are held: once V8 has collected their handshakes' garbage.
      const held = (await settledRss(server, 0, opts.settle)).rss;
      const grown = held - report.idle.before;
      opts.log(
        `idle (${time === 1 ? "first" : "again"}): ${idle.length} established connections held: ` +
          `server RSS ${mb(report.idle.before)} -> ${mb(held)}` +
          (time === 1 ? `, ${(grown / idle.length / 1024).toFixed(1)} KiB per connection` : ""),
      );
      report.idle.held.push(held);
      await Promise.all(idle.map((c) => c.close().catch(() => {})));
      await sleep(2000);
      report.idle.afterClose = server.rss();
      opts.log(`  closed: server RSS ${mb(report.idle.afterClose)}`);
    }
  } finally {
    if (server.exited()) report.serverCrashed = true;
    report.serverLines += await server.stop();
  }
}

/** `n` established connections, opened 100 at a time. */
async function openMany(port: number, n: number, report: LoadReport): Promise<TlsConn[]> {
  const out: TlsConn[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(100, n - i) }, () => openIdle(port)),
    );
    for (const b of batch) {
      if (b.status === "fulfilled") out.push(b.value);
      else report.goodFailures.push(`idle connection: ${b.reason}`);
    }
  }
  return out;
}

// --- the server ---

interface Serve {
  pid: number;
  port: number;
  rss(): number;
  exited(): boolean;
  /** Stops it (SIGTERM) and returns how many connection lines it logged. */
  stop(): Promise<number>;
}

/** `handshake serve --port 0` as a subprocess, with its file limit raised to the hard limit. */
async function startServe(
  paths: { server: string; serverKey: string },
  timeout: number,
): Promise<Serve> {
  const deno = [
    Deno.execPath(),
    "run",
    "--allow-read",
    "--allow-net",
    "--allow-env",
    MAIN,
    "serve",
    "--port",
    "0",
    "--cert",
    paths.server,
    "--key",
    paths.serverKey,
    "--handshake-timeout",
    String(timeout),
  ];
  const child = new Deno.Command("sh", {
    args: ["-c", 'ulimit -n "$(ulimit -H -n)" 2>/dev/null; exec "$@"', "sh", ...deno],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let lines = 0;
  const stdout = (async () => {
    for await (const chunk of child.stdout) lines += chunk.filter((b) => b === 10).length;
  })();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let port = 0;
  while (!port) {
    const { value, done } = await stderr.read();
    if (done) throw new Error(`serve did not start: ${seen}`);
    seen += value;
    port = Number(seen.match(/listening on .*:(\d+)/)?.[1] ?? 0);
  }
  const errors = (async () => {
    for (let r = await stderr.read(); !r.done; r = await stderr.read()) {
      if (/accept failed/.test(r.value)) console.error(`serve: ${r.value.trim()}`);
    }
  })();
  let status: Deno.CommandStatus | undefined;
  const done = child.status.then((s) => status = s);
  return {
    pid: child.pid,
    port,
    rss: () => vmRss(child.pid),
    exited: () => status !== undefined,
    stop: async () => {
      if (!status) child.kill("SIGTERM");
      await Promise.all([done, stdout, errors]);
      return lines;
    },
  };
}

/** VmRSS of `pid`, in bytes (0 once it is gone). */
function vmRss(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/**
 * The server's RSS once the load has gone: V8 gives memory back when its
 * memory reducer runs, some seconds after allocation stops (and what glibc
 * has once handed out it mostly keeps, for reuse). Polls each second for
 * up to `seconds`, returning early once within 20% of `start` (never, with
 * 0); returns the lowest value seen and when.
 */
async function settledRss(
  server: Serve,
  start: number,
  seconds: number,
): Promise<{ rss: number; seconds: number }> {
  let best = { rss: server.rss(), seconds: 0 };
  for (let t = 1; t <= seconds && best.rss > start * 1.2; t++) {
    await sleep(1000);
    const now = server.rss();
    if (now < best.rss) best = { rss: now, seconds: t };
  }
  return best;
}

/** The open-file limits of this process (the server raises its soft limit to the hard one). */
function openFileLimit(): { soft: number; hard: string } {
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const m = limits.match(/Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/);
  return { soft: m?.[1] === "unlimited" ? Infinity : Number(m?.[1] ?? 1024), hard: m?.[2] ?? "?" };
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

// --- well-behaved clients ---

/** Handshake, echo 1-8 KB, close; any failure is counted. */
async function goodClient(port: number, report: LoadReport): Promise<void> {
  let conn: TlsConn | undefined;
  try {
    conn = await connect({
      hostname: "127.0.0.1",
      port,
      verifier: acceptAnything,
      serverName: "localhost",
      handshakeTimeoutMs: 60_000,
    });
    await conn.handshake();
    report.handshakes++;
    const data = crypto.getRandomValues(new Uint8Array(1024 + Math.floor(Math.random() * 7168)));
    await conn.write(data);
    const back = new Uint8Array(data.length);
    for (let at = 0; at < back.length;) {
      const n = await conn.read(back.subarray(at));
      if (n === null) throw new Error(`the echo ended after ${at} of ${data.length} bytes`);
      at += n;
    }
    if (!back.every((b, i) => b === data[i])) throw new Error("the echo differs");
    await conn.closeWrite();
    if (await conn.read(new Uint8Array(1)) !== null) throw new Error("data after the echo");
  } catch (e) {
    report.goodFailures.push((e as Error).message);
  } finally {
    await conn?.close().catch(() => {});
  }
}

/** An established connection, left idle. */
async function openIdle(port: number): Promise<TlsConn> {
  const conn = await connect({
    hostname: "127.0.0.1",
    port,
    verifier: acceptAnything,
    serverName: "localhost",
  });
  await conn.handshake();
  return conn;
}

// --- hostile clients: each resolves true if the server refused (alert or close) in time ---

/** A ClientHello from a fresh client engine. */
async function clientHello(): Promise<Uint8Array> {
  const c = Connection.client({ verifier: acceptAnything, serverName: "localhost" });
  await c.start();
  return c.takeOutput();
}

/** Reads until the server closes (true) or `ms` pass (false). */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  const timer = setTimeout(() => conn.close(), ms);
  let closed = false;
  try {
    const buf = new Uint8Array(1 << 16);
    while (await conn.read(buf) !== null);
    closed = true;
  } catch (e) {
    closed = !(e instanceof Deno.errors.BadResource); // reset by the server: refused too
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
  return closed;
}

const tcp = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

const HOSTILE = {
  /** Random bytes instead of TLS. */
  garbage: async (port: number, ms: number) => {
    const conn = await tcp(port);
    const junk = crypto.getRandomValues(new Uint8Array(100 + Math.floor(Math.random() * 2000)));
    await conn.write(junk).catch(() => {});
    return await closedWithin(conn, ms);
  },
  /** A ClientHello, then silence: dropped at the handshake timeout. */
  stall: async (port: number, ms: number) => {
    const conn = await tcp(port);
    await conn.write(await clientHello());
    return await closedWithin(conn, ms);
  },
  /** The ClientHello in 1-byte records, then ChangeCipherSpec records without end. */
  flood: async (port: number, ms: number) => {
    const conn = await tcp(port);
    const hello = (await clientHello()).subarray(5);
    const tiny: number[] = [];
    for (const b of hello) tiny.push(ContentType.handshake, 3, 3, 0, 1, b);
    for (let i = 0; i < 2000; i++) tiny.push(ContentType.change_cipher_spec, 3, 3, 0, 1, 1);
    await conn.write(Uint8Array.from(tiny)).catch(() => {});
    return await closedWithin(conn, ms);
  },
  /** Half a ClientHello, then the connection is dropped. */
  dropped: async (port: number) => {
    const conn = await tcp(port);
    const hello = await clientHello();
    await conn.write(hello.subarray(0, Math.floor(Math.random() * hello.length))).catch(() => {});
    conn.close();
    return true;
  },
};

const HELP =
  `deno task load [options]: handshake serve under good and hostile clients, then idle ones

  --seconds N            length of each mixed round (default 30)
  --rounds N             mixed rounds (default 2)
  --clients N            well-behaved clients at once (default 200)
  --hostile N            hostile clients at once (default 100)
  --idle N               idle connections held (default 3000)
  --idle-rounds N        times they are opened and held (default 3)
  --handshake-timeout S  the server's --handshake-timeout (default 10)
  --settle S             longest wait for memory to settle after a round (default 30)
  --quick                a short run (about a minute): 5 s, 2 rounds, 50 + 25 clients,
                         500 idle connections twice, 10 s settle
  -h, --help             this help

The default run takes about four minutes on two cores (more on a loaded machine); it
prints how long it expects to take when it starts. Exit status 0 when no well-behaved client failed.`;

/** Full and --quick settings. */
const SETTINGS = {
  seconds: [30, 5],
  rounds: [2, 2],
  clients: [200, 50],
  hostile: [100, 25],
  idle: [3000, 500],
  "idle-rounds": [3, 2],
  "handshake-timeout": [10, 10],
  settle: [30, 10],
} as const;

/**
 * A rough duration, from runs on two shared cores: each mixed round and the
 * wait for memory to settle after it, about 60 idle connections opened per
 * second, and the servers' start.
 */
function expectedSeconds(o: LoadOptions): number {
  return o.rounds * (o.seconds + Math.min(o.settle, 12)) + o.idleRounds * (5 + o.idle / 60) + 10;
}

if (import.meta.main) {
  let values;
  try {
    ({ values } = parseFlags("load", Deno.args, {
      ...Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, { type: "string" as const }])),
      quick: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    }));
  } catch (e) {
    console.error(`load: ${(e as Error).message} (see \`deno task load --help\`)`);
    Deno.exit(2);
  }
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const setting = (k: keyof typeof SETTINGS): number => {
    const given = (values as Record<string, unknown>)[k] as string | undefined;
    const n = given === undefined ? SETTINGS[k][values.quick ? 1 : 0] : Number(given);
    if (!(n > 0)) {
      console.error(`load: --${k} must be a positive number, not "${given}"`);
      Deno.exit(2);
    }
    return n;
  };
  const options: LoadOptions = {
    seconds: setting("seconds"),
    rounds: setting("rounds"),
    clients: setting("clients"),
    hostile: setting("hostile"),
    idle: setting("idle"),
    idleRounds: setting("idle-rounds"),
    handshakeTimeout: setting("handshake-timeout"),
    settle: setting("settle"),
    log: (line) => console.log(line),
  };
  console.log(
    `load: about ${Math.round(expectedSeconds(options))} s: ${options.rounds} rounds of ` +
      `${options.seconds} s with ${options.clients} good and ${options.hostile} hostile clients, ` +
      `then ${options.idleRounds} × ${options.idle} idle connections` +
      (values.quick ? "" : " (--quick for a short run)"),
  );
  const report = await runLoad(options);
  const problems = [
    report.goodFailures.length && `${report.goodFailures.length} well-behaved clients failed`,
    report.serverCrashed && "the server crashed",
    report.hostileNotRefused && `${report.hostileNotRefused} hostile clients were not refused`,
  ].filter(Boolean);
  console.log(problems.length ? `load: FAIL: ${problems.join("; ")}` : "load: PASS");
  Deno.exit(problems.length ? 1 : 0);
}
