/**
 * What the `inspect` relay costs a transfer: 64 MiB (by default) from a
 * `Deno.connectTls` client to a `Deno.listenTls` sink, directly, through a
 * bare Deno hop (the floor: read and write, no narration), through
 * `handshake inspect --listen --to` without a key log, and through it with
 * the client's key log (every record decrypted while it passes). The relay
 * process writes its narration to a file, which is read at the end: how many
 * transfers were narrated to their close, and how many given up on for
 * falling too far behind (whose figures leave part of the narration out), and
 * the relay's CPU time per transfer by thread (main, narration worker, the
 * rest). Each way runs `--runs` times, in turn (median shown); the target is
 * relay time ≤ 1.5 × direct time, said for each way through the relay.
 *
 *   deno run --allow-all bench/inspect_relay.ts [--mib 64] [--runs 3] [--crypto openssl]
 *
 * The client is a process of its own (Deno writes SSLKEYLOGFILE for the TLS
 * of a process set up at its start); it times itself from before connecting
 * until the sink acknowledges the last byte.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { makeCertSet } from "../tests/helpers/certs.ts";
import { relayArgs } from "../tests/helpers/inspect.ts";
import { freePort, Peer, waitForPort, waitIdle } from "./proc.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mib: { type: "string", default: "64" },
    runs: { type: "string", default: "3" },
    crypto: { type: "string", default: "webcrypto" },
    client: { type: "string" },
    hop: { type: "string" },
    to: { type: "string" },
  },
});
const bytes = Number(values.mib) * (1 << 20);

if (values.client) {
  // The client process: connect, send, wait for the sink's "ok", print the time.
  const start = performance.now();
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port: Number(values.client),
    caCerts: [Deno.env.get("CA")!],
  });
  const chunk = new Uint8Array(256 * 1024).fill(0x61);
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
    for (let at = 0; at < piece.length;) at += await conn.write(piece.subarray(at));
  }
  const ack = new Uint8Array(2);
  if ((await conn.read(ack)) !== 2) throw new Error("the sink did not acknowledge");
  console.log(`ms ${performance.now() - start}`);
  conn.close();
  Deno.exit(0);
}

if (values.hop) {
  // The floor: a bare hop, read and write with 1 MiB buffers as the relay does, no narration.
  for await (const a of Deno.listen({ hostname: "127.0.0.1", port: Number(values.hop) })) {
    (async () => {
      const b = await Deno.connect({ hostname: "127.0.0.1", port: Number(values.to) });
      const pump = async (src: Deno.Conn, dst: Deno.Conn) => {
        const buf = new Uint8Array(1 << 20);
        for (let n = await src.read(buf); n !== null; n = await src.read(buf)) {
          for (let at = 0; at < n;) at += await dst.write(buf.subarray(at, n));
        }
        await dst.closeWrite().catch(() => {});
      };
      await Promise.all([pump(a, b), pump(b, a)]).catch(() => {});
      a.close();
      b.close();
    })();
  }
}

const set = await makeCertSet();
const sink = Deno.listenTls({
  hostname: "127.0.0.1",
  port: 0,
  cert: set.serverChainPem,
  key: set.server.privateKeyPem,
});
(async () => {
  for await (const c of sink) {
    (async () => {
      const buf = new Uint8Array(256 * 1024);
      let got = 0;
      while (got < bytes) {
        const n = await c.read(buf);
        if (n === null) break;
        got += n;
      }
      await c.write(new TextEncoder().encode("ok"));
      c.close();
    })().catch(() => {});
  }
})();

const dir = await Deno.makeTempDir({ prefix: "handshake-bench-inspect-" });
const keyLog = `${dir}/client.keys`;

async function runClient(port: number, withKeyLog: boolean): Promise<number> {
  const env: Record<string, string> = { CA: set.ca.certificatePem };
  if (withKeyLog) env.SSLKEYLOGFILE = keyLog;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      import.meta.filename!,
      "--mib",
      String(values.mib),
      "--client",
      String(port),
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const m = text.match(/ms ([\d.]+)/);
  if (!m) throw new Error(`client failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  return Number(m[1]);
}

async function relay(
  name: string,
  args: string[],
): Promise<{ peer: Peer; port: number; narration: string }> {
  const port = freePort();
  const narration = `${dir}/${name}.txt`;
  const peer = new Peer("sh", [
    "-c",
    `exec "$0" "$@" > ${narration}`,
    Deno.execPath(),
    ...relayArgs(`127.0.0.1:${sink.addr.port}`, ["--crypto", values.crypto, ...args], {
      listen: `127.0.0.1:${port}`,
    }),
  ]);
  await waitForPort(port);
  return { peer, port, narration };
}

/**
 * How many of the transfers the relay narrated to their close (waiting up to
 * a minute for a narration that is behind), and how many it gave up on for
 * falling too far behind.
 */
