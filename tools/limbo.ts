/**
 * `deno task limbo`: runs every SERVER case of x509-limbo through the path
 * validator, prints a table per family (the ID before `::`), compares the
 * pass rate with pyca/cryptography's on the same file, writes the results
 * in limbo's LimboResult format, and fails if a case fails that is not in
 * `tools/limbo/exceptions.json` (or an exception no longer fails).
 *
 *   deno task limbo [--limbo DIR] [--out limbo-results.json] [--verbose] [--help]
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  DEFAULT_LIMBO_DIR,
  DerCache,
  type LimboCase,
  type LimboResult,
  loadExceptions,
  loadLimbo,
  runCase,
  skipReason,
} from "./limbo/harness.ts";

const PYCA = "pyca-cryptography-48.0.0";
const CONCURRENCY = 8;

const HELP = `deno task limbo [--limbo DIR] [--out limbo-results.json] [--verbose]

Runs every SERVER case of x509-limbo (https://x509-limbo.com) through the path validator,
prints a table per family beside pyca/cryptography's results, writes LimboResult JSON to
--out, and fails on a failure not listed in tools/limbo/exceptions.json.

  --limbo DIR   the folder holding limbo.json.gz (default ../shared/x509-limbo beside this
                checkout, where the shared data lives)
  --out FILE    results file (default limbo-results.json)
  --verbose     print every failing case
  -h, --help    this help`;

/** Exits 2 with one line saying what is wrong and what to do. */
function usage(message: string): never {
  console.error(`limbo: ${message}`);
  Deno.exit(2);
}

