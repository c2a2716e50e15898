/**
 * Running other programs from tests: whether a tool is installed (tests that
 * need a missing one are ignored, with the reason printed), running one to
 * completion, `handshake ca` as a subprocess with the permissions
 * `deno task certs` gives it, and `openssl s_server` on a free port.
 *
 * @module
 */

const decoder = new TextDecoder();
/** Path of main.ts, for running `handshake` as a subprocess. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What a finished command printed, and its exit status. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Whether `tool` is on PATH. */
export async function have(tool: string): Promise<boolean> {
  const { code } = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`] }).output();
  return code === 0;
}

/**
 * Whether every tool in `tools` is installed; when not, prints which are
 * missing for `what`, so that an ignored test says why.
 */
export async function need(what: string, ...tools: string[]): Promise<boolean> {
  const missing = [];
  for (const t of tools) if (!(await have(t))) missing.push(t);
  if (missing.length > 0) console.warn(`ignoring ${what}: ${missing.join(", ")} not installed`);
  return missing.length === 0;
}

/** Runs `cmd` to completion (killed after `timeoutMs`, default 60 s), with `input` on stdin if given. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; input?: string } = {},
): Promise<Output> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
  }).spawn();
  if (opts.input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.input));
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Runs `handshake ca ARGS --out DIR` with read and write permission on DIR only. */
export function runCa(dir: string, ...args: string[]): Promise<Output> {
  return run(Deno.execPath(), [
    "run",
    `--allow-read=${dir}`,
    `--allow-write=${dir}`,
    MAIN,
    "ca",
    "--out",
    dir,
    ...args,
  ]);
}

/** A running `openssl s_server -www`. */
export interface SServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts `openssl s_server -www` on a free loopback port (IPv4 and IPv6)
 * with `args` (-cert, -key, ...), in `cwd`, and waits until it listens.
 */
export async function startSServer(cwd: string, args: string[]): Promise<SServer> {
  const child = new Deno.Command("openssl", {
    args: ["s_server", "-accept", "0", "-www", ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (true) {
    const m = seen.match(/ACCEPT .*:(\d+)\s/);
    if (m) break;
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`openssl s_server did not start: ${(await errors).trim()}`);
    }
    seen += value;
  }
  const drained = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    port: Number(seen.match(/ACCEPT .*:(\d+)\s/)![1]),
    close: async () => {
      child.kill("SIGTERM");
      await Promise.all([child.status, drained, errors]);
    },
  };
}
