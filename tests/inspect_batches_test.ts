/**
 * When the relay posts what it has read to its narration
 * (`cli/inspect_batches.ts`), on a clock the test moves: a batch at
 * BATCH_BYTES at once, any other after BATCH_MS, and skimmed records (told
 * without a key log) once their connection pauses, or after the longest wait.
 */

import assert from "node:assert/strict";
import {
  BATCH_BYTES,
  BATCH_MS,
  Batches,
  SEALED_MAX_WAIT_MS,
  SEALED_PAUSE_MS,
} from "../cli/inspect_batches.ts";
import type { Chunk } from "../cli/inspect_slots.ts";

const sealed = (n: number): Chunk => ({ from: "client", sealed: new Uint8Array(5 * n) });
const read = (length: number): Chunk => ({ from: "server", slot: 0, length });

Deno.test("inspect batches: reads are due after BATCH_MS, or at once when a batch is full", () => {
  const b = new Batches();
  assert.equal(b.add(1, read(1000), 1000, 0), false);
  assert.deepEqual(b.due(BATCH_MS), [1], "the next look posts it");
  assert.equal(b.add(2, read(BATCH_BYTES - 1), BATCH_BYTES - 1, 0), false);
  assert.equal(b.add(2, read(1), 1, 0), true, "full: posted at once");
  assert.equal(b.take(2)!.length, 2, "both reads, in order");
  assert.equal(b.take(2), undefined);
  assert.equal(b.size, 1);
});

Deno.test("inspect batches: skimmed records wait while their connection is busy, for a pause or at most the longest wait", () => {
  const b = new Batches();
  // A transfer in full flow: a read every millisecond, each skimmed to its records' headers.
  let now = 0;
  for (; now < 100; now++) b.add(7, sealed(60), 300, now);
  assert.deepEqual(b.due(now), [], "not while records keep coming");
  assert.deepEqual(b.due(now - 1 + SEALED_PAUSE_MS), [7], "once the connection pauses");
  assert.equal(b.take(7)!.length, 100, "every piece, in one message");

  // Records that never pause are told at least every SEALED_MAX_WAIT_MS.
  for (now = 0; now < SEALED_MAX_WAIT_MS; now++) {
    b.add(8, sealed(1), 5, now);
    assert.deepEqual(b.due(now), [], `waiting at ${now} ms`);
  }
  assert.deepEqual(b.due(now), [8]);
  b.take(8);

  // Anything else in the batch (a handshake record, the last bytes of a record) is not held back.
  b.add(9, sealed(3), 15, 0);
  b.add(9, { from: "client", bytes: new Uint8Array(40) }, 40, 1);
  b.add(9, sealed(3), 15, 2);
  assert.deepEqual(b.due(3), [9]);
  assert.equal(b.take(9)!.length, 3);
});
