/**
 * The relay's read buffers shared with its narration worker
 * (`cli/inspect_slots.ts`): each is posted to the worker once, reused by
 * size once given back (the last freed first), dropped once free long
 * enough (and the worker told), and never more bytes in all than the bound:
 * free ones of another size make room.
 */

import assert from "node:assert/strict";
import { type SlotMessage, Slots } from "../cli/inspect_slots.ts";

const KiB = 1024;

Deno.test("inspect slots: made as needed and posted once, reused by size, bounded in bytes, dropped once idle", () => {
  const posted: SlotMessage[] = [];
  const slots = new Slots(96 * KiB, (m) => void posted.push(m));
  const a = slots.take(16 * KiB)!, b = slots.take(16 * KiB)!, c = slots.take(64 * KiB)!;
  assert.deepEqual([a.index, b.index, c.index], [0, 1, 2]);
  assert.ok(c.view.buffer instanceof SharedArrayBuffer && c.view.length === 64 * KiB);
  assert.deepEqual(posted.map((m) => [m.kind, m.index]), [["slot", 0], ["slot", 1], ["slot", 2]]);
  assert.equal(posted[2].kind === "slot" && posted[2].buffer, c.view.buffer, "the worker gets it");
  assert.equal(slots.bytes, 96 * KiB);
  assert.equal(slots.take(16 * KiB), undefined, "no more bytes than the bound");

  slots.give(b.index, 1000);
  slots.give(a.index, 2000);
  const again = slots.take(16 * KiB)!;
  assert.equal(again.index, a.index, "the last freed of that size is reused first");
  assert.equal(again.view, a.view);
  assert.equal(posted.length, 3, "and not posted again");

  // A 64 KiB one is wanted while only a 16 KiB one is free: no room, even after dropping it.
  assert.equal(slots.take(64 * KiB), undefined);
  assert.deepEqual(posted.slice(3), [{ kind: "unslot", index: 1 }], "the free one went");
  assert.equal(slots.bytes, 80 * KiB);
  // Once the 64 KiB one is given back, it is taken again as it is.
  slots.give(c.index, 3000);
  assert.equal(slots.take(64 * KiB)!.index, c.index);
  // A 16 KiB one wanted now: the free room (16 KiB) is enough.
  assert.equal(slots.take(16 * KiB)!.index, 3, "a new one gets a new number");
  assert.equal(slots.bytes, 96 * KiB);

  slots.give(again.index, 4000);
  slots.give(c.index, 5000);
  slots.trim(8999, 5000);
  assert.equal(slots.free, 2, "nothing free for 5 s yet");
  slots.trim(9000, 5000);
  assert.deepEqual(posted.slice(-1), [{ kind: "unslot", index: 0 }], "free since 4000");
  slots.trim(10_000, 5000);
  assert.deepEqual(posted.slice(-1), [{ kind: "unslot", index: 2 }]);
  assert.equal(slots.free, 0);
  assert.equal(slots.bytes, 16 * KiB, "only the one in use is left");
  slots.give(c.index, 10_000);
  assert.equal(slots.free, 0, "a slot dropped is not taken back");
});
