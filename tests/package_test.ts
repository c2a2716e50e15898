/**
 * The package as deno.json describes it: every entry point documented
 * (`deno doc --lint` reports nothing), and `deno publish --dry-run` passes
 * (a licence, no slow types).
 */

import assert from "node:assert/strict";
import { run } from "./helpers/commands.ts";

const root = new URL("../", import.meta.url).pathname;
const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));

Deno.test("package: deno.json names, versions and exports the engine, the Deno and the Node adapters", () => {
  assert.match(config.name, /^@[a-z0-9-]+\/[a-z0-9-]+$/);
  assert.match(config.version, /^\d+\.\d+\.\d+$/);
  assert.deepEqual(config.exports, {
    ".": "./lib/mod.ts",
    "./deno": "./lib/deno/mod.ts",
    "./node": "./lib/node/mod.ts",
  });
});

Deno.test("package: deno doc --lint reports nothing on any entry point", async () => {
  for (const entry of Object.values(config.exports) as string[]) {
    const out = await run(Deno.execPath(), ["doc", "--lint", entry], { cwd: root });
    assert.equal(out.code, 0, `${entry}:\n${out.stderr}`);
    assert.doesNotMatch(out.stderr, /error/i, entry);
  }
});

Deno.test("package: deno publish --dry-run passes", async () => {
  const out = await run(Deno.execPath(), ["publish", "--dry-run", "--allow-dirty"], {
    cwd: root,
    env: { NO_COLOR: "1" },
    timeoutMs: 120_000,
  });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, /Success Dry run complete/);
  assert.match(out.stderr, /\/LICENSE \(/);
});

Deno.test("package: the examples in the library's doc comments type-check", async () => {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(`${root}${dir}`)) {
      if (e.isDirectory) await walk(`${dir}${e.name}/`);
      else if (e.name.endsWith(".ts")) files.push(`${dir}${e.name}`);
    }
  };
  await walk("lib/");
  const out = await run(Deno.execPath(), ["check", "--doc-only", ...files], {
    cwd: root,
    env: { NO_COLOR: "1" },
    timeoutMs: 120_000,
  });
  assert.equal(out.code, 0, out.stderr);
});
