/**
 * The other tasks as a person runs them (`deno task NAME`): `--help`, and a
 * one-line error that says what to do instead of a stack trace, for a
 * missing compile runtime, missing x509-limbo data, a bad flag; the bench
 * never overwrites its tracked results with a quick run; load and fuzz say
 * how long they run and what their summary means.
 */

import assert from "node:assert/strict";
import { need, type Output, run } from "./helpers/commands.ts";
import { compileFailure } from "../tools/compile.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const hasOpenssl = await need("the bench --quick run", "openssl");

/** `deno task NAME ARGS` in the checkout; stderr without the task runner's own line. */
async function task(name: string, args: string[], env: Record<string, string> = {}) {
  const out = await run(Deno.execPath(), ["task", name, ...args], {
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    timeoutMs: 120_000,
  });
  return { ...out, stderr: out.stderr.replace(/^Task .*\n/m, "") };
}

function oneLine(out: Output, code: number, pattern: RegExp): void {
  assert.equal(out.code, code, out.stderr);
  assert.match(out.stderr, pattern);
  assert.equal(out.stderr.trimEnd().split("\n").length, 1, out.stderr);
  assert.doesNotMatch(out.stderr, /^\s+at |Uncaught|Stack backtrace/m, out.stderr);
}

Deno.test("tools: deno task compile --help, a bad flag, and a runtime that is not there", async () => {
  const help = await task("compile", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--target TARGET/);
  assert.match(help.stdout, /DENORT_BIN/);
  oneLine(
    await task("compile", ["--bogus"]),
    2,
    /^compile: Unknown option '--bogus' \(see `deno task compile --help`\)/,
  );
  const dir = await Deno.makeTempDir();
  try {
    const missing = await task("compile", ["--output", `${dir}/hs`], { DENORT_BIN: `${dir}/nope` });
    assert.notEqual(missing.code, 0);
    oneLine(
      missing,
      missing.code,
      /^compile: DENORT_BIN points at no file \(.*nope\): set it to Deno's runtime/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tools: a failed runtime download becomes one line naming the file and DENORT_BIN", () => {
  // What `deno compile` prints when dl.deno.land cannot be reached (recorded without network).
  const stderr = "error: Writing deno compile executable to temporary file 'handshake.tmp'\n\n" +
    "Caused by:\n    0: Setting up base binary.\n    1: error sending request for url " +
    "(https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error " +
    "(Connect): dns error: failed to lookup address information\n\nStack backtrace:\n   0: <unknown>\n";
  const line = compileFailure(stderr, "x86_64-unknown-linux-gnu");
  assert.match(line, /^could not get Deno's runtime for x86_64-unknown-linux-gnu/);
  assert.match(
    line,
    /https:\/\/dl\.deno\.land\/release\/v[\d.]+\/denort-x86_64-unknown-linux-gnu\.zip/,
  );
  assert.match(line, /set DENORT_BIN/);
  assert.doesNotMatch(line, /\n/);
});

Deno.test("tools: deno task limbo --help, and missing data is one line that says where to get it", async () => {
  const help = await task("limbo", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--limbo DIR/);
  assert.match(help.stdout, /\.\.\/shared\/x509-limbo/);
  oneLine(
    await task("limbo", ["--limbo", "/nonexistent-limbo"]),
    2,
    /^limbo: no x509-limbo data at \/nonexistent-limbo\/limbo\.json\.gz \(pass --limbo DIR with limbo\.json\.gz from https:\/\/github\.com\/C2SP\/x509-limbo/,
  );
  oneLine(
    await task("limbo", ["--bogus"]),
    2,
    /^limbo: Unknown option '--bogus' \(see `deno task limbo --help`\)/,
  );
});

Deno.test({
  name:
    "tools: deno task bench --quick does not touch bench/results.json; --save refuses a partial run",
  ignore: !hasOpenssl,
  async fn() {
    const tracked = new URL("../bench/results.json", import.meta.url);
    const before = await Deno.readFile(tracked);
    const mtime = (await Deno.stat(tracked)).mtime;
    oneLine(
      await task("bench", ["--quick", "--save"]),
      2,
      /^bench: --save records only a full run in bench\/results\.json/,
    );
    const quick = await task("bench", ["--quick", "--only", "latency", "--latency-runs", "1"]);
    assert.equal(quick.code, 0, quick.stderr);
    assert.match(quick.stdout + quick.stderr, /nothing written \(--save records a full run\)/);
    assert.deepEqual(await Deno.readFile(tracked), before);
    assert.deepEqual((await Deno.stat(tracked)).mtime, mtime);
    const help = await task("bench", ["--help"]);
    assert.match(help.stdout, /--save/);
  },
});

Deno.test("tools: deno task load says how long it runs and offers --quick", async () => {
  const help = await task("load", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--quick\s+a short run \(about a minute\)/);
  assert.match(help.stdout, /The default run takes about four minutes/);
  oneLine(
    await task("load", ["--bogus"]),
    2,
    /^load: unknown flag --bogus \(see `deno task load --help`\)/,
  );
});

Deno.test("tools: deno task fuzz explains the terms of its summary", async () => {
  const out = await task("fuzz", ["--seconds", "1", "--seed", "1"]);
  assert.equal(out.code, 0, out.stderr);
  // Each outcome counted is one the legend explains.
  const counted = [...out.stdout.matchAll(/^\s+\d+ {2}(\S+)/gm)].map((m) => m[1]);
  assert.ok(counted.length > 0, out.stdout);
  for (const kind of counted) {
    const term = kind === "alert" || kind === "peer" ? `${kind} NAME` : kind;
    assert.ok(out.stdout.includes(`\n  ${term} `), `the legend explains "${term}":\n${out.stdout}`);
  }
  assert.match(out.stdout, /only findings are bugs/);
});
