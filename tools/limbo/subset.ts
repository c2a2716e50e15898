/**
 * Writes the x509-limbo subset that `deno test` runs to
 * tests/fixtures/limbo-subset/limbo.json.gz, so the test does not need the
 * whole suite on the machine: every case outside bettertls, and one in 25
 * of bettertls' cases. Run it again after the suite changes:
 *
 *   deno run --allow-read --allow-write=tests/fixtures tools/limbo/subset.ts [--limbo DIR]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_LIMBO_DIR, loadLimbo } from "./harness.ts";

const { values } = parseArgs({ options: { limbo: { type: "string" } } });
const dir = values.limbo
  ? new URL(`file://${Deno.realPathSync(values.limbo)}/`)
  : DEFAULT_LIMBO_DIR;
const cases = (await loadLimbo(dir)).filter((tc, i) =>
  !tc.id.startsWith("bettertls::") || i % 25 === 0
);
const json = new Blob([JSON.stringify({ testcases: cases })]);
const out = new URL("../../tests/fixtures/limbo-subset/limbo.json.gz", import.meta.url);
await Deno.writeFile(out, json.stream().pipeThrough(new CompressionStream("gzip")));
console.log(`wrote ${cases.length} cases to ${out.pathname}`);
