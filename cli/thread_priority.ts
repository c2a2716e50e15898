/**
 * Work that may wait, put behind the work that may not: the calling thread
 * is given the lowest scheduling priority (nice 19), so that on a busy
 * machine it runs on what CPU time the others leave. Linux only, through
 * libc (`setpriority(2)` on the thread's own id: a thread's nice value is
 * its own, and threads it starts afterwards inherit it, among them the
 * threads that run its WebCrypto calls).
 *
 * @module
 */

/** `setpriority(2)`'s `which` for one process, or on Linux one thread. */
const PRIO_PROCESS = 0;
/** The lowest priority. */
const LOWEST = 19;

/**
 * Lowers the calling thread's priority. Returns false, changing nothing,
 * where that cannot be done: not Linux, no `--allow-ffi` (never prompted
 * for), or no glibc.
 */
export function lowerThisThreadsPriority(): boolean {
  if (Deno.build.os !== "linux") return false;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return false;
  let libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      gettid: { parameters: [], result: "i32" },
      setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
    });
  } catch {
    return false;
  }
  try {
    return libc.symbols.setpriority(PRIO_PROCESS, libc.symbols.gettid(), LOWEST) === 0;
  } finally {
    libc.close();
  }
}
