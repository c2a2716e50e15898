/**
 * `handshake serve` exactly as main.ts runs it, plus a SIGUSR2 handler that
 * runs a full garbage collection (with `--v8-flags=--expose-gc`), so that
 * the memory section measures what live connections hold, not garbage.
 *
 * @module
 */

import { main } from "../main.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc) Deno.addSignalListener("SIGUSR2", () => gc());
Deno.exit(await main(Deno.args));