async function narrated(r: { narration: string }): Promise<{ whole: number; gaveUp: number }> {
  const deadline = Date.now() + 60_000;
  while (true) {
    const text = await Deno.readTextFile(r.narration);
    const gaveUp = text.match(/ the narration fell [^\n]* behind /g)?.length ?? 0;
    const closed = [...text.matchAll(/closed: relayed (\d+) bytes from the client/g)]
      .filter((m) => Number(m[1]) > bytes).length;
    if (closed === runs || Date.now() > deadline) return { whole: closed - gaveUp, gaveUp };
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = Number(values.runs);

/** CPU time by thread of the relay, in ms: its main thread, the narration worker, the rest. */
interface ThreadCpu {
  main: number;
  narration: number;
  other: number;
}

/**
 * The relay's CPU time so far by thread, from /proc/PID/task/TID/schedstat
 * (in nanoseconds; /proc/PID/stat counts 10 ms ticks, too coarse): the main
 * thread moves the bytes, the narration worker's thread is named
 * `worker-N`; the rest are V8's helpers (compiling, collecting) and the
 * runtime's threads (where WebCrypto's AES-GCM runs).
 */
function threadCpu(pid: number): ThreadCpu {
  const cpu = { main: 0, narration: 0, other: 0 };
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    const tid = Number(task.name);
    let comm: string, ms: number;
    try {
      comm = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/comm`).trim();
      // Nanoseconds this thread has run (user and system), the first field.
      ms = Number(Deno.readTextFileSync(`/proc/${pid}/task/${tid}/schedstat`).split(" ")[0]) / 1e6;
    } catch {
      continue; // the thread ended meanwhile
    }
    if (tid === pid) cpu.main += ms;
    else if (comm.startsWith("worker-")) cpu.narration += ms;
    else cpu.other += ms;
  }
  return cpu;
}

/** One way of sending: where the client connects, whether it logs keys, the relay process. */
interface Way {
  name: string;
  port: number;
  withKeyLog: boolean;
  relayPid?: number;
  times: number[];
  cpu: ThreadCpu[];
}

/** Runs each way once per round, in turn, so that the machine's load changes hit them alike. */
async function rounds(ways: Way[]): Promise<void> {
  for (let i = 0; i < runs; i++) {
    for (const w of ways) {
      const before = w.relayPid ? threadCpu(w.relayPid) : undefined;
      w.times.push(await runClient(w.port, w.withKeyLog));
      if (w.relayPid && before) {
        await waitIdle(w.relayPid, 200);
        const after = threadCpu(w.relayPid);
        w.cpu.push({
          main: after.main - before.main,
          narration: after.narration - before.narration,
          other: after.other - before.other,
        });
      }
    }
  }
}

const hopPort = freePort();
const hop = new Peer(Deno.execPath(), [
  "run",
  "--allow-net",
  import.meta.filename!,
  "--hop",
  String(hopPort),
  "--to",
  String(sink.addr.port),
]);
await waitForPort(hopPort);
const blind = await relay("blind", []);
const seeing = await relay("decrypting", ["--keylog", keyLog]);
try {
  const way = (name: string, port: number, withKeyLog: boolean, relayPid?: number): Way => ({
    name,
    port,
    withKeyLog,
    relayPid,
    times: [],
    cpu: [],
  });
  const results = [
    way("direct", sink.addr.port, false),
    way("a bare Deno hop (no narration)", hopPort, false, hop.pid),
    way("relay, no key log", blind.port, false, blind.peer.pid),
    way("relay, decrypting", seeing.port, true, seeing.peer.pid),
  ];
  await rounds(results);
  const story = [undefined, undefined, await narrated(blind), await narrated(seeing)];
  const direct = median(results[0].times);
  console.log(
    `| ${values.mib} MiB client → sink | median ms | × direct | runs (ms) | relay CPU ms (median): all = main + narration + other | narrated to the end |`,
  );
  console.log("|---|---:|---:|---|---:|---|");
  results.forEach((r, i) => {
    const ms = median(r.times);
    const part = (f: (c: ThreadCpu) => number) => Math.round(median(r.cpu.map(f)));
    const cpu = r.cpu.length
      ? `${part((c) => c.main + c.narration + c.other)} = ${part((c) => c.main)} + ${
        part((c) => c.narration)
      } + ${part((c) => c.other)}`
      : "";
    const all = r.times.map(Math.round).join(", ");
    const s = story[i];
    const told = !s ? "" : `${s.whole} of ${runs}${s.gaveUp ? ` (gave up on ${s.gaveUp})` : ""}`;
    console.log(
      `| ${r.name} | ${Math.round(ms)} | ${(ms / direct).toFixed(2)} | ${all} | ${cpu} | ${told} |`,
    );
  });
  console.log(`\nload average ${Deno.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  for (const r of results.slice(2)) {
    const ratio = median(r.times) / direct;
    console.log(
      `target: ${r.name} ≤ 1.5 × direct: ${ratio <= 1.5 ? "met" : "NOT met"} (${
        ratio.toFixed(2)
      }×)`,
    );
  }
} finally {
  await hop.kill();
  await blind.peer.kill();
  await seeing.peer.kill();
  sink.close();
  await Deno.remove(dir, { recursive: true });
}
