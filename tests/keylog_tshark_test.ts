/**
 * The key log decrypts a real capture: `tshark` records a loopback session
 * between `handshake serve` (key log from SSLKEYLOGFILE) and `handshake
 * connect --keylog`, then decodes it with each key log: the application
 * data appears in the clear, both ways. Without a key log it does not.
 *
 * Capturing needs root or dumpcap's capabilities; the test is ignored, with
 * the reason, where tshark cannot capture.
 */

import assert from "node:assert/strict";
import { makeCertSet } from "./helpers/certs.ts";
import { runConnect } from "./helpers/cli.ts";
import { have, run } from "./helpers/commands.ts";
import { freePort, waitForPort } from "./helpers/peer.ts";
import { startServe } from "./helpers/cli.ts";

/** Why the capture cannot run here, if it cannot. */
async function cannotCapture(): Promise<string | undefined> {
  if (!(await have("tshark")) || !(await have("dumpcap"))) return "tshark not installed";
  const list = await run("dumpcap", ["-D"]);
  if (list.code !== 0 || !/\blo\b/.test(list.stdout)) {
    return `dumpcap cannot list the loopback interface (run as root or give dumpcap capabilities): ${
      list.stderr.trim().split("\n")[0]
    }`;
  }
  return undefined;
}

const reason = await cannotCapture();
if (reason) console.warn(`ignoring the tshark key log test: ${reason}`);

Deno.test({
  name: "keylog: tshark decrypts a captured session with either side's key log, and not without",
  ignore: reason !== undefined,
  async fn() {
    const set = await makeCertSet({ dir: true });
    const dir = set.paths!.dir;
    const port = freePort();
    const pcap = `${dir}/session.pcap`;
    const serverLog = `${dir}/server.keys`, clientLog = `${dir}/client.keys`;
    const capture = new Deno.Command("tshark", {
      args: ["-i", "lo", "-f", `tcp port ${port}`, "-w", pcap],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const captureLog = capture.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let started = "";
    while (!/Capture started/.test(started)) {
      const { value, done } = await captureLog.read();
      if (done) throw new Error(`tshark did not start: ${started}`);
      started += value;
    }
    await new Promise((r) => setTimeout(r, 1000)); // "started" comes a little before capturing
    const probe = `keylog probe ${crypto.randomUUID()}`;
    const server = await startServe(
      ["--port", String(port), "--cert", set.paths!.server, "--key", set.paths!.serverKey],
      { SSLKEYLOGFILE: serverLog },
    );
    try {
      await waitForPort(port);
      const out = await runConnect(
        [`localhost:${port}`, "--ca", set.paths!.ca, "--keylog", clientLog, "--quiet"],
        probe + "\n",
      );
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, probe + "\n");
      await server.peer.waitFor(/echoed \d+ bytes/);
    } finally {
      await server.peer.kill();
      await new Promise((r) => setTimeout(r, 1000)); // let the last packets reach the capture
      capture.kill("SIGINT");
      await capture.status;
      await captureLog.cancel();
      await capture.stdout.cancel();
    }
    const probeHex = new TextEncoder().encode(probe).toHex();
    const decode = (...opts: string[]) =>
      run("tshark", [
        "-r",
        pcap,
        "-d",
        `tcp.port==${port},tls`,
        ...opts,
        "-T",
        "fields",
        "-e",
        "tls.record.opaque_type",
        "-e",
        "data.data",
      ]);
    for (const log of [clientLog, serverLog]) {
      const decoded = await decode("-o", `tls.keylog_file:${log}`);
      assert.equal(decoded.code, 0, decoded.stderr);
      const hits = decoded.stdout.split(probeHex).length - 1;
      assert.equal(
        hits,
        2,
        `the probe, sent and echoed, decrypted with ${log}:\n${decoded.stdout}`,
      );
    }
    const blind = await decode();
    assert.equal(blind.code, 0, blind.stderr);
    assert.match(blind.stdout, /^23\b/m, "tshark sees the encrypted records (opaque_type 23)");
    assert.ok(!blind.stdout.includes(probeHex), "without a key log, no plaintext");
    const raw = await Deno.readFile(pcap);
    assert.ok(!raw.toHex().includes(probeHex), "the capture itself holds no plaintext");
    await Deno.remove(dir, { recursive: true });
  },
});
