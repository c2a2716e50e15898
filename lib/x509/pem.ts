/**
 * PEM (RFC 7468): the text armour around DER certificates and keys.
 *
 * @module
 */

/** One PEM block: its label ("CERTIFICATE", "PRIVATE KEY", ...) and DER contents. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order. Text between blocks is ignored (RFC 7468 §2). */
export function decodePem(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const body = m[2].replace(/\s+/g, "");
    try {
      out.push({ label: m[1], der: Uint8Array.fromBase64(body) });
    } catch {
      throw new Error(`a PEM ${m[1]} block is not valid base64`);
    }
  }
  return out;
}

/** Encodes DER as a PEM block with 64-character lines. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = der.toBase64();
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
