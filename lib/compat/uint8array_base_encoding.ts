/**
 * `Uint8Array.fromHex`, `toHex`, `fromBase64` and `toBase64` (ES2026,
 * "Uint8Array to/from base64") for runtimes that predate them: Node 20 to
 * 24 and browsers before 2025. The library uses the standard methods; this
 * module adds them, default options only, where they are missing, and
 * changes nothing where they exist (Deno, Node 25+, current browsers).
 *
 * @module
 */

type Codec = {
  fromHex?: (hex: string) => Uint8Array;
  fromBase64?: (base64: string) => Uint8Array;
};
type Methods = { toHex?: () => string; toBase64?: () => string };

const statics = Uint8Array as unknown as Codec;
const methods = Uint8Array.prototype as unknown as Methods;

/** Installs what is missing; idempotent. */
function install(): void {
  statics.fromHex ??= (hex: string): Uint8Array => {
    if (typeof hex !== "string") throw new TypeError("fromHex expects a string");
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
      throw new SyntaxError("not a hexadecimal string of whole bytes");
    }
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  };
  methods.toHex ??= function (this: Uint8Array): string {
    let s = "";
    for (const b of this) s += b.toString(16).padStart(2, "0");
    return s;
  };
  statics.fromBase64 ??= (base64: string): Uint8Array => {
    if (typeof base64 !== "string") throw new TypeError("fromBase64 expects a string");
    let binary: string;
    try {
      binary = atob(base64); // forgiving-base64: what the default "loose" handling accepts
    } catch {
      throw new SyntaxError("not a base64 string");
    }
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  };
  methods.toBase64 ??= function (this: Uint8Array): string {
    let binary = "";
    for (let i = 0; i < this.length; i += 0x8000) {
      binary += String.fromCharCode(...this.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  };
}

install();
