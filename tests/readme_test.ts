/**
 * The README's code runs as written: its two library examples are taken
 * from README.md and run (with the checkout's deno.json, as from the
 * checkout), each with exactly the permissions the README says it needs (the
 * echo example on a free port instead of 8443, which may be taken). And the README points at no issue numbers.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { run } from "./helpers/commands.ts";
import { freePort } from "./helpers/peer.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const LIB = new URL("../lib/", import.meta.url).href;
/** The checkout's deno.json: its import map resolves lib's npm dependencies. */
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** The ```ts block of the README that contains `marker`, and the prose just before it. */
function example(marker: string): { code: string; before: string } {
  const re = /```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(README); m; m = re.exec(README)) {
    if (m[1].includes(marker)) {
      return { code: m[1], before: README.slice(Math.max(0, m.index - 600), m.index) };
    }
  }
  throw new Error(`no ts example with ${marker} in README.md`);
}

/** The `deno run ...` permission flags the prose before an example names. */
function permissions(before: string): string[] {
  const all = [...before.matchAll(/`deno run ((?:--allow-[\w-]+(?:=[^\s`]+)?\s*)+)`/g)];
  assert.ok(all.length > 0, `the README says which permissions the example needs:\n${before}`);
  return all[all.length - 1][1].trim().split(/\s+/);
}

/** Runs `code` (importing from ./lib/) with `flags` in a directory that holds certs/. */
async function runExample(code: string, flags: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "handshake-readme-" });
  try {
    await Deno.mkdir(`${dir}/certs`);
    await makeCertSet({ dir: `${dir}/certs` });
    await Deno.writeTextFile(`${dir}/example.ts`, code.replaceAll('"./lib/', `"${LIB}`));
    const args = ["run", "--no-prompt", "--config", CONFIG, ...flags, "example.ts"];
    return await run(Deno.execPath(), args, {
      cwd: dir,
      timeoutMs: 30_000,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readme: the sans-IO example runs as written, with the permissions it states", async () => {
  const { code, before } = example("Connection.server(");
  const flags = permissions(before);
  assert.deepEqual(flags, ["--allow-read=certs"]);
  const out = await runExample(code, flags);
  assert.equal(out.code, 0, out.stderr);
  // Both sides report the same handshake (the group is the default's first), then the data.
  assert.match(
    out.stdout,
    /^handshake: TLS_AES_128_GCM_SHA256 (\S+)\nhandshake: TLS_AES_128_GCM_SHA256 \1\nserver got: hi\n$/,
  );
});

Deno.test("readme: the library example runs with the permissions it states (on a free port)", async () => {
  const { code, before } = example("listen({ port: 8443");
  const port = String(freePort());
  const flags = permissions(before).map((f) => f.replace("8443", port));
  assert.ok(flags.some((f) => f.startsWith("--allow-net=")), flags.join(" "));
  const out = await runExample(code.replaceAll("8443", port), flags);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "TLS_AES_128_GCM_SHA256 hi\n\n");
});

Deno.test("readme: no pointers to issue numbers", async () => {
  for (const file of ["../README.md", "../bench/README.md"]) {
    const text = await Deno.readTextFile(new URL(file, import.meta.url));
    assert.doesNotMatch(text, /\bissues? #?\d+/i, file);
  }
});
