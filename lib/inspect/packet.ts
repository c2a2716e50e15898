/**
 * From a captured frame to a TCP segment: the link layer (Ethernet with
 * VLAN tags, BSD/Linux loopback "null", LOOP, Linux cooked SLL and SLL2, raw
 * IP), IPv4 (RFC 791) or IPv6 with its extension headers (RFC 8200), then
 * TCP (RFC 9293). Every header length is checked; a frame that is not TCP,
 * or is an IP fragment, or is cut short, gives `undefined` with the reason.
 *
 * @module
 */

/** One TCP segment as captured. */
export interface Segment {
  /** `address:port` of the sender and receiver (`[v6]:port` for IPv6). */
  readonly src: string;
  readonly dst: string;
  readonly seq: number;
  readonly syn: boolean;
  readonly ack: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  readonly payload: Uint8Array;
}

/** Why a frame gives no segment. */
export type Skipped = { readonly skipped: string };

const LINK = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  SLL: 113,
  IPV4: 228,
  IPV6: 229,
  SLL2: 276,
};
const ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_IPV6 = 0x86dd;
const VLAN = [0x8100, 0x88a8, 0x9100];
/** BSD loopback address families for IPv6 (NetBSD/Linux 24, FreeBSD 28, macOS 30). */
const AF_INET6 = [24, 28, 30];

const skip = (why: string): Skipped => ({ skipped: why });

/** The TCP segment in a frame of `linkType`, or why there is none. */
export function tcpSegment(linkType: number, frame: Uint8Array): Segment | Skipped {
  const ip = ipPacket(linkType, frame);
  if ("skipped" in ip) return ip;
  return ip.version === 4 ? ipv4(ip.bytes) : ipv6(ip.bytes);
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** The IP packet inside the link-layer framing. */
function ipPacket(
  linkType: number,
  f: Uint8Array,
): { version: 4 | 6; bytes: Uint8Array } | Skipped {
  let type: number; // an ethertype, or 4 / 6 when only the IP version says
  let at: number;
  switch (linkType) {
    case LINK.ETHERNET: {
      if (f.length < 14) return skip("Ethernet header cut short");
      at = 12;
      type = (f[at] << 8) | f[at + 1];
      while (VLAN.includes(type)) {
        at += 4;
        if (f.length < at + 2) return skip("VLAN tag cut short");
        type = (f[at] << 8) | f[at + 1];
      }
      at += 2;
      break;
    }
    case LINK.NULL:
    case LINK.LOOP: {
      if (f.length < 4) return skip("loopback header cut short");
      // NULL: the family in the capturing host's byte order; LOOP: big-endian.
      const le = dv(f).getUint32(0, true), be = dv(f).getUint32(0, false);
      const family = linkType === LINK.LOOP ? be : Math.min(le, be);
      type = family === 2 ? ETHERTYPE_IPV4 : AF_INET6.includes(family) ? ETHERTYPE_IPV6 : -1;
      at = 4;
      break;
    }
    case LINK.SLL:
      if (f.length < 16) return skip("Linux cooked header cut short");
      type = (f[14] << 8) | f[15];
      at = 16;
      break;
    case LINK.SLL2:
      if (f.length < 20) return skip("Linux cooked v2 header cut short");
      type = (f[0] << 8) | f[1];
      at = 20;
      break;
    case LINK.RAW:
    case LINK.IPV4:
    case LINK.IPV6:
      if (f.length < 1) return skip("empty frame");
      type = f[0] >> 4 === 4 ? ETHERTYPE_IPV4 : f[0] >> 4 === 6 ? ETHERTYPE_IPV6 : -1;
      at = 0;
      break;
    default:
      return skip(`link type ${linkType} is not read here`);
  }
  if (type === ETHERTYPE_IPV4) return { version: 4, bytes: f.subarray(at) };
  if (type === ETHERTYPE_IPV6) return { version: 6, bytes: f.subarray(at) };
  return skip("not IP");
}

/** RFC 791: the header, then TCP; fragments are not put back together. */
function ipv4(p: Uint8Array): Segment | Skipped {
  if (p.length < 20 || p[0] >> 4 !== 4) return skip("IPv4 header cut short");
  const headerLength = (p[0] & 0x0f) * 4;
  const total = (p[2] << 8) | p[3];
  if (headerLength < 20 || total < headerLength) return skip("IPv4 header lengths are bogus");
  if (total > p.length) return skip("IPv4 packet cut short");
  const fragment = ((p[6] << 8) | p[7]) & 0x3fff; // more-fragments flag and offset
  if (fragment !== 0) return skip("IPv4 fragment");
  if (p[9] !== 6) return skip("not TCP");
  const addr = (o: number) => `${p[o]}.${p[o + 1]}.${p[o + 2]}.${p[o + 3]}`;
  // Ethernet pads short frames: the IP total length says where the packet ends.
  return tcp(p.subarray(headerLength, total), addr(12), addr(16));
}

/** RFC 8200: the fixed header, extension headers, then TCP. */
function ipv6(p: Uint8Array): Segment | Skipped {
  if (p.length < 40 || p[0] >> 4 !== 6) return skip("IPv6 header cut short");
  const payloadLength = (p[4] << 8) | p[5];
  if (40 + payloadLength > p.length) return skip("IPv6 packet cut short");
  const end = payloadLength === 0 ? p.length : 40 + payloadLength; // 0: a jumbogram
  let next = p[6];
  let at = 40;
  // Hop-by-hop, routing and destination options: (length + 1) × 8 bytes each.
  while (next === 0 || next === 43 || next === 60) {
    if (end - at < 8) return skip("IPv6 extension header cut short");
    const size = (p[at + 1] + 1) * 8;
    if (end - at < size) return skip("IPv6 extension header cut short");
    next = p[at];
    at += size;
  }
  if (next === 44) return skip("IPv6 fragment");
  if (next !== 6) return skip("not TCP");
  return tcp(
    p.subarray(at, end),
    `[${ipv6Text(p.subarray(8, 24))}]`,
    `[${ipv6Text(p.subarray(24, 40))}]`,
  );
}

/** RFC 5952 text: lowercase, leading zeros dropped, the longest run of zero groups as `::`. */
function ipv6Text(a: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (a[2 * i] << 8) | a[2 * i + 1]);
  let best = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}

/** RFC 9293 §3.1: ports, sequence number, data offset, flags, then the payload. */
function tcp(t: Uint8Array, srcAddr: string, dstAddr: string): Segment | Skipped {
  if (t.length < 20) return skip("TCP header cut short");
  const offset = (t[12] >> 4) * 4;
  if (offset < 20 || offset > t.length) return skip("TCP data offset is bogus");
  const flags = t[13];
  return {
    src: `${srcAddr}:${(t[0] << 8) | t[1]}`,
    dst: `${dstAddr}:${(t[2] << 8) | t[3]}`,
    seq: dv(t).getUint32(4, false),
    fin: (flags & 0x01) !== 0,
    syn: (flags & 0x02) !== 0,
    rst: (flags & 0x04) !== 0,
    ack: (flags & 0x10) !== 0,
    payload: t.subarray(offset),
  };
}
