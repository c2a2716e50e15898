/**
 * A fast subset of x509-limbo, checked in under tests/fixtures (the whole
 * suite runs with `deno task limbo`): every case outside bettertls and one
 * in 25 of bettertls'. Each must pass or be a listed exception.
 */

import assert from "node:assert/strict";
import {
  DerCache,
  loadExceptions,
  loadLimbo,
  runCase,
  skipReason,
} from "../tools/limbo/harness.ts";

const SUBSET = new URL("fixtures/limbo-subset/", import.meta.url);

Deno.test({
  name: "x509-limbo: representative subset",
  fn: async () => {
    const cases = await loadLimbo(SUBSET);
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
