/**
 * `handshake serve` exactly as main.ts runs it, plus a SIGUSR2 handler that
 * collects all garbage (see gc.ts), so that the memory section measures what
 * live connections hold.
 *
 * @module
 */

import { main } from "../main.ts";
import { collectOnSignal } from "./gc.ts";

collectOnSignal();
Deno.exit(await main(Deno.args));
