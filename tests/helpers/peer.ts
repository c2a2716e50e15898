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

/** Reads from `conn` until the text read contains `until` (or the peer ends), as UTF-8. */
export async function readUntil(
  conn: { read(p: Uint8Array): Promise<number | null> },
  until: string,
): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  while (!text.includes(until)) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += utf8(buf.subarray(0, n));
  }
  return text;
}

/** The PEM files a peer process needs: the server's chain and key, the CA that issued it. */
export interface PeerFiles {
  ca: string;
  server: string;
  serverKey: string;
}

/** What to restrict a peer process to, in its own spelling (`P-384`, `TLS_AES_256_GCM_SHA384`). */
export interface PeerOptions {
  groups?: string;
  suites?: string;
  /** More flags, appended last. */
  extra?: string[];
}

/** A peer server process and the port it listens on. */
export interface PeerServer {
  peer: Peer;
  port: number;
}

/** Waits for `ready` on a just-started peer; kills it if that fails, so no process is left. */
async function whenReady<T>(peer: Peer, ready: () => Promise<T>): Promise<T> {
  try {
    return await ready();
  } catch (e) {
    await peer.kill();
    throw e;
  }
}

/**
 * `openssl s_server -tls1_3 -rev` (answers each line reversed) on a free
 * port with the test server certificate, once it accepts. `version` "1.2"
 * makes it TLS 1.2 only instead, "any" lets it take either; `rev: false`
 * leaves out `-rev` (which some flags refuse, such as `-early_data`);
 * `quiet` adds `-quiet`, which prints no ACCEPT: then a first connection
 * to the port tells that it listens.
 */
export async function opensslServer(
  files: PeerFiles,
  opts: PeerOptions & { version?: "1.3" | "1.2" | "any"; rev?: boolean; quiet?: boolean } = {},
): Promise<PeerServer> {
  const port = freePort();
  const peer = new Peer("openssl", [
    "s_server",
    "-accept",
    `127.0.0.1:${port}`,
    "-cert",
    files.server,
    "-key",
    files.serverKey,
    ...({ "1.3": ["-tls1_3"], "1.2": ["-tls1_2"], any: [] }[opts.version ?? "1.3"]),
    ...(opts.rev === false ? [] : ["-rev"]),
    ...(opts.quiet ? ["-quiet"] : []),
    ...(opts.groups ? ["-groups", opts.groups] : []),
    ...(opts.suites ? ["-ciphersuites", opts.suites] : []),
    ...opts.extra ?? [],
  ]);
  await whenReady<unknown>(peer, () => opts.quiet ? waitForPort(port) : peer.waitFor(/ACCEPT/));
  return { peer, port };
}

/**
 * `openssl s_client` to `port` for localhost, verifying the server against
 * the test CA (`-verify_return_error` unless `verify` is false).
 */
export function opensslClient(
  port: number,
  files: PeerFiles,
  opts: PeerOptions & { verify?: boolean } = {},
): Peer {
  return new Peer("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-CAfile",
    files.ca,
    ...(opts.verify === false ? [] : ["-verify_return_error"]),
    ...(opts.groups ? ["-groups", opts.groups] : []),
    ...(opts.suites ? ["-ciphersuites", opts.suites] : []),
    ...opts.extra ?? [],
  ]);
}

/** What `openssl s_client` prints once the server's chain verified. */
export const OPENSSL_VERIFIED = /Verify return code: 0 \(ok\)|Verification: OK/;
/** What `gnutls-cli` prints once the handshake (and its verification) is done. */
export const GNUTLS_DONE = /Handshake was completed/;

/**
 * A GnuTLS priority string allowing TLS 1.3 only, then `more`
 * (e.g. `-GROUP-ALL:+GROUP-SECP256R1`).
 */
export function gnutlsPriority(...more: string[]): string {
  return ["NORMAL:-VERS-ALL:+VERS-TLS1.3", ...more].join(":");
}

/** `gnutls-serv --echo` on a free port with the test server certificate and `priority`, once it listens. */
export async function gnutlsServer(files: PeerFiles, priority: string): Promise<PeerServer> {
  const port = freePort();
  const peer = new Peer("gnutls-serv", [
    "--echo",
    "--port",
    String(port),
    "--x509certfile",
    files.server,
    "--x509keyfile",
    files.serverKey,
    "--priority",
    priority,
  ]);
  await whenReady(peer, async () => {
    await peer.waitFor(/Echo Server listening|ready/i);
    await waitForPort(port);
  });
  return { peer, port };
}

/** `gnutls-cli` to `port` for localhost with `priority`, verifying the server against the test CA. */
export function gnutlsClient(port: number, files: PeerFiles, priority: string): Peer {
  return new Peer("gnutls-cli", [
    "--port",
    String(port),
    "--x509cafile",
    files.ca,
    "--priority",
    priority,
    "localhost",
  ]);
}

/**
 * Drives a client peer against an echo server: once it prints `ready`,
 * sends `line`, waits for the line to come back, ends its input and waits
 * for it to exit. Returns the peer, whose output the caller checks.
 */
export async function echoThroughPeer(peer: Peer, ready: RegExp, line: string): Promise<Peer> {
  await peer.waitFor(ready);
  await peer.write(`${line}\n`);
  await peer.waitFor(new RegExp(`^${line}$`, "m"));
  await peer.closeStdin();
  await peer.exited();
  return peer;
}

/** A `Deno.listenTls` (rustls) server and its one connection's service, to await. */
export interface RustlsServer {
  port: number;
  /** Resolves once the one connection was served; rejects if it was not as expected. */
  served: Promise<void>;
  close(): void;
}

/**
 * `Deno.listenTls` (rustls) on a free port with the test server chain and
 * key: serves one connection, answering the first chunk with "rustls got "
 * before it, then expects the client's close_notify (EOF).
 */
export function rustlsServer(
  set: { serverChainPem: string; server: { privateKeyPem: string } },
  opts: { alpn?: string[] } = {},
): RustlsServer {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: set.serverChainPem,
    key: set.server.privateKeyPem,
    alpnProtocols: opts.alpn,
  });
  const served = (async () => {
    const c = await listener.accept();
    const buf = new Uint8Array(1024);
    const n = await c.read(buf);
    await c.write(new TextEncoder().encode(`rustls got ${utf8(buf.subarray(0, n!))}`));
    if (await c.read(buf) !== null) throw new Error("rustls: more data where EOF was expected");
    c.close();
  })();
  return { port: listener.addr.port, served, close: () => listener.close() };
}
