/**
 * Hand-made captures for tests: TCP segments framed as Ethernet, Linux
 * cooked (SLL) or BSD loopback, over IPv4 or IPv6, written as classic pcap or
 * pcapng. Checksums are left at zero (capture readers do not check them).
 *
 * @module
 */

/** One TCP segment to frame. */
export interface TestSegment {
  from: "client" | "server";
  seq: number;
  payload?: Uint8Array;
  syn?: boolean;
  ack?: boolean;
  fin?: boolean;
}

/** How to frame segments. */
export interface Framing {
  link: "ethernet" | "sll" | "null";
  ip: 4 | 6;
  clientPort: number;
  serverPort: number;
}

export const LINK_TYPES = { ethernet: 1, sll: 113, null: 0 } as const;

function u16(n: number): number[] {
  return [n >> 8 & 0xff, n & 0xff];
}
function u32(n: number): number[] {
  return [n >>> 24 & 0xff, n >>> 16 & 0xff, n >>> 8 & 0xff, n & 0xff];
}

const V4 = { client: [192, 0, 2, 1], server: [192, 0, 2, 2] };
const V6 = {
  client: [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1],
  server: [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 2],
};

/** A frame carrying `s` as `f` says. */
export function frame(s: TestSegment, f: Framing): Uint8Array {
  const payload = s.payload ?? new Uint8Array(0);
  const [sport, dport] = s.from === "client"
    ? [f.clientPort, f.serverPort]
    : [f.serverPort, f.clientPort];
  const flags = (s.fin ? 1 : 0) | (s.syn ? 2 : 0) | (s.ack ?? true ? 0x10 : 0);
  const tcp = [...u16(sport), ...u16(dport), ...u32(s.seq), ...u32(0), 0x50, flags, ...u16(65535)]
    .concat([0, 0, 0, 0]);
  const other = s.from === "client" ? "server" : "client";
  let ip: number[];
  if (f.ip === 4) {
    const total = 20 + tcp.length + payload.length;
    ip = [0x45, 0, ...u16(total), 0, 0, 0x40, 0, 64, 6, 0, 0, ...V4[s.from], ...V4[other]];
  } else {
    ip = [0x60, 0, 0, 0, ...u16(tcp.length + payload.length), 6, 64, ...V6[s.from], ...V6[other]];
  }
  const ethertype = f.ip === 4 ? 0x0800 : 0x86dd;
  const link = f.link === "ethernet"
    ? [...Array(12).fill(2), ...u16(ethertype)]
    : f.link === "sll"
    ? [0, 0, 0, 1, 0, 6, ...Array(8).fill(0), ...u16(ethertype)]
    : [f.ip === 4 ? 2 : 24, 0, 0, 0]; // BSD loopback: the address family, little-endian
  const head = new Uint8Array([...link, ...ip, ...tcp]);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/**
 * A classic pcap file of `frames`: little-endian with microseconds by default, or big-endian
 * with the nanosecond magic (as some tools write it).
 */
export function classicPcap(
  linkType: number,
  frames: Uint8Array[],
  opts: { bigEndian?: boolean } = {},
): Uint8Array {
  const le = !opts.bigEndian;
  const out = new Uint8Array(24 + frames.reduce((n, f) => n + 16 + f.length, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, le ? 0xa1b2c3d4 : 0xa1b23c4d, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, 262144, le);
  v.setUint32(20, linkType, le);
  let at = 24;
  frames.forEach((f, i) => {
    v.setUint32(at, 1_700_000_000 + i, le);
    v.setUint32(at + 8, f.length, le);
    v.setUint32(at + 12, f.length, le);
    out.set(f, at + 16);
    at += 16 + f.length;
  });
  return out;
}

/** A pcapng file (big-endian section) with one interface and an enhanced packet block per frame. */
export function pcapng(linkType: number, frames: Uint8Array[]): Uint8Array {
  const blocks: number[] = [];
  const block = (type: number, body: number[]) => {
    const padded = [...body, ...Array((4 - body.length % 4) % 4).fill(0)];
    const length = 12 + padded.length;
    blocks.push(...u32(type), ...u32(length), ...padded, ...u32(length));
  };
  block(0x0a0d0d0a, [
    ...u32(0x1a2b3c4d),
    ...u16(1),
    ...u16(0),
    ...u32(0xffffffff),
    ...u32(0xffffffff),
  ]);
  block(1, [...u16(linkType), 0, 0, ...u32(262144)]);
  for (const f of frames) {
    block(6, [...u32(0), ...u32(0), ...u32(0), ...u32(f.length), ...u32(f.length), ...f]);
  }
  return new Uint8Array(blocks);
}
