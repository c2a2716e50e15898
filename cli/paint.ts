/**
 * Terminal colors for the trace, or none: a Paint whose methods wrap text in
 * ANSI escapes when colors are on (a TTY without NO_COLOR, see `useColor`)
 * and return it unchanged otherwise.
 *
 * @module
 */

/** Text styles used by the trace. */
export interface Paint {
  client(s: string): string;
  server(s: string): string;
  ok(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const sgr = (code: number) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;

/** ANSI colors when `on`, plain text otherwise. */
export function paint(on: boolean): Paint {
  if (!on) {
    const plain = (s: string) => s;
    return { client: plain, server: plain, ok: plain, bad: plain, dim: plain, bold: plain };
  }
  return { client: sgr(36), server: sgr(33), ok: sgr(32), bad: sgr(31), dim: sgr(2), bold: sgr(1) };
}
