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

const HELP = `deno task compile [--target TARGET] [--output PATH]

Builds ./handshake, one binary with its permissions embedded (${PERMISSIONS.join(" ")}).

  --target TARGET   ${DEFAULT_TARGET} (default), aarch64-unknown-linux-gnu,
                    x86_64-apple-darwin, aarch64-apple-darwin, x86_64-pc-windows-msvc
  --output PATH     where to write it (default handshake)
  -h, --help        this help

deno compile needs Deno's runtime for the target (denort): it downloads it once into
DENO_DIR, or takes it from DENORT_BIN.`;

/** One line for a failed `deno compile`: what went wrong and what to do, or its own error. */
export function compileFailure(stderr: string, target: string): string {
  const runtime = `denort-${target}.zip`;
  if (/Could not find denort/i.test(stderr)) {
    return `DENORT_BIN points at no file (${stderr.match(/denort at '([^']*)'/)?.[1] ?? "?"}): ` +
      `set it to Deno's runtime for ${target}, or unset it to download that runtime`;
  }
  if (/Setting up base binary|dl\.deno\.land|denort/i.test(stderr)) {
    return `could not get Deno's runtime for ${target} (${runtime}; no network here?): run ` +
      `\`deno task compile\` once where https://dl.deno.land is reachable, or download ` +
      `https://dl.deno.land/release/v${Deno.version.deno}/${runtime}, unzip it and set DENORT_BIN ` +
      "to the denort inside";
  }
  const first = stderr.split("\n").find((l) => /error/i.test(l)) ?? stderr.trim().split("\n")[0];
  return (first ?? "deno compile failed").replace(/^error: /, "");
}

if (import.meta.main) {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        target: { type: "string", default: DEFAULT_TARGET },
        output: { type: "string", default: "handshake" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(
      `compile: ${(e as Error).message.split("\n")[0]} (see \`deno task compile --help\`)`,
    );
    Deno.exit(2);
  }
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(values.target, values.output),
    stdin: "null",
    env: { NO_COLOR: "1" }, // its error is read back, not shown as is
  }).output();
  const text = new TextDecoder();
  await Deno.stdout.write(stdout);
  if (code !== 0) {
    console.error(`compile: ${compileFailure(text.decode(stderr), values.target)}`);
  } else {
    await Deno.stderr.write(stderr);
  }
  Deno.exit(code);
}
