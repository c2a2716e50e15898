/**
 * The adapter's read buffers (lib/tls_conn.ts): with a provider whose keys
 * open in place, the data it hands out are views of the buffer the
 * transport was read into, and a buffer is read into again only once no
 * chunk views it; the engine seals into output memory again once the
 * transport has written it, if the transport says it keeps none. A stream
 * of megabytes read with `read()` in odd sizes, with `chunks()` kept whole
 * to the end, and with both mixed, must arrive exactly. Once per crypto
 * provider, over an in-memory transport.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Connection } from "../lib/connection.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";
import { TlsConn, type Transport } from "../lib/tls_conn.ts";
import { makeCertSet } from "./helpers/certs.ts";
import { acceptAnything, serverConfigFor } from "./helpers/pair.ts";
import { PROVIDERS } from "./helpers/providers.ts";

const p256 = await makeCertSet({ keyType: "ecdsa-p256" });

/** Deterministic bytes: a counter mod 251, so that misplaced bytes show. */
function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 251;
  return out;
}

/**
 * One direction of an in-memory byte stream: what is written is read, in
 * whatever pieces fit, at most `maxRead` bytes a read. A `lazy` pipe keeps
 * the writer's bytes, not a copy, until they are read (a transport that is
 * not done with a write when it resolves).
 */
class Pipe {
  readonly #maxRead: number;
  readonly #lazy: boolean;
  #queue: Uint8Array[] = [];
  #closed = false;
  #wake?: () => void;

  constructor(maxRead: number, lazy: boolean) {
    this.#maxRead = maxRead;
    this.#lazy = lazy;
  }

  write(p: Uint8Array): void {
    if (this.#closed) throw new Error("write after close");
    this.#queue.push(this.#lazy ? p : p.slice());
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#queue.length === 0) {
      if (this.#closed) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
    let n = 0;
    const max = Math.min(p.length, this.#maxRead);
    while (n < max && this.#queue.length > 0) {
      const head = this.#queue[0];
      const k = Math.min(head.length, max - n);
      p.set(head.subarray(0, k), n);
      n += k;
      if (k === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(k);
    }
    return n;
  }
}

/** Two transports joined by two pipes. */
function transportPair(maxRead: number, lazy: boolean): [Transport, Transport] {
  const up = new Pipe(maxRead, lazy), down = new Pipe(maxRead, lazy);
  const end = (r: Pipe, w: Pipe): Transport => ({
    read: (p) => r.read(p),
    write: (p) => (w.write(p), Promise.resolve(p.length)),
    close: () => w.close(),
  });
  return [end(down, up), end(up, down)];
}

/**
 * A client and a server TlsConn on `crypto`, the client sending `data` in
 * 64 KiB writes, the server's transport reads giving at most `maxRead`
 * bytes. The client's transport copies what it is given and says so
 * (`transportReleasesWrites`), unless `lazy`.
 */
async function sending(crypto: CryptoProvider, data: Uint8Array, maxRead = Infinity, lazy = false) {
  const [c, s] = transportPair(maxRead, lazy);
  const client = new TlsConn(
    Connection.client({ crypto, serverName: "localhost", verifier: acceptAnything }),
    c,
    { transportReleasesWrites: !lazy },
  );
  const server = new TlsConn(Connection.server(await serverConfigFor(p256, { crypto })), s);
  const sent = (async () => {
    await client.handshake();
    for (let at = 0; at < data.length; at += 1 << 16) {
      await client.write(data.subarray(at, at + (1 << 16)));
    }
    await client.close();
  })();
  return { server, sent };
}

/** `got` is `want`, or the first byte where they differ is named (a diff of megabytes would take minutes). */
function assertSameBytes(got: Uint8Array, want: Uint8Array): void {
  assert.equal(got.length, want.length);
  const at = got.findIndex((b, i) => b !== want[i]);
  assert.equal(at, -1, `the bytes differ from offset ${at}`);
}

const DATA = pattern(3 * 1024 * 1024 + 77);

for (const crypto of PROVIDERS) {
  // Large transport reads fill a buffer with many records; reads of two records or so (33,000
  // bytes) leave a buffer's last chunks queued while the pump reads on into another.
  for (const maxRead of [Infinity, 33_000]) {
    Deno.test(`TlsConn buffers [${crypto.name}]: read() in odd sizes gets the stream exactly (transport reads ≤ ${maxRead})`, async () => {
      const { server, sent } = await sending(crypto, DATA, maxRead);
      const got = new Uint8Array(DATA.length);
      const sizes = [1, 1000, 7919, 16_384, 40_000, 100_003];
      let at = 0;
      for (let i = 0;; i++) {
        const p = new Uint8Array(sizes[i % sizes.length]);
        const n = await server.read(p);
        if (n === null) break;
        got.set(p.subarray(0, n), at);
        at += n;
      }
      await sent;
      assert.equal(at, DATA.length);
      assertSameBytes(got, DATA);
      await server.close();
    });
  }

  Deno.test(`TlsConn buffers [${crypto.name}]: chunks() kept to the end are not overwritten`, async () => {
    const { server, sent } = await sending(crypto, DATA);
    const kept: Uint8Array[] = [];
    for await (const chunk of server.chunks()) kept.push(chunk); // no copy
    await sent;
    const got = new Uint8Array(kept.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of kept) got.set(c, (at += c.length) - c.length);
    assertSameBytes(got, DATA);
    await server.close();
  });

  Deno.test(`TlsConn buffers [${crypto.name}]: a transport that keeps what it is given gets memory of its own`, async () => {
    const { server, sent } = await sending(crypto, DATA, Infinity, true);
    const kept: Uint8Array[] = [];
    for await (const chunk of server.chunks()) kept.push(chunk);
    await sent;
    const got = new Uint8Array(kept.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of kept) got.set(c, (at += c.length) - c.length);
    assertSameBytes(got, DATA);
    await server.close();
  });

  Deno.test(`TlsConn buffers [${crypto.name}]: read() then chunks() on the same connection`, async () => {
    const { server, sent } = await sending(crypto, DATA);
    const head = new Uint8Array(5000);
    let at = 0;
    while (at < head.length) at += (await server.read(head.subarray(at)))!;
    const kept: Uint8Array[] = [head];
    for await (const chunk of server.chunks()) kept.push(chunk);
    await sent;
    const got = new Uint8Array(kept.reduce((n, c) => n + c.length, 0));
    at = 0;
    for (const c of kept) got.set(c, (at += c.length) - c.length);
    assertSameBytes(got, DATA);
    await server.close();
  });
}
