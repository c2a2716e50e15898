/**
 * The relay's read buffers shared with its narration worker
 * (`cli/inspect_slots.ts`): each is posted to the worker once, reused once
 * given back, kept only up to the spares asked for (the rest dropped, and
 * the worker told), and never more than the bound.
 */

import assert from "node:assert/strict";
import { type SlotMessage, Slots } from "../cli/inspect_slots.ts";

Deno.test("inspect slots: made as needed and posted once, reused, kept up to the spares, bounded", () => {
  const posted: SlotMessage[] = [];
  const slots = new Slots(1024, 3, (m) => void posted.push(m));
  slots.keep(1);
  const a = slots.take()!, b = slots.take()!, c = slots.take()!;
  assert.deepEqual([a.index, b.index, c.index], [0, 1, 2]);
  assert.ok(a.view.buffer instanceof SharedArrayBuffer && a.view.length === 1024);
  assert.deepEqual(posted.map((m) => [m.kind, m.index]), [["slot", 0], ["slot", 1], ["slot", 2]]);
  assert.equal(posted[1].kind === "slot" && posted[1].buffer, b.view.buffer, "the worker gets it");
  assert.equal(slots.take(), undefined, "no more than the bound");

  // Given back: one kept as a spare, the others dropped here and in the worker.
  slots.give(b.index);
  slots.give(a.index);
  slots.give(c.index);
  assert.deepEqual(posted.slice(3), [{ kind: "unslot", index: 0 }, { kind: "unslot", index: 2 }]);
  assert.equal(slots.count, 1);
  const again = slots.take()!;
  assert.equal(again.index, b.index, "the spare is reused");
  assert.equal(again.view, b.view);
  assert.equal(posted.length, 5, "and not posted again");

  // A new one gets a new number (the worker may still be told of the old ones).
  const d = slots.take()!;
  assert.equal(d.index, 3);
  slots.give(again.index);
  slots.give(d.index);
  slots.keep(0);
  assert.equal(slots.count, 0, "an idle relay keeps none");
  assert.deepEqual(posted.slice(-2).map((m) => m.kind), ["unslot", "unslot"]);
  slots.give(d.index);
  assert.equal(posted.filter((m) => m.kind === "unslot").length, 4, "a slot is dropped once");
});
