/**
 * Names a certificate is checked against: IP address literals (RFC 791,
 * RFC 4291 §2.2) and DNS names with the matching rules of RFC 9525 §6.3
 * (case-insensitive, a wildcard only as the whole left-most label).
 *
 * @module
 */

/** Whether `name` is an IPv4 or IPv6 address literal (brackets allowed around IPv6). */
export function isIpAddress(name: string): boolean {
  return parseIp(name) !== undefined;
}

/** The bytes of an IPv4 (4) or IPv6 (16) literal, or undefined. */
export function parseIp(name: string): Uint8Array | undefined {
  const s = name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
  return parseIpv4(s) ?? parseIpv6(s);
}

function parseIpv4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // Dotted-decimal only: no leading zeros (octal ambiguity), no hex.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return undefined;
    const v = Number(parts[i]);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | undefined {
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = parseIpv4(item);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
        out.push(parseInt(item, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Formats 4 or 16 address bytes as text (RFC 5952 for IPv6: the longest zero run as "::"). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length !== 16) return bytes.join(".");
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i] << 8) | bytes[i + 1]);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((v) => v.toString(16));
  if (best < 0) return hex.join(":");
  return hex.slice(0, best).join(":") + "::" + hex.slice(best + bestLen).join(":");
}

/** Lower-cases a DNS name and drops one trailing dot. */
export function normalizeDnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Whether `name` is in the preferred name syntax of RFC 1034 §3.5 as
 * relaxed by RFC 1123 §2.1 (letters, digits and inner hyphens; labels of at
 * most 63 and names of at most 253 characters), which RFC 5280 §4.2.1.6
 * requires of dNSName. With `wildcard`, the left-most label may be `*`
 * (RFC 9525 §6.3). No trailing dot, no underscore.
 */
export function isDnsName(name: string, wildcard = false): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  return labels.every((l, i) => LABEL.test(l) || (wildcard && i === 0 && l === "*"));
}

/**
 * RFC 9525 §6.3: whether the DNS-ID `pattern` from a certificate matches the
 * reference `host`. A wildcard is allowed only as the entire left-most label
 * of a pattern with at least two further labels, and matches exactly one label.
 */
export function dnsNameMatches(pattern: string, host: string): boolean {
  const p = normalizeDnsName(pattern), h = normalizeDnsName(host);
  if (!p || !h) return false;
  if (!p.includes("*")) return p === h;
  const pl = p.split("."), hl = h.split(".");
  if (pl[0] !== "*" || pl.slice(1).some((l) => l.includes("*")) || pl.length < 3) return false;
  if (pl.length !== hl.length || hl[0] === "") return false;
  return pl.slice(1).join(".") === hl.slice(1).join(".");
}
