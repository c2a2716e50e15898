/**
 * A full garbage collection on SIGUSR2, for the memory section. It needs
 * `--v8-flags=--expose-gc`. The "last-resort" flavour also gives back the
 * young generation, which V8 grows while connections arrive quickly and
 * would otherwise count as memory per connection.
 *
 * @module
 */

type Gc = (options?: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/** Installs the SIGUSR2 handler when the process runs with --expose-gc. */
export function collectOnSignal(): void {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) return;
  Deno.addSignalListener("SIGUSR2", () => {
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
  });
}
