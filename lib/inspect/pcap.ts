/**
 * Reading capture files as tcpdump, tshark and dumpcap write them: classic
 * pcap (microsecond or nanosecond, either byte order) and pcapng (section
 * header, interface description, enhanced/simple/obsolete packet blocks; any
 * other block skipped). Every length is checked against what is there: a
 * truncated or corrupt file is a `CaptureError` with one line saying where.
 *
 * @module
 */

/** A capture file that cannot be read, said in one line. */
export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaptureError";
  }
}

/** One captured frame. */
export interface Frame {
  /** The link-layer type (LINKTYPE_ETHERNET = 1, LINKTYPE_NULL = 0, ...). */
  readonly linkType: number;
  /** The bytes captured (a view of the file). */
  readonly data: Uint8Array;
  /** Whether the frame was cut by the snapshot length (its end is missing). */
  readonly cut: boolean;
  /** Its number in the file, from 1. */
  readonly number: number;
}

/** A frame larger than this is refused (the largest snapshot length tools use is 256 KiB). */
const MAX_FRAME = 1 << 20;

/** The frames of a pcap or pcapng file, in file order. */
export function* readCapture(file: Uint8Array): Generator<Frame> {
  if (file.length < 4) throw new CaptureError("not a capture file: fewer than 4 bytes");
  const magic = view(file).getUint32(0, false);
  if (magic === 0x0a0d0d0a) yield* readPcapng(file);
  else if ([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1].includes(magic)) yield* readPcap(file);
  else {
    throw new CaptureError(
      `not a pcap or pcapng file (it starts with 0x${magic.toString(16).padStart(8, "0")})`,
    );
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Classic pcap: a 24-byte file header, then a 16-byte header before each frame. */
function* readPcap(file: Uint8Array): Generator<Frame> {
  if (file.length < 24) throw new CaptureError("pcap file header cut short (fewer than 24 bytes)");
  const v = view(file);
  const first = v.getUint32(0, false);
  const le = first === 0xd4c3b2a1 || first === 0x4d3cb2a1;
  const linkType = v.getUint32(20, le) & 0xffff;
  let at = 24;
  for (let number = 1; at < file.length; number++) {
    if (file.length - at < 16) {
      throw new CaptureError(`pcap frame ${number} at offset ${at}: its header is cut short`);
    }
    const captured = v.getUint32(at + 8, le);
    const original = v.getUint32(at + 12, le);
    if (captured > MAX_FRAME) {
      throw new CaptureError(`pcap frame ${number} at offset ${at}: bogus length ${captured}`);
    }
    if (captured > file.length - at - 16) {
      throw new CaptureError(
        `pcap frame ${number} at offset ${at}: ${captured} bytes announced, ` +
          `${file.length - at - 16} left in the file (truncated capture)`,
      );
    }
    const data = file.subarray(at + 16, at + 16 + captured);
    yield { linkType, data, cut: captured < original, number };
    at += 16 + captured;
  }
}

const SECTION_HEADER = 0x0a0d0d0a;
const INTERFACE_DESCRIPTION = 1;
const OBSOLETE_PACKET = 2;
const SIMPLE_PACKET = 3;
const ENHANCED_PACKET = 6;

/** pcapng: blocks of (type, total length, body, total length), in sections of their own byte order. */
function* readPcapng(file: Uint8Array): Generator<Frame> {
  const v = view(file);
  let le = true;
  let interfaces: { linkType: number; snapLength: number }[] = [];
  let at = 0;
  for (let number = 1; at < file.length;) {
    if (file.length - at < 12) {
      throw new CaptureError(`pcapng block at offset ${at}: cut short`);
    }
    const rawType = v.getUint32(at, false);
    if (rawType === SECTION_HEADER) {
      if (file.length - at < 28) {
        throw new CaptureError(`pcapng section header at offset ${at}: cut short`);
      }
      const bom = v.getUint32(at + 8, false);
      if (bom !== 0x1a2b3c4d && bom !== 0x4d3c2b1a) {
        throw new CaptureError(`pcapng section header at offset ${at}: bad byte-order magic`);
      }
      le = bom === 0x4d3c2b1a;
      interfaces = [];
    }
    const type = v.getUint32(at, le);
    const length = v.getUint32(at + 4, le);
    if (length < 12 || length % 4 !== 0 || length > file.length - at) {
      throw new CaptureError(
        `pcapng block at offset ${at}: bogus length ${length}` +
          (length > file.length - at ? " (truncated capture)" : ""),
      );
    }
    if (v.getUint32(at + length - 4, le) !== length) {
      throw new CaptureError(`pcapng block at offset ${at}: its two lengths differ`);
    }
    const body = file.subarray(at + 8, at + length - 4);
    const b = view(body);
    const need = (n: number, what: string) => {
      if (body.length < n) throw new CaptureError(`pcapng ${what} at offset ${at}: cut short`);
    };
    const iface = (id: number) => {
      const i = interfaces[id];
      if (!i) {
        throw new CaptureError(`pcapng packet at offset ${at}: no interface ${id} described`);
      }
      return i;
    };
    const packet = (linkType: number, start: number, captured: number, original: number) => {
      if (captured > body.length - start) {
        throw new CaptureError(
          `pcapng packet at offset ${at}: ${captured} bytes announced, the block holds ` +
            `${Math.max(0, body.length - start)}`,
        );
      }
      const data = body.subarray(start, start + captured);
      return { linkType, data, cut: captured < original, number: number++ };
    };
    switch (type) {
      case INTERFACE_DESCRIPTION:
        need(8, "interface description");
        interfaces.push({ linkType: b.getUint16(0, le), snapLength: b.getUint32(4, le) });
        break;
      case ENHANCED_PACKET: {
        need(20, "enhanced packet");
        const i = iface(b.getUint32(0, le));
        yield packet(i.linkType, 20, b.getUint32(12, le), b.getUint32(16, le));
        break;
      }
      case OBSOLETE_PACKET: {
        need(20, "packet block");
        const i = iface(b.getUint16(0, le));
        yield packet(i.linkType, 20, b.getUint32(12, le), b.getUint32(16, le));
        break;
      }
      case SIMPLE_PACKET: {
        need(4, "simple packet");
        const i = iface(0);
        const original = b.getUint32(0, le);
        const room = body.length - 4;
        const captured = Math.min(original, room, i.snapLength || room);
        yield packet(i.linkType, 4, captured, original);
        break;
      }
    }
    at += length;
  }
}
