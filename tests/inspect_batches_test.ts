/**
 * When the relay posts what it has read to its narration
 * (`cli/inspect_batches.ts`), on a clock the test moves: bytes that cannot
 * wait at the next look, every BATCH_MS (at once past BATCH_BYTES); records (skimmed, or reads
 * in shared buffers) once their connection pauses, after the longest wait,
 * or once the batch holds the bytes it may.
 */

import assert from "node:assert/strict";
import { BATCH_BYTES, BATCH_MS, Batches, MAX_WAIT_MS, PAUSE_MS } from "../cli/inspect_batches.ts";
import type { Chunk } from "../cli/inspect_slots.ts";

const sealed = (n: number): Chunk => ({ from: "client", sealed: new Uint8Array(5 * n) });
const read = (length: number): Chunk => ({ from: "server", slot: 0, length });
const bytes = (length: number): Chunk => ({ from: "server", bytes: new Uint8Array(length) });

Deno.test("inspect batches: bytes handed over whole are due at the next look, or at once when a batch is full", () => {
  const b = new Batches(64 << 20);
  assert.equal(b.add(1, bytes(1000), 1000, 0), false);
  assert.deepEqual(b.due(0), [1], `the next look (every ${BATCH_MS} ms) posts it`);
  assert.equal(b.add(2, bytes(BATCH_BYTES - 1), BATCH_BYTES - 1, 0), false);
  assert.equal(b.add(2, bytes(1), 1, 0), true, "full: posted at once");
  assert.equal(b.take(2)!.length, 2, "both, in order");
  assert.equal(b.take(2), undefined);
  assert.equal(b.size, 1);
});

Deno.test("inspect batches: reads in shared buffers wait for a pause, up to the bytes a batch may hold", () => {
  const b = new Batches(8 << 20);
  let now = 0;
  for (let i = 0; i < 7; i++) assert.equal(b.add(3, read(1 << 20), 1 << 20, now++), false);
  assert.deepEqual(b.due(now), [], "a busy connection's reads wait");
  assert.equal(b.add(3, read(1 << 20), 1 << 20, now), true, "8 MiB: due at once");
  assert.equal(b.take(3)!.length, 8);
  b.add(4, read(100), 100, 0);
  assert.deepEqual(b.due(PAUSE_MS - 1), []);
  assert.deepEqual(b.due(PAUSE_MS), [4], "a pause");
});

Deno.test("inspect batches: skimmed records wait while their connection is busy, for a pause or at most the longest wait", () => {
  const b = new Batches(64 << 20);
  // A transfer in full flow: a read every millisecond, each skimmed to its records' headers.
  let now = 0;
  for (; now < 100; now++) b.add(7, sealed(60), 300, now);
  assert.deepEqual(b.due(now), [], "not while records keep coming");
  assert.deepEqual(b.due(now - 1 + PAUSE_MS), [7], "once the connection pauses");
  assert.equal(b.take(7)!.length, 100, "every piece, in one message");

  // Records that never pause are told at least every MAX_WAIT_MS.
  for (now = 0; now < MAX_WAIT_MS; now++) {
    b.add(8, sealed(1), 5, now);
    assert.deepEqual(b.due(now), [], `waiting at ${now} ms`);
  }
  assert.deepEqual(b.due(now), [8]);
  b.take(8);

  // Anything else in the batch (a handshake record, the last bytes of a record) is not held back.
  b.add(9, sealed(3), 15, 0);
  b.add(9, bytes(40), 40, 1);
  b.add(9, sealed(3), 15, 2);
  assert.deepEqual(b.due(3), [9]);
  assert.equal(b.take(9)!.length, 3);
});
