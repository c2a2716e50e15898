/**
 * `deno task bench`: handshake cost, bulk throughput, latency and memory of
 * handshake beside Deno's native TLS and OpenSSL, measured in one run.
 * Prints Markdown tables; `--save` records a full run in bench/results.json
 * (tracked), `--out FILE` any run anywhere. See bench/README.md.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { aeadRate, bulk } from "./bulk.ts";
import { engineOnly, floor, handshakeCosts, workersCosts } from "./handshake_cost.ts";
import { echoPipes } from "./echo.ts";
import { latency } from "./latency.ts";
import { memory } from "./memory.ts";
import { pq } from "./pq.ts";
import { checkTargets, markdown, type Results } from "./report.ts";
import { makeSetup, removeSetup } from "./setup.ts";
import { isProviderName, PROVIDER_NAMES, type ProviderName } from "../lib/providers.ts";

/** Every provider, as `--crypto` names them: what a full run measures. */
const ALL_PROVIDERS = "webcrypto,openssl";

const HELP = `deno task bench [options]: measure handshake beside Deno's native TLS and OpenSSL

  --only LIST              sections to run: handshake,bulk,latency,memory,pq (default all)
  --crypto LIST            our providers to measure, side by side (default webcrypto,openssl)
  --handshake-seconds N    s_time duration per server (default 10)
  --floor-iterations N     WebCrypto floor iterations (default 2000)
  --bulk-mib N             MiB per bulk transfer (default 1024)
  --aead-mib N             MiB per run of the raw AES-GCM rate, best of 3 (default 128)
  --echo-mib N             MiB echoed through connect and serve's pipes (default 64)
  --connections N          idle connections held for memory (default 2000)
  --latency-runs N         runs per latency client (default 10)
  --pq-handshakes N        handshakes per server and group in the pq section (default 500)
  --pq-mib N               MiB per suite for the in-memory AES-GCM/ChaCha20 rate (default 64)
  --quick                  small amounts (about 60 s): 3 s, 500, 128 MiB, 32 MiB, 300, 5, 100, 16
  --save                   record this run in bench/results.json (a full run only: no --quick,
                           --only, --crypto or amounts)
  --out FILE               write the results (JSON) to FILE, for any run
  -h, --help               this help

The default run takes about two to three minutes on two cores. Without --save or --out
nothing is written: bench/results.json is tracked and holds the figures the README quotes.`;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    only: { type: "string" },
    "handshake-seconds": { type: "string" },
    "floor-iterations": { type: "string" },
    "bulk-mib": { type: "string" },
    "aead-mib": { type: "string" },
    "echo-mib": { type: "string" },
    connections: { type: "string" },
    "latency-runs": { type: "string" },
    "pq-handshakes": { type: "string" },
    "pq-mib": { type: "string" },
    crypto: { type: "string", default: ALL_PROVIDERS },
    quick: { type: "boolean", default: false },
    save: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}

const TRACKED = new URL("results.json", import.meta.url).pathname;
const partial = values.quick || values.only !== undefined || values.crypto !== ALL_PROVIDERS ||
  [
    "handshake-seconds",
    "floor-iterations",
    "bulk-mib",
    "aead-mib",
    "echo-mib",
    "connections",
    "latency-runs",
    "pq-handshakes",
    "pq-mib",
  ].some((k) => values[k as keyof typeof values] !== undefined);
if (values.save && partial) {
  console.error(
    "bench: --save records only a full run in bench/results.json; drop --quick, --only, --crypto " +
      "and the amounts, or write this run elsewhere with --out FILE",
  );
  Deno.exit(2);
}
const outPath = values.out ?? (values.save ? TRACKED : undefined);

