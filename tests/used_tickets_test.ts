/**
 * The anti-replay record (RFC 8446 §8.1): a ticket's early data is claimed
 * once; a replay, or a full record, is refused; expired tickets are
 * forgotten.
 *
 * @module
 */

import assert from "node:assert/strict";
import { UsedTickets } from "../lib/session/used_tickets.ts";
import { webcrypto } from "../lib/crypto/webcrypto/mod.ts";

const SHA256 = webcrypto.hashes["SHA-256"];
const t = (n: number) => new Uint8Array([n, n, n]);

Deno.test("UsedTickets: once per ticket, until it expires", () => {
  const used = new UsedTickets(SHA256);
  assert.equal(used.claim(t(1), 1000, 0), true);
  assert.equal(used.claim(t(1), 1000, 500), false, "a replay");
  assert.equal(used.claim(t(2), 2000, 500), true);
  assert.equal(used.size, 2);
  // Once the first has expired it is forgotten (a replay would be refused as expired anyway).
  assert.equal(used.claim(t(3), 3000, 1500), true);
  assert.equal(used.size, 2);
});

Deno.test("UsedTickets: a full record refuses early data rather than forget a live ticket", () => {
  const used = new UsedTickets(SHA256, 2);
  assert.equal(used.claim(t(1), 1000, 0), true);
  assert.equal(used.claim(t(2), 1000, 0), true);
  assert.equal(used.claim(t(3), 1000, 0), false);
  assert.equal(used.claim(t(1), 1000, 0), false);
  assert.equal(used.claim(t(3), 2000, 1000), true, "room again once the others expired");
});
