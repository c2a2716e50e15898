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
import { cannotCapture, captureLoopback, tsharkRecords } from "./helpers/inspect.ts";
import { freePort, waitForPort } from "./helpers/peer.ts";
import { startServe } from "./helpers/cli.ts";

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
    const probe = `keylog probe ${crypto.randomUUID()}`;
    await captureLoopback(port, pcap, async () => {
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
      }
    });
    const probeHex = new TextEncoder().encode(probe).toHex();
    for (const log of [clientLog, serverLog]) {
      const decoded = await tsharkRecords(pcap, port, log);
      assert.equal(decoded.code, 0, decoded.stderr);
      const hits = decoded.stdout.split(probeHex).length - 1;
      assert.equal(
        hits,
        2,
        `the probe, sent and echoed, decrypted with ${log}:\n${decoded.stdout}`,
      );
    }
    const blind = await tsharkRecords(pcap, port);
    assert.equal(blind.code, 0, blind.stderr);
    assert.match(blind.stdout, /^23\b/m, "tshark sees the encrypted records (opaque_type 23)");
    assert.ok(!blind.stdout.includes(probeHex), "without a key log, no plaintext");
    const raw = await Deno.readFile(pcap);
    assert.ok(!raw.toHex().includes(probeHex), "the capture itself holds no plaintext");
    await Deno.remove(dir, { recursive: true });
  },
});
