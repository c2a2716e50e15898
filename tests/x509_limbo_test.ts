/**
 * A fast subset of x509-limbo (the whole suite runs with `deno task limbo`):
 * every case outside bettertls, all of bettertls' path building, and one in
 * 25 of its name constraint cases. Each must pass or be a listed exception.
 */

import assert from "node:assert/strict";
import {
  DEFAULT_LIMBO_DIR,
  DerCache,
  loadExceptions,
  loadLimbo,
  runCase,
  skipReason,
} from "../tools/limbo/harness.ts";

const present = await Deno.stat(new URL("limbo.json.gz", DEFAULT_LIMBO_DIR)).then(
  () => true,
  () => false,
);

Deno.test({
  name: "x509-limbo: representative subset",
  ignore: !present,
  fn: async () => {
    const cases = (await loadLimbo()).filter((tc, i) =>
      !tc.id.startsWith("bettertls::nameconstraints::") || i % 25 === 0
    );
    const exceptions = await loadExceptions();
    const cache = new DerCache();
    const wrong: string[] = [];
    let ran = 0;
    for (const tc of cases) {
      if (skipReason(tc)) continue;
      ran++;
      const result = await runCase(tc, cache);
      const ok = result.actual_result === tc.expected_result;
      if (ok === tc.id in exceptions) {
        wrong.push(
          ok ? `${tc.id} passes but is listed as an exception` : `${tc.id}: ${result.context}`,
        );
      }
    }
    assert.ok(ran > 400, `only ${ran} cases ran`);
    assert.deepEqual(wrong, []);
  },
});
