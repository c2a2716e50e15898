/**
 * Headless Chromium for tests, as this machine allows it: a fresh profile
 * and NSS database in a temporary HOME (trusting a CA when given), the
 * flags that keep it off the closed network, and the page's DOM as output.
 *
 * @module
 */

import { type Output, run } from "./commands.ts";

/**
 * Loads `url` and returns what `--dump-dom` printed; trusts the PEM CA at
 * `trustedCa` if given; `env` adds variables (e.g. SSLKEYLOGFILE).
 */
export async function chromiumDumpDom(
  url: string,
  trustedCa?: string,
  env: Record<string, string> = {},
): Promise<Output> {
  const home = await Deno.makeTempDir({ prefix: "handshake-chromium-" });
  try {
    const nssdb = `sql:${home}/.pki/nssdb`;
    await Deno.mkdir(`${home}/.pki/nssdb`, { recursive: true });
    await certutil(["-N", "--empty-password", "-d", nssdb]);
    if (trustedCa) {
      await certutil(["-A", "-d", nssdb, "-t", "C,,", "-n", "handshake", "-i", trustedCa]);
    }
    return await run("chromium", [
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
      "--dump-dom",
      url,
    ], { env: { ...env, HOME: home }, timeoutMs: 90_000 });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function certutil(args: string[]): Promise<void> {
  const out = await run("certutil", args);
  if (out.code !== 0) throw new Error(`certutil ${args.join(" ")} failed: ${out.stderr}`);
}
