/**
 * OSSL_PARAM arrays (openssl/core.h, `struct ossl_param_st`) laid out by
 * hand, for the OpenSSL 3 calls that take parameters by name: the HMAC
 * digest, and EC and RSA public keys built from their parts (much faster
 * than OpenSSL 3.0's DER decoders).
 *
 * @module
 */

/** `OSSL_PARAM_*` data types (openssl/core.h). */
const TYPES = { uint: 2, utf8: 4, octets: 5 } as const;

/** `sizeof(OSSL_PARAM)` on 64-bit platforms: key, data_type (padded), data, data_size, return_size. */
const ENTRY = 40;
/** `OSSL_PARAM_UNMODIFIED` (SIZE_MAX). */
const UNMODIFIED = 0xffffffffffffffffn;

/** Whether this machine stores integers least significant byte first. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One parameter: a fixed UTF-8 string, or room for a value set before each call. */
export type ParamSpec =
  | { readonly key: string; readonly type: "utf8"; readonly value: string }
  | { readonly key: string; readonly type: "octets" | "uint"; readonly capacity: number };

/**
 * An `OSSL_PARAM[]` and the bytes it points at, in one buffer that is never
 * moved or freed while this object lives (typed arrays over 64 bytes live
 * outside V8's heap, so their addresses are stable). A block is filled by
 * `set` and read by OpenSSL during the next call; calls are synchronous, so
 * one block per purpose serves every call.
 */
export class ParamBlock {
  /** The whole block; the OSSL_PARAM array is at its start. */
  readonly params: Uint8Array;
  readonly #view: DataView;
  readonly #slots: { offset: number; capacity: number; type: ParamSpec["type"] }[] = [];

  constructor(specs: readonly ParamSpec[]) {
    const encoder = new TextEncoder();
    const keys = specs.map((s) => encoder.encode(s.key + "\0"));
    const values = specs.map((s) => s.type === "utf8" ? encoder.encode(s.value + "\0") : null);
    let size = ENTRY * (specs.length + 1);
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i];
      size += keys[i].length + (spec.type === "utf8" ? values[i]!.length : spec.capacity);
    }
    this.params = new Uint8Array(Math.max(size, 128));
    this.#view = new DataView(this.params.buffer);
    const base = Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.params));
    let at = ENTRY * (specs.length + 1); // the terminating entry stays all zeros
    specs.forEach((spec, i) => {
      const entry = ENTRY * i;
      this.params.set(keys[i], at);
      this.#view.setBigUint64(entry, base + BigInt(at), true);
      at += keys[i].length;
      this.#view.setUint32(entry + 8, TYPES[spec.type], true);
      this.#view.setBigUint64(entry + 16, base + BigInt(at), true);
      this.#view.setBigUint64(entry + 32, UNMODIFIED, true);
      if (spec.type === "utf8") {
        this.params.set(values[i]!, at);
        this.#view.setBigUint64(entry + 24, BigInt(values[i]!.length - 1), true);
        this.#slots.push({ offset: at, capacity: 0, type: spec.type });
        at += values[i]!.length;
      } else {
        this.#slots.push({ offset: at, capacity: spec.capacity, type: spec.type });
        at += spec.capacity;
      }
    });
  }

  /**
   * Copies `value` into parameter `index`: bytes as they are, or a
   * big-endian unsigned integer converted to the machine's byte order.
   */
  set(index: number, value: Uint8Array): void {
    const slot = this.#slots[index];
    if (!slot || slot.type === "utf8") throw new TypeError(`parameter ${index} is fixed`);
    if (value.length > slot.capacity) {
      throw new RangeError(`a ${value.length}-byte value does not fit in ${slot.capacity} bytes`);
    }
    if (slot.type === "uint" && LITTLE_ENDIAN) {
      for (let i = 0; i < value.length; i++) {
        this.params[slot.offset + i] = value[value.length - 1 - i];
      }
    } else {
      this.params.set(value, slot.offset);
    }
    this.#view.setBigUint64(ENTRY * index + 24, BigInt(value.length), true);
  }

  /** Zeroes what `set` copied in (for values that should not linger). */
  clear(): void {
    for (const slot of this.#slots) {
      if (slot.type !== "utf8") this.params.fill(0, slot.offset, slot.offset + slot.capacity);
    }
  }
}
