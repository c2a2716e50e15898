/**
 * Headless Chromium for tests, as this machine allows it: a fresh profile
 * and NSS database in a temporary HOME (trusting a CA when given), the
 * flags that keep it off the closed network, and either the page's DOM as
 * `--dump-dom` prints it or a page driven over the DevTools protocol (for
 * pages that finish their work after loading, and for screenshots).
 *
 * @module
 */

import { type Output, run } from "./commands.ts";
import { Peer } from "./peer.ts";

/** The flags every run gets: headless, and nothing but the pages it is sent to. */
function chromiumFlags(home: string): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${home}/profile`,
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
  ];
}

/** A temporary HOME with an NSS database that trusts the PEM CA at `trustedCa`, if given. */
async function chromiumHome(trustedCa?: string): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "handshake-chromium-" });
  const nssdb = `sql:${home}/.pki/nssdb`;
  await Deno.mkdir(`${home}/.pki/nssdb`, { recursive: true });
  await certutil(["-N", "--empty-password", "-d", nssdb]);
  if (trustedCa) {
    await certutil(["-A", "-d", nssdb, "-t", "C,,", "-n", "handshake", "-i", trustedCa]);
  }
  return home;
}

/**
 * Loads `url` and returns what `--dump-dom` printed; trusts the PEM CA at
 * `trustedCa` if given; `env` adds variables (e.g. SSLKEYLOGFILE).
 */
export async function chromiumDumpDom(
  url: string,
  trustedCa?: string,
  env: Record<string, string> = {},
): Promise<Output> {
  const home = await chromiumHome(trustedCa);
  try {
    return await run("chromium", [...chromiumFlags(home), "--dump-dom", url], {
      env: { ...env, HOME: home },
      timeoutMs: 90_000,
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** A page in headless Chromium, driven over the DevTools protocol. */
export interface ChromiumPage {
  /** Evaluates `expression` in the page and returns its value (JSON-like values only). */
  evaluate(expression: string): Promise<unknown>;
  /** Waits until `expression` is truthy in the page (polling), and returns its value. */
  waitFor(expression: string, timeoutMs?: number): Promise<unknown>;
  /** A PNG screenshot of the whole page. */
  screenshot(): Promise<Uint8Array>;
  /** Sends the DevTools protocol command `method` and resolves with its result. */
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Opens `url` in headless Chromium (trusting the PEM CA at `trustedCa` if
 * given), runs `use` on the page, then closes the browser.
 */
export async function withChromiumPage<T>(
  url: string,
  trustedCa: string | undefined,
  use: (page: ChromiumPage) => Promise<T>,
): Promise<T> {
  const home = await chromiumHome(trustedCa);
  const browser = new Peer("chromium", [
    ...chromiumFlags(home),
    "--remote-debugging-port=0",
    "--window-size=1000,1400",
    "about:blank",
  ], { env: { HOME: home } });
  let socket: WebSocket | undefined;
  try {
    const port =
      (await browser.waitFor(/DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//, 60_000))[1];
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const pageTarget = targets.find((t: { type: string }) => t.type === "page");
    const cdp = await devtools(pageTarget.webSocketDebuggerUrl);
    socket = cdp.socket;
    await cdp.call("Page.enable");
    await cdp.call("Page.navigate", { url });
    const evaluate = async (expression: string) => {
      const r = await cdp.call("Runtime.evaluate", { expression, returnByValue: true }) as {
        result: { value?: unknown };
        exceptionDetails?: unknown;
      };
      return r.exceptionDetails ? undefined : r.result.value;
    };
    return await use({
      evaluate,
      waitFor: async (expression, timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs;
        while (true) {
          const value = await evaluate(expression);
          if (value) return value;
          if (Date.now() > deadline) {
            const text = await evaluate("document.body?.innerText");
            throw new Error(`timed out waiting for ${expression}; the page says:\n${text}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
      screenshot: async () => {
        const r = await cdp.call("Page.captureScreenshot", {
          format: "png",
          captureBeyondViewport: true,
        }) as { data: string };
        return Uint8Array.fromBase64(r.data);
      },
      call: cdp.call,
    });
  } finally {
    socket?.close();
    await browser.kill();
    await Deno.remove(home, { recursive: true });
  }
}

/** A DevTools protocol session: `call` sends a command and resolves with its result. */
async function devtools(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`cannot open the DevTools socket ${url}`));
  });
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  socket.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    const p = msg.id !== undefined ? pending.get(msg.id) : undefined;
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(`DevTools: ${msg.error.message}`));
    else p.resolve(msg.result);
  };
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { socket, call };
}

async function certutil(args: string[]): Promise<void> {
  const out = await run("certutil", args);
  if (out.code !== 0) throw new Error(`certutil ${args.join(" ")} failed: ${out.stderr}`);
}
