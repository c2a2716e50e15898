/**
 * The results of one run, as JSON (bench/results.json) and as Markdown
 * tables (printed, and pasted into README.md), with each figure
 * beside its comparison and the performance targets checked.
 *
 * @module
 */

import type { AeadResult, BulkResult } from "./bulk.ts";
import type { Floor, HandshakeCost } from "./handshake_cost.ts";
import type { LatencyResult } from "./latency.ts";
import type { MemoryResult } from "./memory.ts";

/** Everything one run measured. */
export interface Results {
  date: string;
  commit: string;
  machine: { cpu: string; cores: number; deno: string; v8: string; openssl: string };
  settings: Record<string, number | string>;
  handshake?: { servers: HandshakeCost[]; floor: Floor; engine?: Floor };
  bulk?: { pairs: BulkResult[]; aead: AeadResult[] };
  latency?: LatencyResult[];
  memory?: MemoryResult[];
  targets?: Target[];
}

/** One of the performance targets, checked. */
export interface Target {
  what: string;
  value: number;
  limit: number;
  /** Whether `value` must be at most (`max`) or at least (`min`) `limit`. */
  kind: "max" | "min";
  met: boolean;
}

const f0 = (n: number) => Math.round(n).toLocaleString("en-US");
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const rule = head.map((_, i) => (i === 0 ? "---" : "---:"));
  return [line(head), line(rule), ...rows.map(line)].join("\n");
}

/** Checks the performance targets against what was measured. */
export function checkTargets(r: Results): Target[] {
  const out: Target[] = [];
  const t = (what: string, value: number, limit: number, kind: "max" | "min") =>
    out.push({ what, value, limit, kind, met: kind === "max" ? value <= limit : value >= limit });
  if (r.handshake) {
    const [ours, deno] = r.handshake.servers;
    t(
      "server CPU/handshake ÷ Deno.listenTls",
      ours.cpuMicrosPerHandshake / deno.cpuMicrosPerHandshake,
      1,
      "max",
    );
    t(
      "server CPU/handshake ÷ WebCrypto floor",
      ours.cpuMicrosPerHandshake / r.handshake.floor.cpuMicros,
      1.25,
      "max",
    );
  }
  if (r.bulk) {
    const ours = r.bulk.pairs[0];
    const ceiling = Math.max(...r.bulk.aead.map((a) => a.megabytesPerSecond));
    t(
      "bulk MB/s ÷ WebCrypto AES-GCM seal+open (best)",
      ours.megabytesPerSecond / ceiling,
      0.8,
      "min",
    );
  }
  if (r.memory) {
    t("KiB per idle connection", r.memory[0].bytesPerConnection / 1024, 32, "max");
  }
  return out;
}

/** The Markdown report: one table per section, then the targets. */
export function markdown(r: Results): string {
  const parts: string[] = [];
  if (r.handshake) {
    const { servers, floor } = r.handshake;
    const ours = servers[0];
    parts.push(
      "**1–2. Server CPU per full handshake** (`openssl s_time -new`, X25519, TLS_AES_128_GCM_SHA256, ECDSA P-256)\n\n" +
        table(
          ["server", "handshakes", "CPU µs/handshake", "× floor", "ours ÷ this", "handshakes/s"],
          [
            ...servers.map((s) => [
              s.server,
              f0(s.handshakes),
              f0(s.cpuMicrosPerHandshake),
              f2(s.cpuMicrosPerHandshake / floor.cpuMicros),
              f2(ours.cpuMicrosPerHandshake / s.cpuMicrosPerHandshake),
              f0(s.handshakesPerSecond),
            ]),
            [
              "WebCrypto floor (X25519 keygen+derive, ECDSA P-256 sign)",
              f0(floor.iterations),
              f0(floor.cpuMicros),
              "1.00",
              f2(ours.cpuMicrosPerHandshake / floor.cpuMicros),
              "",
            ],
            ...(r.handshake.engine
              ? [[
                "our server engine alone, sans-IO (bench/replay.ts)",
                f0(r.handshake.engine.iterations),
                f0(r.handshake.engine.cpuMicros),
                f2(r.handshake.engine.cpuMicros / floor.cpuMicros),
                f2(ours.cpuMicrosPerHandshake / r.handshake.engine.cpuMicros),
                "",
              ]]
              : []),
          ],
        ),
    );
  }
  if (r.bulk) {
    const { pairs, aead } = r.bulk;
    const ours = pairs[0];
    const mib = pairs[0].bytes / 2 ** 20;
    parts.push(
      `**3. Bulk throughput**, ${f0(mib)} MiB one way, client → sink server\n\n` +
        table(
          ["client → server", "MB/s", "CPU µs/MB client", "server", "total", "ours ÷ this (MB/s)"],
          [
            ...pairs.map((p) => [
              `${p.client} → ${p.server}`,
              f0(p.megabytesPerSecond),
              f0(p.clientCpuMicrosPerMB),
              f0(p.serverCpuMicrosPerMB),
              f0(p.cpuMicrosPerMB),
              f2(ours.megabytesPerSecond / p.megabytesPerSecond),
            ]),
            ...aead.map((a) => [
              `WebCrypto AES-128-GCM seal+open, 16 KiB records, ${a.inflight} in flight`,
              f0(a.megabytesPerSecond),
              "",
              "",
              f0(a.cpuMicrosPerMB),
              f2(ours.megabytesPerSecond / a.megabytesPerSecond),
            ]),
          ],
        ),
    );
  }
  if (r.latency) {
    const ours = r.latency[0];
    parts.push(
      "**4. Latency**: process start to first echoed byte, against `handshake serve`\n\n" +
        table(
          ["client", "runs", "median ms", "min ms", "ours ÷ this"],
          r.latency.map((l) => [
            l.client,
            String(l.runs),
            f1(l.medianMs),
            f1(l.minMs),
            f2(ours.medianMs / l.medianMs),
          ]),
        ),
    );
  }
  if (r.memory) {
    const ours = r.memory[0];
    parts.push(
      `**5. Memory**: server RSS per idle connection, ${f0(ours.connections)} held\n\n` +
        table(
          ["server", "RSS before MiB", "RSS with connections MiB", "KiB/connection", "ours ÷ this"],
          r.memory.map((m) => [
            m.server,
            f1(m.baselineBytes / 2 ** 20),
            f1(m.loadedBytes / 2 ** 20),
            f1(m.bytesPerConnection / 1024),
            f2(ours.bytesPerConnection / m.bytesPerConnection),
          ]),
        ),
    );
  }
  if (r.targets?.length) {
    parts.push(
      "**Targets**\n\n" +
        table(
          ["target", "measured", "limit", "met"],
          r.targets.map((t) => [
            t.what,
            f2(t.value),
            `${t.kind === "max" ? "≤" : "≥"} ${t.limit}`,
            t.met ? "yes" : "no",
          ]),
        ),
    );
  }
  const m = r.machine;
  parts.push(
    `_${r.date}, commit ${
      r.commit.slice(0, 10)
    }, ${m.cpu} × ${m.cores}, Deno ${m.deno} (V8 ${m.v8}), ${m.openssl}_`,
  );
  return parts.join("\n\n") + "\n";
}
