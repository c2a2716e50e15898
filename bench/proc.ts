/**
 * Processes for the benchmark: start them, read their CPU time and memory
 * from /proc, wait for their ports and their output, and stop them.
 *
 * @module
 */

export { freePort, Peer, waitForPort } from "../tests/helpers/peer.ts";

const decoder = new TextDecoder();
/** Clock ticks per second of /proc/PID/stat (`getconf CLK_TCK`; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) of a running process, in microseconds, from /proc/PID/stat. */
export function cpuMicros(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
  return ticks * 1e6 / TICKS_PER_SECOND;
}

/** Resident set size of a running process, in bytes, from /proc/PID/status. */
export function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = status.match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until a process's CPU time stops growing (it has finished its work). */
export async function waitIdle(pid: number, quietMs = 300, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = cpuMicros(pid);
  while (Date.now() < deadline) {
    await sleep(quietMs);
    const now = cpuMicros(pid);
    if (now === last) return;
    last = now;
  }
}

/** What a finished command cost: wall time and its CPU time (from wait4, via GNU time). */
export interface Measured {
  wallMs: number;
  cpuMicros: number;
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs a command to completion under `/usr/bin/time`, which reports the
 * user and system time of that process (from wait4). With `zeroInput`,
 * its stdin is that many zero bytes (from `head`, whose CPU is not counted).
 */
export async function runMeasured(
  cmd: string[],
  opts: { zeroInput?: number; env?: Record<string, string> } = {},
): Promise<Measured> {
  const marker = "@@cpu";
  const timed = ["/usr/bin/time", "-f", `${marker} %U %S`, ...cmd];
  const quoted = timed.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const argv = opts.zeroInput !== undefined
    ? ["sh", "-c", `head -c ${opts.zeroInput} /dev/zero | ${quoted}`]
    : timed;
  const start = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - start;
  const stderr = decoder.decode(out.stderr);
  const m = stderr.match(new RegExp(`${marker} ([\\d.]+) ([\\d.]+)`));
  if (!m) throw new Error(`no CPU time from ${cmd.join(" ")}:\n${stderr}`);
  return {
    wallMs,
    cpuMicros: (Number(m[1]) + Number(m[2])) * 1e6,
    stdout: decoder.decode(out.stdout),
    stderr: stderr.replace(m[0], "").trim(),
    code: out.code,
  };
}
