/**
 * `deno task fuzz [--seconds N] [--seed S]`: fuzzes the engine, both roles,
 * from the recorded conversations, and prints inputs per second, how the
 * inputs ended, and each finding, saved under tests/fuzz/corpus/ where the
 * corpus test (tests/fuzz_test.ts) replays it from then on.
 *
 * @module
 */

import { parseFlags } from "../../cli/common.ts";
import { fuzz, saveCase } from "./harness.ts";

const USAGE = `Usage: deno task fuzz [--seconds N] [--seed S]

  --seconds N   how long to run (default 60)
  --seed S      seed of the mutations (default: the time); a run with the same seed
                and the same count of inputs repeats exactly`;

/** What the outcomes in the summary mean. */
const LEGEND = `
How each input ended (every one is fine; only findings are bugs):
  ok            the engine took the whole input and went on: the mutation was harmless
  alert NAME    the engine refused the input with alert NAME, sent before it stopped (RFC 8446 §6)
  peer NAME     the mutated input carried an alert from the other side, and the engine stopped
                on it (a name in hex, e.g. 0x80, is an alert code the mutation made up)
  truncated     the input ended before the conversation did, without close_notify
  finding       anything else: a crash, a hang, an error without its alert, too much output;
                printed as FINDING above and saved under tests/fuzz/corpus/`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseFlags("fuzz", Deno.args, {
      seconds: { type: "string", default: "60" },
      seed: { type: "string" },
      help: { type: "boolean", short: "h" },
    }));
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seconds = Number(values.seconds);
  const seed = values.seed === undefined ? Date.now() >>> 0 : Number(values.seed);
  if (!(seconds > 0) || !Number.isInteger(seed)) {
    console.error(`fuzz: --seconds must be positive and --seed an integer\n${USAGE}`);
    return 2;
  }
  // A rejection nobody handled would end the run: count it as a finding instead.
  let unhandled = 0;
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    unhandled++;
    console.error(`FINDING: unhandled promise rejection: ${e.reason}`);
  });
  console.error(`fuzz: seed ${seed}, ${seconds} s`);
  // One saved case per kind of finding (its message with the numbers taken out).
  const seen = new Set<string>();
  const stats = await fuzz({ seconds, seed }, async (input, verdict) => {
    const kind = `${input.role} ${verdict.finding!.replace(/\d+/g, "#")}`;
    if (seen.has(kind)) return;
    seen.add(kind);
    const path = await saveCase(input, verdict);
    console.error(`FINDING (${input.role}, ${input.scenario}): ${verdict.finding}`);
    console.error(`  made by: ${input.mutations.join("; ")}`);
    console.error(`  saved as ${path}`);
  });
  const rate = stats.inputs / stats.seconds;
  console.log(
    `fuzz: ${stats.inputs} inputs in ${stats.seconds.toFixed(1)} s: ${rate.toFixed(0)} inputs/s, ` +
      `${stats.findings.length + unhandled} findings (seed ${seed})`,
  );
  const outcomes = Object.entries(stats.outcomes).sort((a, b) => b[1] - a[1]);
  for (const [outcome, n] of outcomes) console.log(`  ${String(n).padStart(7)}  ${outcome}`);
  console.log(LEGEND);
  return stats.findings.length + unhandled ? 1 : 0;
}

Deno.exit(await main());
