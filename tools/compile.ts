/**
 * `deno task compile [--target TARGET] [--output PATH]`: builds the one
 * binary, `./handshake`, with only the permissions it needs embedded:
 * reading and writing files (certificates, keys, key logs), the network,
 * FFI (for `--crypto openssl`, which loads OpenSSL's libcrypto) and four
 * environment variables. Linux x86_64 by default; other targets:
 * x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu, x86_64-apple-darwin,
 * aarch64-apple-darwin, x86_64-pc-windows-msvc.
 *
 * `deno compile` needs Deno's runtime for the target (denort): it is
 * downloaded on first use and cached in DENO_DIR, or taken from DENORT_BIN.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** The permissions embedded in the binary: explicit, never -A. */
export const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-ffi",
  "--allow-env=NO_COLOR,SSLKEYLOGFILE,SSL_CERT_FILE,HANDSHAKE_LIBCRYPTO",
];

/** The default target. */
export const DEFAULT_TARGET = "x86_64-unknown-linux-gnu";

/** The `deno compile` arguments for `target` and `output`. */
export function compileArgs(target = DEFAULT_TARGET, output = "handshake"): string[] {
  const main = new URL("../main.ts", import.meta.url).pathname;
  // A worker is a module of its own: `deno compile` embeds it only when told. `serve --workers`
  // binds with SO_REUSEPORT, which Deno keeps behind --unstable-net.
  const inspectWorker = new URL("../cli/inspect_worker.ts", import.meta.url).pathname;
  const serveWorker = new URL("../cli/serve_worker.ts", import.meta.url).pathname;
  return [
    "compile",
    ...PERMISSIONS,
    "--unstable-net",
    "--include",
    inspectWorker,
    "--include",
    serveWorker,
    "--target",
    target,
    "--output",
    output,
    main,
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", default: DEFAULT_TARGET },
      output: { type: "string", default: "handshake" },
    },
  });
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(values.target, values.output),
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  Deno.exit(code);
}
