/**
 * The trace printer, byte for byte, against golden files of a connection
 * with every random value fixed (tests/helpers/fixed_pair.ts): the client's
 * default trace, its `--trace=bytes` view of every record, and the server's
 * `--trace=secrets`.
 *
 * When the trace's wording or the engine's bytes change on purpose,
 * regenerate the files and read the diff before committing it:
 *
 *   UPDATE_GOLDEN=1 deno test --allow-all tests/trace_golden_test.ts
 *   git diff tests/golden/
 */

import assert from "node:assert/strict";
import { paint } from "../cli/paint.ts";
import { parseTraceLevel, TracePrinter } from "../cli/trace_printer.ts";
import { runFixedConnection } from "./helpers/fixed_pair.ts";

const GOLDEN = new URL("./golden/", import.meta.url);
const update = Deno.env.get("UPDATE_GOLDEN") === "1";

/** The lines printers at `client` and `server` levels print for the fixed connection. */
async function traces(client: string, server: string): Promise<[string, string]> {
  const c: string[] = [], s: string[] = [];
  const printer = (level: string, out: string[]) =>
    new TracePrinter({
      level: parseTraceLevel(level),
      paint: paint(false),
      write: (l) => out.push(l),
    });
  await runFixedConnection(printer(client, c).event, printer(server, s).event);
  return [c.join("\n") + "\n", s.join("\n") + "\n"];
}

async function compare(name: string, actual: string): Promise<void> {
  const file = new URL(name, GOLDEN);
  if (update) {
    await Deno.writeTextFile(file, actual);
    console.warn(`wrote ${file.pathname}`);
    return;
  }
  const expected = await Deno.readTextFile(file);
  assert.equal(
    actual,
    expected,
    `the trace differs from tests/golden/${name}; if the change is deliberate, see how to ` +
      "regenerate at the top of tests/trace_golden_test.ts",
  );
}

Deno.test("trace golden: the fixed connection runs the same twice", async () => {
  assert.deepEqual(await traces("bytes", "secrets"), await traces("bytes", "secrets"));
});

Deno.test("trace golden: client, default level", async () => {
  const [client] = await traces("", "");
  await compare("trace_client.txt", client);
  // A clean handshake fits on one screen: everything up to the client's Finished.
  const lines = client.split("\n");
  const end = lines.findIndex((l) => l.startsWith("client → server  Finished"));
  assert.ok(end > 0 && end < 50, `the handshake takes ${end} lines`);
});

Deno.test("trace golden: client, --trace=bytes", async () => {
  const [client] = await traces("bytes", "");
  await compare("trace_client_bytes.txt", client);
});

Deno.test("trace golden: server, --trace=secrets", async () => {
  const [, server] = await traces("", "secrets");
  await compare("trace_server_secrets.txt", server);
});
