/**
 * A peer process (openssl, gnutls, node, ...) on loopback: started with
 * pipes, its output collected as it comes, waited on for a pattern, fed on
 * stdin, and always killed at the end.
 *
 * @module
 */

const decoder = new TextDecoder();
/** Output kept: the last MiB (a server may print one line per connection for a long time). */
const KEPT_OUTPUT = 1 << 20;

/** A running peer process. */
export class Peer {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #done: Promise<void>;
  #out = "";
  #waiters: (() => void)[] = [];
  /** The exit status, once it has exited. */
  status?: Deno.CommandStatus;

  /** `discardStdout` sends its stdout to /dev/null (a sink that prints what it receives). */
  constructor(
    cmd: string,
    args: string[],
    opts: { cwd?: string; env?: Record<string, string>; discardStdout?: boolean } = {},
  ) {
    this.#child = new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      env: opts.env,
      stdin: "piped",
      stdout: opts.discardStdout ? "null" : "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        this.#out = (this.#out + decoder.decode(chunk, { stream: true })).slice(-KEPT_OUTPUT);
        this.#waiters.splice(0).forEach((w) => w());
      }
    };
    const stdout = opts.discardStdout ? [] : [collect(this.#child.stdout)];
    this.#done = Promise.all([...stdout, collect(this.#child.stderr)]).then(
      async () => {
        this.status = await this.#child.status;
        this.#waiters.splice(0).forEach((w) => w());
      },
    );
  }

  /** Its process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** What it printed so far (the last MiB), stdout and stderr interleaved. */
  get output(): string {
    return this.#out;
  }

  /** Waits until the output matches `pattern` (or fails after `timeoutMs`, or when the process exits first). */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const m = this.#out.match(pattern);
      if (m) return m;
      if (this.status) {
        throw new Error(`process exited (${this.status.code}) before ${pattern}:\n${this.#out}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}:\n${this.#out}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** Writes text to its stdin. */
  async write(text: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(text));
  }

  /** Closes its stdin (end of input). */
  async closeStdin(): Promise<void> {
    await this.#stdin.close().catch(() => {});
  }

  /** Waits for it to exit by itself (killed after `timeoutMs`). */
  async exited(timeoutMs = 10_000): Promise<Deno.CommandStatus> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    await this.#done;
    clearTimeout(timer);
    return this.status!;
  }

  /** Kills it (if still running) and waits for its pipes to drain. */
  async kill(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.#done;
  }
}

/** A free TCP port on 127.0.0.1 (there is a small race before the caller binds it). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits until something accepts TCP connections on `port`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Decodes bytes as UTF-8. */
export function utf8(b: Uint8Array): string {
  return decoder.decode(b);
}
