/**
 * The key log decrypts 0-RTT data in a real capture: `tshark` records a
 * resumed session whose client sends early data to `handshake serve
 * --early-data` (key log from SSLKEYLOGFILE), then decodes it with each
 * side's key log (CLIENT_EARLY_TRAFFIC_SECRET): the early data appears in
 * the clear. Without a key log it does not.
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
if (reason) console.warn(`ignoring the tshark 0-RTT key log test: ${reason}`);

Deno.test({
  name:
    "keylog: tshark decrypts captured 0-RTT data with the CLIENT_EARLY_TRAFFIC_SECRET of either side",
  ignore: reason !== undefined,
  async fn() {
    const set = await makeCertSet({ dir: true });
    const dir = set.paths!.dir;
    const port = freePort();
    const pcap = `${dir}/early.pcap`;
    const serverLog = `${dir}/server.keys`, clientLog = `${dir}/client.keys`;
    const probe = `early probe ${crypto.randomUUID()}`;
    const early = `${dir}/early.txt`;
    await Deno.writeTextFile(early, probe);
    await captureLoopback(port, pcap, async () => {
      const server = await startServe(
        [
          "--port",
          String(port),
          "--cert",
          set.paths!.server,
          "--key",
          set.paths!.serverKey,
          "--early-data",
          "1024",
        ],
        { SSLKEYLOGFILE: serverLog },
      );
      try {
        await waitForPort(port);
        const base = [`localhost:${port}`, "--ca", set.paths!.ca, "--session", `${dir}/s.json`];
        const first = await runConnect([...base, "--quiet"]);
        assert.equal(first.code, 0, first.stderr);
        const out = await runConnect([...base, "--early-data", early, "--keylog", clientLog]);
        assert.equal(out.code, 0, out.stderr);
        assert.match(out.stderr, /0-RTT data accepted/);
        await server.peer.waitFor(/0-RTT accepted/);
      } finally {
        await server.peer.kill();
      }
    });
    assert.match(await Deno.readTextFile(clientLog), /^CLIENT_EARLY_TRAFFIC_SECRET /m);
    const probeHex = new TextEncoder().encode(probe).toHex();
    for (const log of [clientLog, serverLog]) {
      const decoded = await tsharkRecords(pcap, port, log);
      assert.equal(decoded.code, 0, decoded.stderr);
      const hits = decoded.stdout.split(probeHex).length - 1;
      // Once as 0-RTT data from the client, once echoed by the server.
      assert.equal(
        hits,
        2,
        `the early probe and its echo, decrypted with ${log}:\n${decoded.stdout}`,
      );
    }
    const blind = await tsharkRecords(pcap, port);
    assert.ok(!blind.stdout.includes(probeHex), "without a key log, no plaintext");
    await Deno.remove(dir, { recursive: true });
  },
});
