/**
 * `inspect --keylog FILE` read while programs still write it
 * (`cli/inspect_key_log.ts`): several connections looking up secrets at
 * once (a browser opens two), lines that come in pieces, a file rewritten
 * from the start: each byte is read once, in order.
 */

import assert from "node:assert/strict";
import { KeyLogFile } from "../cli/inspect_key_log.ts";

const random = (n: number) => new Uint8Array(32).fill(n);
const secret = (n: number) => new Uint8Array(32).fill(0x40 + n);
const line = (label: string, n: number) => `${label} ${random(n).toHex()} ${secret(n).toHex()}\n`;

Deno.test("inspect key log: lookups at once, while the file grows in pieces, each find what has been written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "handshake-keylog-" });
  const path = `${dir}/client.keys`;
  try {
    const log = new KeyLogFile(path, true);
    assert.equal(await log.lookup(random(1), "CLIENT_TRAFFIC_SECRET_0"), undefined, "no file yet");
    await Deno.writeTextFile(
      path,
      line("CLIENT_HANDSHAKE_TRAFFIC_SECRET", 1) + line("SERVER_HANDSHAKE_TRAFFIC_SECRET", 2),
    );
    // Two connections look for secrets not there yet, at once: both read the file (two reads
    // from the same offset once moved it on twice, and the lines written next were skipped).
    assert.deepEqual(
      await Promise.all([
        log.lookup(random(1), "CLIENT_TRAFFIC_SECRET_0"),
        log.lookup(random(2), "SERVER_TRAFFIC_SECRET_0"),
      ]),
      [undefined, undefined],
    );
    assert.equal(log.size, 2);
    // The rest comes, the last line in two pieces.
    const rest = line("CLIENT_TRAFFIC_SECRET_0", 1) + line("SERVER_TRAFFIC_SECRET_0", 2) +
      line("CLIENT_TRAFFIC_SECRET_0", 3);
    const cut = rest.lastIndexOf("\n", rest.length - 2) + 40;
    await Deno.writeTextFile(path, rest.slice(0, cut), { append: true });
    const found = await Promise.all([
      log.lookup(random(1), "CLIENT_TRAFFIC_SECRET_0"),
      log.lookup(random(2), "SERVER_TRAFFIC_SECRET_0"),
      log.lookup(random(3), "CLIENT_TRAFFIC_SECRET_0"),
    ]);
    assert.deepEqual(found, [secret(1), secret(2), undefined], "half a line is not a line");
    await Deno.writeTextFile(path, rest.slice(cut), { append: true });
    assert.deepEqual(await log.lookup(random(3), "CLIENT_TRAFFIC_SECRET_0"), secret(3));
    assert.equal(log.size, 5);
    // Rewritten from the start (a program that truncates it): read again from there.
    await Deno.writeTextFile(path, line("SERVER_TRAFFIC_SECRET_0", 4));
    assert.deepEqual(await log.lookup(random(4), "SERVER_TRAFFIC_SECRET_0"), secret(4));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
