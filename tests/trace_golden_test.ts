/**
 * The trace printer, byte for byte, against golden files of a connection
 * with every random value fixed (tests/helpers/fixed_pair.ts): the client's
 * default trace, its `--trace=bytes` view of every record, and the server's
 * `--trace=secrets`. Every provider must give the same bytes.
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
import type { CryptoProvider } from "../lib/crypto/provider.ts";
import { runFixedConnection } from "./helpers/fixed_pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const GOLDEN = new URL("./golden/", import.meta.url);
const update = Deno.env.get("UPDATE_GOLDEN") === "1";

/** The lines printers at `client` and `server` levels print for the fixed connection on `crypto`. */
async function traces(
  client: string,
  server: string,
  crypto: CryptoProvider,
): Promise<[string, string]> {
  const c: string[] = [], s: string[] = [];
  const printer = (level: string, out: string[]) =>
    new TracePrinter({
      level: parseTraceLevel(level),
      paint: paint(false),
      write: (l) => out.push(l),
    });
  await runFixedConnection(printer(client, c).event, printer(server, s).event, crypto);
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

for (const crypto of PROVIDERS) {
  Deno.test(`trace golden [${crypto.name}]: the fixed connection runs the same twice`, async () => {
    assert.deepEqual(
      await traces("bytes", "secrets", crypto),
      await traces("bytes", "secrets", crypto),
    );
  });

  Deno.test(`trace golden [${crypto.name}]: client, default level`, async () => {
    const [client] = await traces("", "", crypto);
    await compare("trace_client.txt", client);
    // A clean handshake fits on one screen: everything up to the client's Finished.
    const lines = client.split("\n");
    const end = lines.findIndex((l) => l.startsWith("client → server  Finished"));
    assert.ok(end > 0 && end < 50, `the handshake takes ${end} lines`);
  });

  Deno.test(`trace golden [${crypto.name}]: client, --trace=bytes`, async () => {
    const [client] = await traces("bytes", "", crypto);
    await compare("trace_client_bytes.txt", client);
  });

  Deno.test(`trace golden [${crypto.name}]: server, --trace=secrets`, async () => {
    const [, server] = await traces("", "secrets", crypto);
    await compare("trace_server_secrets.txt", server);
  });
}
