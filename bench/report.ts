/**
 * The results of one run, as JSON (bench/results.json) and as Markdown
 * tables (printed, and pasted into README.md), with each figure
 * beside its comparison and the performance targets checked.
 *
 * @module
 */

import type { AeadResult, BulkResult } from "./bulk.ts";
import type { EngineCost, Floor, HandshakeCost, WorkersCost } from "./handshake_cost.ts";
import type { EchoResult } from "./echo.ts";
import type { LatencyResult } from "./latency.ts";
import type { MemoryResult } from "./memory.ts";
import type { PqResult } from "./pq.ts";

/** Everything one run measured. */
export interface Results {
  date: string;
  commit: string;
  machine: { cpu: string; cores: number; deno: string; v8: string; openssl: string };
  settings: Record<string, number | string>;
  handshake?: {
    servers: HandshakeCost[];
    floor: Floor;
    engines?: EngineCost[];
    workers?: WorkersCost[];
  };
  bulk?: { pairs: BulkResult[]; aead: AeadResult[]; echo?: EchoResult[] };
  latency?: LatencyResult[];
  memory?: MemoryResult[];
  pq?: PqResult;
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

/** Which of our providers a row names ("handshake serve --crypto openssl" → openssl), if any. */
function providerOf(name: string): string | undefined {
  return name.match(/--crypto (\w+)|\(ours, (\w+)\)/)?.slice(1).find((m) => m);
}

/** Checks the performance targets against what was measured (each where its rows were measured). */
export function checkTargets(r: Results): Target[] {
  const out: Target[] = [];
  const t = (what: string, value: number, limit: number, kind: "max" | "min") =>
    out.push({ what, value, limit, kind, met: kind === "max" ? value <= limit : value >= limit });
  if (r.handshake) {
    const { servers, floor } = r.handshake;
    const deno = servers.find((s) => s.server === "Deno.listenTls")!;
    const ossl = servers.find((s) => s.server === "openssl s_server")!;
    const ours = (c: string) => servers.find((s) => providerOf(s.server) === c);
    const web = ours("webcrypto"), openssl = ours("openssl");
    if (web) {
      t(
        "webcrypto: server CPU/handshake ÷ WebCrypto floor",
        web.cpuMicrosPerHandshake / floor.cpuMicros,
        1.25,
        "max",
      );
    }
    if (openssl) {
      const cpu = openssl.cpuMicrosPerHandshake;
      t(
        "openssl: server CPU/handshake ÷ Deno.listenTls",
        cpu / deno.cpuMicrosPerHandshake,
        0.8,
        "max",
      );
      t(
        "openssl: server CPU/handshake ÷ openssl s_server",
        cpu / ossl.cpuMicrosPerHandshake,
        0.6,
        "max",
      );
    }
  }
  if (r.handshake) {
    for (const e of r.handshake.engines ?? []) {
      const server = r.handshake.servers.find((s) => providerOf(s.server) === e.crypto);
      if (!server) continue;
      t(
        `${e.crypto}: serve CPU/handshake − engine alone (µs)`,
        server.cpuMicrosPerHandshake - e.cpuMicros,
        100,
        "max",
      );
    }
    const w = r.handshake.workers ?? [];
    const one = w.find((x) => x.workers === 1), two = w.find((x) => x.workers === 2);
    if (one && two) {
      // "Must not grow": within the 10 % that two runs on this shared machine differ by.
      t(
        `${two.crypto}: CPU/handshake with 2 workers ÷ with 1`,
        two.cpuMicrosPerHandshake / one.cpuMicrosPerHandshake,
        1.1,
        "max",
      );
    }
  }
  if (r.bulk?.echo) {
    const native = r.bulk.echo.find((e) => !providerOf(e.pair));
    const ceiling = Math.max(...r.bulk.aead.map((a) => a.megabytesPerSecond));
    for (const e of r.bulk.echo) {
      const c = providerOf(e.pair);
      if (c === "openssl" && native) {
        t(
          "openssl: echo through pipes MB/s ÷ Deno's native pair",
          e.megabytesPerSecond / native.megabytesPerSecond,
          1,
          "min",
        );
      }
      if (c === "webcrypto") {
        t(
          "webcrypto: echo through pipes MB/s ÷ WebCrypto AES-GCM seal+open (best)",
          e.megabytesPerSecond / ceiling,
          0.8,
          "min",
        );
      }
    }
  }
  if (r.latency) {
    const sClient = r.latency.find((l) => l.client === "openssl s_client");
    for (const l of r.latency) {
      const c = providerOf(l.client);
      if (c && sClient) {
        t(
          `${c}: connect start → first echo ÷ openssl s_client`,
          l.medianMs / sClient.medianMs,
          2,
          "max",
        );
      }
    }
  }
  if (r.bulk) {
    const { pairs, aead } = r.bulk;
    const pair = (c: string) =>
      pairs.find((p) => providerOf(p.client) === c && providerOf(p.server) === c);
    const native = pairs.find((p) => p.client === "Deno.connectTls")!;
    const web = pair("webcrypto"), openssl = pair("openssl");
    if (web) {
      const ceiling = Math.max(...aead.map((a) => a.megabytesPerSecond));
      t(
        "webcrypto: bulk MB/s ÷ WebCrypto AES-GCM seal+open (best)",
        web.megabytesPerSecond / ceiling,
        0.8,
        "min",
      );
    }
    if (openssl) {
      t(
        "openssl: bulk MB/s ÷ Deno's native pair",
        openssl.megabytesPerSecond / native.megabytesPerSecond,
        1,
        "min",
      );
    }
  }
  if (r.memory) {
    for (const m of r.memory) {
      const c = providerOf(m.server);
      if (c) t(`${c}: KiB per idle connection`, m.bytesPerConnection / 1024, 32, "max");
    }
  }
  return out;
}

/** The Markdown report: one table per section, then the targets. */
export function markdown(r: Results): string {
  const parts: string[] = [];
  if (r.handshake) {
    const { servers, floor } = r.handshake;
    const ours = servers.filter((s) => providerOf(s.server));
    const ratios = (cpu: number) => ours.map((o) => f2(o.cpuMicrosPerHandshake / cpu));
    parts.push(
      "**1–2. Server CPU per full handshake** (`openssl s_time -new`, X25519, TLS_AES_128_GCM_SHA256, ECDSA P-256)\n\n" +
        table(
          [
            "server",
            "handshakes",
            "CPU µs/handshake",
            "× WebCrypto floor",
            ...ours.map((o) => `${providerOf(o.server)} ÷ this`),
            "handshakes/s",
          ],
          [
            ...servers.map((s) => [
              s.server,
              f0(s.handshakes),
              f0(s.cpuMicrosPerHandshake),
              f2(s.cpuMicrosPerHandshake / floor.cpuMicros),
              ...ratios(s.cpuMicrosPerHandshake),
              f0(s.handshakesPerSecond),
            ]),
            [
              "WebCrypto floor (X25519 keygen+derive, ECDSA P-256 sign)",
              f0(floor.iterations),
              f0(floor.cpuMicros),
              "1.00",
              ...ratios(floor.cpuMicros),
              "",
            ],
            ...(r.handshake.engines ?? []).map((e) => [
              `our server engine alone on ${e.crypto}, sans-IO (bench/replay.ts)`,
              f0(e.iterations),
              f0(e.cpuMicros),
              f2(e.cpuMicros / floor.cpuMicros),
              ...ratios(e.cpuMicros),
              "",
            ]),
          ],
        ),
    );
  }
  if (r.bulk) {
    const { pairs, aead } = r.bulk;
    const ours = pairs[0];
    const mib = pairs[0].bytes / 2 ** 20;
    parts.push(
      `**3. Bulk throughput**, ${
        f0(mib)
      } MiB one way, client → sink server ("ours ÷ this": ${ours.client})\n\n` +
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
  const workers = r.handshake?.workers;
  if (workers?.length) {
    parts.push(
      `**1b. serve --workers N** (${workers[0].crypto}), ${
        workers[0].clients
      } \`openssl s_time -new\` clients at once\n\n` +
        table(
          ["workers", "handshakes", "handshakes/s", "server CPU µs/handshake"],
          workers.map((w) => [
            String(w.workers),
            f0(w.handshakes),
            f0(w.handshakesPerSecond),
            f0(w.cpuMicrosPerHandshake),
          ]),
        ),
    );
  }
  const echo = r.bulk?.echo;
  if (echo?.length) {
    const native = echo.find((e) => !providerOf(e.pair)) ?? echo[0];
    parts.push(
      `**3b. Echo through the tools' pipes**, ${
        f0(echo[0].bytes / 2 ** 20)
      } MiB into the client's stdin, through an echo server, out of its stdout (wall time from the client's start)\n\n` +
        table(
          ["client → echo server", "MB/s", "ms", "÷ Deno's native pair"],
          echo.map((e) => [
            e.pair,
            f0(e.megabytesPerSecond),
            f0(e.wallMs),
            f2(e.megabytesPerSecond / native.megabytesPerSecond),
          ]),
        ),
    );
  }
  if (r.latency) {
    const ours = r.latency[0];
    parts.push(
      `**4. Latency**: process start to first echoed byte, against \`handshake serve\` ("ours ÷ this": ${ours.client})\n\n` +
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
      `**5. Memory**: server RSS per idle connection, ${
        f0(ours.connections)
      } held ("ours ÷ this": ${ours.server})\n\n` +
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
  if (r.pq) {
    const { servers, engines } = r.pq;
    const names = [...new Set(servers.map((s) => s.server))];
    const cpu = (server: string, group: string) =>
      servers.find((s) => s.server === server && s.group === group)?.cpuMicrosPerHandshake ?? NaN;
    parts.push(
      "**6. X25519MLKEM768 beside x25519**: server CPU per full handshake, one Node 26 client " +
        "(OpenSSL 3.5) at a time, TLS_AES_128_GCM_SHA256, ECDSA P-256\n\n" +
        table(
          ["server", "handshakes", "x25519 CPU µs", "X25519MLKEM768 CPU µs", "hybrid ÷ x25519"],
          names.map((n) => [
            n,
            f0(servers.find((s) => s.server === n)!.handshakes),
            f0(cpu(n, "x25519")),
            f0(cpu(n, "X25519MLKEM768")),
            f2(cpu(n, "X25519MLKEM768") / cpu(n, "x25519")),
          ]),
        ),
      "**7. In memory, our client and server together** (bench/pq_engine.ts): CPU per full " +
        "handshake by group, and application data by suite (client seals, server opens)\n\n" +
        table(
          [
            "provider",
            "x25519 µs",
            "X25519MLKEM768 µs",
            "AES-128-GCM MB/s",
            "ChaCha20-Poly1305 MB/s",
          ],
          engines.map((e) => {
            const hs = (g: string) => e.handshakes.find((h) => h.group === g)?.cpuMicros ?? NaN;
            const mb = (suite: string) =>
              e.bulk.find((b) => b.suite === suite)?.megabytesPerSecond ?? NaN;
            return [
              e.crypto,
              f0(hs("x25519")),
              f0(hs("X25519MLKEM768")),
              f1(mb("TLS_AES_128_GCM_SHA256")),
              f1(mb("TLS_CHACHA20_POLY1305_SHA256")),
            ];
          }),
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
