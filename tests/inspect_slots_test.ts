/**
 * The relay's read buffers shared with its narration worker
 * (`cli/inspect_slots.ts`): each is posted to the worker once, reused once
 * given back (the last freed first), dropped once free long enough (and the
 * worker told), and never more than the bound.
 */

import assert from "node:assert/strict";
import { type SlotMessage, Slots } from "../cli/inspect_slots.ts";

Deno.test("inspect slots: made as needed and posted once, reused, bounded, dropped once idle", () => {
  const posted: SlotMessage[] = [];
  const slots = new Slots(1024, 3, (m) => void posted.push(m));
  const a = slots.take()!, b = slots.take()!, c = slots.take()!;
  assert.deepEqual([a.index, b.index, c.index], [0, 1, 2]);
  assert.ok(a.view.buffer instanceof SharedArrayBuffer && a.view.length === 1024);
  assert.deepEqual(posted.map((m) => [m.kind, m.index]), [["slot", 0], ["slot", 1], ["slot", 2]]);
  assert.equal(posted[1].kind === "slot" && posted[1].buffer, b.view.buffer, "the worker gets it");
  assert.equal(slots.take(), undefined, "no more than the bound");

  slots.give(b.index, 1000);
  slots.give(a.index, 2000);
  const again = slots.take()!;
  assert.equal(again.index, a.index, "the last freed is reused first");
  assert.equal(again.view, a.view);
  assert.equal(posted.length, 3, "and not posted again");

  slots.give(again.index, 3000);
  slots.give(c.index, 4000);
  slots.trim(5999, 5000);
  assert.equal(slots.count, 3, "nothing free for 5 s yet");
  slots.trim(6000, 5000);
  assert.deepEqual(posted.slice(3), [{ kind: "unslot", index: 1 }], "free since 1000");
  slots.trim(8500, 5000);
  assert.deepEqual(posted.slice(4), [{ kind: "unslot", index: 0 }]);
  slots.trim(9000, 5000);
  assert.equal(slots.count, 0, "an idle relay holds none");
  assert.equal(slots.free, 0);
  slots.give(c.index, 9000);
  assert.equal(slots.free, 0, "a slot dropped is not taken back");
  assert.equal(slots.take()!.index, 3, "a new one gets a new number");
});
