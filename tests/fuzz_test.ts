/**
 * The fuzz harness as part of `deno test`: the recordings it starts from
 * replay exactly, a bounded run with a fixed seed finds nothing, and every
 * case saved under tests/fuzz/corpus/ (each a past finding, or an input
 * worth keeping) passes the harness's checks, ending the way its `outcome`
 * says once fixed; once per crypto provider, and every provider after the
 * first records the same bytes as the first (a differential test: same
 * inputs, fixed randomness). Longer runs: `deno task fuzz`.
 */

import assert from "node:assert/strict";
import { record, SCENARIOS } from "./fuzz/conversations.ts";
import { fuzz, loadCorpus, runInput } from "./fuzz/harness.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const hex = (v: unknown) => JSON.stringify(v, (_k, x) => x instanceof Uint8Array ? x.toHex() : x);

const corpus = await loadCorpus();

// Registered only when there is a second provider to compare with the first.
for (const crypto of PROVIDERS.slice(1)) {
  Deno.test(`fuzz [${crypto.name}]: every recording is byte for byte ${PROVIDERS[0].name}'s`, async () => {
    for (const scenario of Object.keys(SCENARIOS)) {
      assert.equal(
        hex(await record(scenario, crypto)),
        hex(await record(scenario, PROVIDERS[0])),
        scenario,
      );
    }
  });
}

for (const crypto of PROVIDERS) {
  Deno.test(`fuzz [${crypto.name}]: each recorded conversation is the same on every run`, async () => {
    for (const scenario of Object.keys(SCENARIOS)) {
      assert.equal(
        hex(await record(scenario, crypto)),
        hex(await record(scenario, crypto)),
        scenario,
      );
    }
  });

  Deno.test(`fuzz [${crypto.name}]: each recording, unchanged, replays to the end in both roles`, async () => {
    for (const scenario of Object.keys(SCENARIOS)) {
      const c = await record(scenario, crypto);
      for (const [role, dir] of [["server", c.toServer], ["client", c.toClient]] as const) {
        const verdict = await runInput(
          { scenario, role, chunks: dir.chunks, mutations: [] },
          crypto,
        );
        assert.deepEqual(verdict, { outcome: "ok" }, `${scenario}, ${role}`);
      }
    }
  });

  Deno.test(`fuzz [${crypto.name}]: a bounded run (3 s, fixed seed) finds nothing`, async () => {
    const stats = await fuzz({ seconds: 3, seed: 20260601, crypto });
    console.log(
      `${stats.inputs} inputs, ${(stats.inputs / stats.seconds).toFixed(0)} inputs/s: ` +
        Object.entries(stats.outcomes).map(([k, v]) => `${k} ${v}`).join(", "),
    );
    const report = stats.findings.map((f) =>
      `${f.input.role} ${f.input.scenario}: ${f.verdict.finding} (${f.input.mutations.join("; ")})`
    );
    assert.deepEqual(report, [], "findings (replay with `deno task fuzz --seed 20260601`)");
    assert.ok(stats.inputs > 100);
  });

  for (const c of corpus) {
    Deno.test(`fuzz corpus [${crypto.name}]: ${c.name} (was: ${c.finding})`, async () => {
      const verdict = await runInput(c.input, crypto);
      assert.equal(
        verdict.finding,
        undefined,
        `${verdict.finding} (${c.input.mutations.join("; ")})`,
      );
      if (c.outcome) {
        assert.equal(verdict.outcome, c.outcome, "the case no longer reaches its check");
      }
    });
  }
}