let flags;
try {
  ({ values: flags } = parseArgs({
    args: Deno.args,
    options: {
      limbo: { type: "string" },
      out: { type: "string", default: "limbo-results.json" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }));
} catch (e) {
  usage(`${(e as Error).message.split("\n")[0]} (see \`deno task limbo --help\`)`);
}
if (flags.help) {
  console.log(HELP);
  Deno.exit(0);
}
const dir = flags.limbo
  ? new URL(`file://${new URL(flags.limbo.replace(/\/*$/, "/"), `file://${Deno.cwd()}/`).pathname}`)
  : DEFAULT_LIMBO_DIR;
try {
  await Deno.stat(new URL("limbo.json.gz", dir));
} catch {
  usage(
    `no x509-limbo data at ${new URL("limbo.json.gz", dir).pathname} (pass --limbo DIR with ` +
      "limbo.json.gz from https://github.com/C2SP/x509-limbo; `deno test tests/x509_limbo_test.ts` " +
      "runs the subset shipped in tests/fixtures)",
  );
}

const started = performance.now();
const cases = await loadLimbo(dir);
const exceptions = await loadExceptions();
const cache = new DerCache();
const results = new Map<string, LimboResult>();
const crashed = new Map<string, string>();

let next = 0;
async function worker(): Promise<void> {
  while (next < cases.length) {
    const tc = cases[next++];
    const skip = skipReason(tc);
    if (skip) {
      results.set(tc.id, { id: tc.id, actual_result: "SKIPPED", context: skip });
      continue;
    }
    try {
      results.set(tc.id, await runCase(tc, cache));
    } catch (e) {
      crashed.set(tc.id, (e as Error).stack ?? String(e));
      results.set(tc.id, { id: tc.id, actual_result: "FAILURE", context: `crash: ${e}` });
    }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const seconds = (performance.now() - started) / 1000;

const pyca = await loadReference(PYCA);
const passed = (tc: LimboCase) =>
  !crashed.has(tc.id) && results.get(tc.id)!.actual_result === tc.expected_result;

// The table, one row per family.
interface Row {
  cases: number;
  skipped: number;
  passed: number;
  failed: number;
  pycaPassed: number;
  pycaFailed: number;
}
const rows = new Map<string, Row>();
for (const tc of cases) {
  const family = tc.id.split("::")[0];
  const row = rows.get(family) ??
    { cases: 0, skipped: 0, passed: 0, failed: 0, pycaPassed: 0, pycaFailed: 0 };
  rows.set(family, row);
  row.cases++;
  if (results.get(tc.id)!.actual_result === "SKIPPED") row.skipped++;
  else if (passed(tc)) row.passed++;
  else row.failed++;
  const theirs = pyca.get(tc.id);
  if (theirs && theirs !== "SKIPPED") {
    if (theirs === tc.expected_result) row.pycaPassed++;
    else row.pycaFailed++;
  }
}
const total: Row = { cases: 0, skipped: 0, passed: 0, failed: 0, pycaPassed: 0, pycaFailed: 0 };
for (const r of rows.values()) {
  for (const k of Object.keys(total) as (keyof Row)[]) total[k] += r[k];
}
const rate = (p: number, f: number) => p + f === 0 ? "-" : `${(100 * p / (p + f)).toFixed(3)}%`;
const line = (name: string, r: Row) =>
  [
    name.padEnd(14),
    String(r.cases).padStart(6),
    String(r.skipped).padStart(8),
    String(r.passed).padStart(7),
    String(r.failed).padStart(7),
    rate(r.passed, r.failed).padStart(10),
    rate(r.pycaPassed, r.pycaFailed).padStart(10),
  ].join(" ");
console.log(
  ["family".padEnd(14), " cases", " skipped", " passed", " failed", "rate".padStart(10)].join(" ") +
    " " + "pyca".padStart(10),
);
for (const [name, r] of [...rows].sort((a, b) => b[1].cases - a[1].cases)) {
  console.log(line(name, r));
}
console.log(line("total", total));

// Failures: the known ones (with their reasons, if --verbose), then the unexpected.
const unexpected: string[] = [];
const stale: string[] = [];
for (const tc of cases) {
  const r = results.get(tc.id)!;
  if (r.actual_result === "SKIPPED") continue;
  if (passed(tc)) {
    if (tc.id in exceptions) stale.push(tc.id);
  } else if (!(tc.id in exceptions)) {
    unexpected.push(`  ${tc.id}: expected ${tc.expected_result}, got ${r.context}`);
    if (crashed.has(tc.id)) unexpected.push(crashed.get(tc.id)!);
  } else if (flags.verbose) {
    console.log(`known failure ${tc.id}: ${exceptions[tc.id]}\n  (${r.context})`);
  }
}
if (unexpected.length > 0) {
  console.log(
    `\nunexpected failures (not in tools/limbo/exceptions.json):\n${unexpected.join("\n")}`,
  );
}
if (stale.length > 0) {
  console.log(`\nexceptions that now pass (remove them):\n  ${stale.join("\n  ")}`);
}

await Deno.writeTextFile(
  flags.out,
  JSON.stringify(
    { version: 1, harness: "handshake", results: cases.map((tc) => results.get(tc.id)) },
    null,
    1,
  ) +
    "\n",
);
// Head to head, on the cases both validators ran.
let both = 0, oursBoth = 0, theirsBoth = 0;
for (const tc of cases) {
  const theirs = pyca.get(tc.id);
  if (results.get(tc.id)!.actual_result === "SKIPPED" || !theirs || theirs === "SKIPPED") continue;
  both++;
  if (passed(tc)) oursBoth++;
  if (theirs === tc.expected_result) theirsBoth++;
}
console.log(
  `\npass rate ${rate(total.passed, total.failed)} (${total.passed}/${
    total.passed + total.failed
  } executed); ${PYCA}: ${rate(total.pycaPassed, total.pycaFailed)} (${total.pycaPassed}/${
    total.pycaPassed + total.pycaFailed
  })`,
);
console.log(
  `on the ${both} cases both ran: ${both - oursBoth} failed here, ${both - theirsBoth} in ${PYCA}`,
);
console.log(`results in ${flags.out}; ${seconds.toFixed(1)} s`);
console.log(`${total.passed} passed, ${total.failed} failed`);
if (unexpected.length > 0 || stale.length > 0) Deno.exit(1);

async function loadReference(name: string): Promise<Map<string, string>> {
  const file = await Deno.open(new URL(`reference-results/${name}.json.gz`, dir));
  const data = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip")))
    .json();
  return new Map(
    (data.results as LimboResult[]).map((r) => [r.id, r.actual_result]),
  );
}
