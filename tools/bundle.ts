/**
 * `deno task bundle [--outdir DIR]`: the library as two JavaScript files,
 * made with `deno bundle`:
 *
 * - `handshake-browser.mjs`: the runtime-neutral engine (`lib/mod.ts`),
 *   for pages and workers, on the browser's WebCrypto;
 * - `handshake-node.mjs`: the engine and the Node adapter
 *   (`lib/node/mod.ts`), for Node.js 20 and later (`node:net` stays an
 *   import).
 *
 * Neither may reach Deno's API (FFI included): a bundle that names `Deno`
 * outside a comment is refused.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Each bundle: its file name, its entry point, and the platform it is built for. */
export const BUNDLES = [
  { file: "handshake-browser.mjs", entry: "lib/mod.ts", platform: "browser" },
  { file: "handshake-node.mjs", entry: "lib/node/mod.ts", platform: "deno" },
] as const;

const root = new URL("../", import.meta.url);

/** Builds both bundles into `outdir`; returns their paths. Throws with deno's message on failure. */
export async function bundle(outdir: string): Promise<string[]> {
  const paths = [];
  for (const { file, entry, platform } of BUNDLES) {
    const output = `${outdir}/${file}`;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", platform, "--output", output, entry],
      cwd: root,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(`deno bundle ${entry} failed: ${new TextDecoder().decode(stderr).trim()}`);
    }
    const names = denoReferences(await Deno.readTextFile(output));
    if (names.length > 0) {
      throw new Error(`${file} reaches Deno's API (${names.join(", ")}): it would not run there`);
    }
    paths.push(output);
  }
  return paths;
}

/** The `Deno.…` names a bundle uses outside its comments. */
export function denoReferences(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...new Set(code.match(/\bDeno\.[A-Za-z]+/g) ?? [])];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { outdir: { type: "string", default: "dist" } },
  });
  const outdir = new URL(values.outdir!, new URL(`file://${Deno.cwd()}/`)).pathname;
  await Deno.mkdir(outdir, { recursive: true });
  try {
    for (const path of await bundle(outdir)) console.log(path);
  } catch (e) {
    console.error(`deno task bundle: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
