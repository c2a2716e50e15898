/**
 * Hostile bytes: certificates cut short or with bytes flipped must be
 * refused with a TlsError (never an uncaught exception), and the trust
 * decision must never turn from "no" to "yes".
 */

import assert from "node:assert/strict";
import { TlsError } from "../lib/errors.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { ca, leaf, server } from "./x509_fixtures.ts";

const root = await ca("CN=Fuzz Root");
const ica = await ca("CN=Fuzz Intermediate", root);
const host = await leaf("CN=localhost", ica, ["localhost"], { ips: ["127.0.0.1"] });
const verifier = new PathVerifier([root.der]);

async function outcome(chain: Uint8Array[]): Promise<string> {
  try {
    await verifier.verify(chain, server("localhost"));
    return "trusted";
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    return e.alertName;
  }
}

Deno.test("every truncation of the leaf and of the intermediate is refused cleanly", async () => {
  for (const [i, cert] of [host.der, ica.der].entries()) {
    for (let n = 0; n < cert.length; n += 7) {
      const chain = i === 0 ? [cert.subarray(0, n), ica.der] : [host.der, cert.subarray(0, n)];
      assert.notEqual(await outcome(chain), "trusted", `cut at ${n}`);
    }
  }
});

Deno.test("single flipped bits in the leaf never crash, and never trust a changed signed part", async () => {
  assert.equal(await outcome([host.der, ica.der]), "trusted");
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let k = 0; k < 400; k++) {
    const bad = host.der.slice();
    const at = random() % bad.length;
    bad[at] ^= 1 << (random() % 8);
    const result = await outcome([bad, ica.der]);
    assert.notEqual(result, "trusted", `bit flip at byte ${at}`);
  }
});
