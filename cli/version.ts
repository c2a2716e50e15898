/**
 * The version of handshake, for `handshake --version` and `connect --json`.
 *
 * @module
 */

/** This release of handshake (semantic versioning). */
export const VERSION = "0.1.0";

/** `handshake 0.1.0 (Deno 2.x, V8 ..., TypeScript ...)`. */
export function versionLine(): string {
  const { deno, v8, typescript } = Deno.version;
  return `handshake ${VERSION} (Deno ${deno}, V8 ${v8}, TypeScript ${typescript})`;
}