const q = values.quick;
const num = (v: string | undefined, full: number, quick: number) => {
  const n = v === undefined ? (q ? quick : full) : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${v}`);
  return n;
};
const settings = {
  handshakeSeconds: num(values["handshake-seconds"], 10, 3),
  floorIterations: num(values["floor-iterations"], 2000, 500),
  bulkMiB: num(values["bulk-mib"], 1024, 128),
  aeadMiB: num(values["aead-mib"], 128, 32),
  echoMiB: num(values["echo-mib"], 64, 16),
  connections: num(values.connections, 2000, 300),
  latencyRuns: num(values["latency-runs"], 10, 5),
  pqHandshakes: num(values["pq-handshakes"], 500, 100),
  pqMiB: num(values["pq-mib"], 64, 16),
};
const SECTIONS = ["handshake", "bulk", "latency", "memory", "pq"];
const only = values.only ? values.only.split(",").map((s) => s.trim()) : SECTIONS;
for (const s of only) {
  if (!SECTIONS.includes(s)) throw new Error(`unknown section "${s}" (${SECTIONS.join(", ")})`);
}

const cryptos = values.crypto.split(",").map((c) => c.trim());
for (const c of cryptos) {
  if (!isProviderName(c)) throw new Error(`unknown --crypto "${c}" (${PROVIDER_NAMES.join(", ")})`);
}
const providers = cryptos as ProviderName[];

async function text(cmd: string, ...args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "unknown";
  }
}

const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
const results: Results = {
  date: new Date().toISOString(),
  commit: await text("git", "-C", new URL("..", import.meta.url).pathname, "rev-parse", "HEAD"),
  machine: {
    cpu: cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown",
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    openssl: await text("openssl", "version"),
  },
  settings: { ...settings, crypto: providers.join(",") },
};

const log = (line: string) => console.error(`bench: ${line}`);
const started = performance.now();
const setup = await makeSetup();
try {
  if (only.includes("handshake")) {
    log(`server handshake cost, ${settings.handshakeSeconds} s of s_time per server`);
    const servers = await handshakeCosts(setup, settings.handshakeSeconds, providers);
    log("WebCrypto floor, and our engine alone");
    const engines = [];
    for (const c of providers) engines.push(await engineOnly(settings.floorIterations, c));
    const workersOn = providers.includes("openssl") ? "openssl" : providers[0];
    log(`serve --workers 1 and 2 on ${workersOn}, two s_time clients at once`);
    const workers = await workersCosts(setup, settings.handshakeSeconds, workersOn);
    results.handshake = {
      servers,
      floor: await floor(setup, settings.floorIterations),
      engines,
      workers,
    };
  }
  if (only.includes("bulk")) {
    log(`bulk, ${settings.bulkMiB} MiB per pair`);
    const pairs = await bulk(setup, settings.bulkMiB * 2 ** 20, providers);
    const records = settings.aeadMiB * 64;
    // The ceiling is the best of three runs of each (a short run is easily disturbed).
    const best = async (inflight: number) => {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await aeadRate(setup, records, inflight));
      return runs.reduce((a, b) => (b.megabytesPerSecond > a.megabytesPerSecond ? b : a));
    };
    const aead = [await best(1), await best(4)];
    log(`${settings.echoMiB} MiB echoed through connect and serve's pipes`);
    const echo = await echoPipes(setup, settings.echoMiB * 2 ** 20, providers);
    results.bulk = { pairs, aead, echo };
  }
  if (only.includes("latency")) {
    log(`latency, ${settings.latencyRuns} runs per client`);
    results.latency = await latency(setup, settings.latencyRuns, providers);
  }
  if (only.includes("memory")) {
    log(`memory, ${settings.connections} idle connections per server`);
    results.memory = await memory(setup, settings.connections, providers);
  }
  if (only.includes("pq")) {
    log(`X25519MLKEM768 beside x25519, ${settings.pqHandshakes} handshakes per server and group`);
    results.pq = await pq(setup, settings.pqHandshakes, settings.pqMiB, providers);
  }
} finally {
  await removeSetup(setup);
}
results.targets = checkTargets(results);
if (outPath) await Deno.writeTextFile(outPath, JSON.stringify(results, null, 2) + "\n");
console.log(markdown(results));
log(
  `done in ${((performance.now() - started) / 1000).toFixed(0)} s; ${
    outPath ? `wrote ${outPath}` : "nothing written (--save records a full run)"
  }`,
);
