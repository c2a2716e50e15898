/**
 * Open enums (after rustls' `enum_builder!`): a table of known names for
 * numeric code points, where any other number is still a valid value and is
 * printed in hex rather than rejected.
 *
 * @module
 */

/**
 * A frozen name → value table with a reverse lookup.
 *
 * @example
 * ```ts
 * import { NamedGroup } from "../mod.ts";
 * NamedGroup.x25519; // 0x001d
 * NamedGroup.name(0x001d); // "x25519"
 * NamedGroup.name(0x0a0a); // "0x0a0a": an unknown value is kept, and printed in hex
 * ```
 */
export type OpenEnum<T extends Record<string, number>> = Readonly<T> & {
  /** The name of `value`, or `0x..` hex for a value this table does not know. */
  name(value: number): string;
  /** Whether `value` has a name here. */
  has(value: number): boolean;
  /** The value named `name`, matched exactly. */
  parse(name: string): number | undefined;
};

/** Builds an open enum from a name → value table. */
export function openEnum<T extends Record<string, number>>(table: T): OpenEnum<T> {
  const names = new Map<number, string>();
  for (const [k, v] of Object.entries(table)) names.set(v, k);
  const width = Math.max(...Object.values(table)) > 0xff ? 4 : 2;
  return Object.freeze({
    ...table,
    name: (value: number) => names.get(value) ?? hexCode(value, width),
    has: (value: number) => names.has(value),
    parse: (name: string) => (Object.hasOwn(table, name) ? table[name] : undefined),
  });
}

/** `0x0a0a`-style rendering of a code point. */
export function hexCode(value: number, width = 4): string {
  return "0x" + value.toString(16).padStart(width, "0");
}

/**
 * RFC 8701: GREASE values (0x0a0a, 0x1a1a, ... 0xfafa) are sent to keep
 * peers honest and must be ignored.
 */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && (value >> 8) === (value & 0xff);
}
