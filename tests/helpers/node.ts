/**
 * The library as Node runs it: `deno task bundle` built into a temporary
 * directory beside a copy of `examples/`, so the examples import
 * `../dist/handshake-node.mjs` exactly as they do in the repository; and the
 * Node versions to run them under (Node 20 as installed, Node 26 by npx).
 *
 * @module
 */

import { bundle } from "../../tools/bundle.ts";
import { have, run } from "./commands.ts";

/** A temporary build: its directory, the two bundles, and the examples beside them. */
export interface Build {
  dir: string;
  /** dist/handshake-node.mjs in the build. */
  node: string;
  /** dist/handshake-browser.mjs in the build. */
  browser: string;
  /** The path of an example in the build, e.g. `example("node_client.mjs")`. */
  example(name: string): string;
}

/** Bundles the library into a new temporary directory (removed at unload). */
export async function buildBundles(): Promise<Build> {
  const dir = await Deno.makeTempDir({ prefix: "handshake-bundle-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  const [browser, node] = await bundle(`${dir}/dist`);
  await Deno.mkdir(`${dir}/examples`);
  for await (const e of Deno.readDir(new URL("../../examples/", import.meta.url))) {
    await Deno.copyFile(
      new URL(`../../examples/${e.name}`, import.meta.url),
      `${dir}/examples/${e.name}`,
    );
  }
  return { dir, node, browser, example: (name) => `${dir}/examples/${name}` };
}

/** A Node.js to run scripts with: its name and version, and the command before the script. */
export interface NodeRuntime {
  name: string;
  command: string[];
  /** What `--version` printed, or undefined when it cannot run here. */
  version?: string;
}

/**
 * Node 20 (`node` on PATH) and Node 26 (from npm by `npx -y node@26`, OpenSSL
 * 3.5 inside). Node 26 is then run by its own path, not through npx: killing
 * npx would leave its node running.
 */
export async function nodeRuntimes(): Promise<NodeRuntime[]> {
  const runtimes: NodeRuntime[] = [{ name: "Node 20", command: ["node"] }];
  const node26: NodeRuntime = { name: "Node 26", command: [] };
  runtimes.push(node26);
  if (await have("npx")) {
    const out = await run("npx", ["-y", "node@26", "-p", "process.execPath"], {
      timeoutMs: 120_000,
    });
    if (out.code === 0) node26.command = [out.stdout.trim()];
  }
  for (const r of runtimes) {
    if (r.command.length === 0 || !(await have(r.command[0]))) continue;
    const out = await run(r.command[0], ["--version"]);
    if (out.code !== 0) continue;
    r.version = out.stdout.trim();
    r.name = `Node ${r.version.replace(/^v(\d+).*$/, "$1")}`; // what really runs
  }
  return runtimes;
}
