/** Where trust comes from: --ca FILE, --ca system, --pin and --insecure. */

import assert from "node:assert/strict";
import { TrustStoreError } from "../lib/x509/anchors.ts";
import { loadTrustAnchors, SYSTEM_BUNDLE } from "../lib/deno/trust_files.ts";
import { parsePin, PinnedKeyVerifier, spkiPin } from "../lib/x509/pin.ts";
import { InsecureVerifier } from "../lib/x509/insecure.ts";
import { leafPublicKey } from "../lib/x509/leaf.ts";
import { encodePem } from "../lib/x509/pem.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { TlsError } from "../lib/errors.ts";
import { ca, leaf, server } from "./x509_fixtures.ts";
import { misuse } from "./helpers/errors.ts";

const root = await ca("CN=Bundle Root");
const other = await ca("CN=Other Root");
const host = await leaf("CN=localhost", root, ["localhost"]);

Deno.test("--ca FILE: a PEM bundle of roots", async () => {
  const file = await Deno.makeTempFile({ suffix: ".pem" });
  await Deno.writeTextFile(
    file,
    "two roots\n" + encodePem("CERTIFICATE", root.der) + encodePem("CERTIFICATE", other.der),
  );
  const anchors = await loadTrustAnchors(file);
  assert.deepEqual(anchors, [root.der, other.der]);
  await new PathVerifier(anchors).verify([host.der], server("localhost"));
  await Deno.remove(file);
});

Deno.test("--ca FILE: mistakes say what to do", async () => {
  await assert.rejects(loadTrustAnchors("/nonexistent/ca.pem"), (e) => {
    assert.ok(e instanceof TrustStoreError);
    assert.equal(e.message, "the CA file /nonexistent/ca.pem does not exist");
    assert.match(e.hint!, /deno task certs/);
    return true;
  });
  const file = await Deno.makeTempFile({ suffix: ".pem" });
  await Deno.writeTextFile(file, encodePem("PRIVATE KEY", new Uint8Array([1, 2, 3])));
  await assert.rejects(loadTrustAnchors(file), /holds no PEM certificate/);
  await Deno.writeTextFile(file, encodePem("CERTIFICATE", new Uint8Array([0x30, 0x01, 0x00])));
  await assert.rejects(loadTrustAnchors(file), /certificate #1 in .* cannot be parsed/);
  await Deno.remove(file);
});

Deno.test({
  name: "--ca system: the system bundle, or SSL_CERT_FILE",
  ignore: !(await Deno.stat(SYSTEM_BUNDLE).then(() => true, () => false)),
  fn: async () => {
    assert.ok((await loadTrustAnchors("system")).length > 50);
    const file = await Deno.makeTempFile({ suffix: ".pem" });
    await Deno.writeTextFile(file, encodePem("CERTIFICATE", root.der));
    const saved = Deno.env.get("SSL_CERT_FILE");
    Deno.env.set("SSL_CERT_FILE", file);
    try {
      assert.deepEqual(await loadTrustAnchors("system"), [root.der]);
    } finally {
      if (saved === undefined) Deno.env.delete("SSL_CERT_FILE");
      else Deno.env.set("SSL_CERT_FILE", saved);
      await Deno.remove(file);
    }
  },
});

/** A pin in curl's form, `sha256//BASE64`. */
const curl = (pin: string) => pin.replace("sha256/", "sha256//");

Deno.test("--pin: exactly the pinned key, whatever the chain", async () => {
  const pin = await spkiPin(leafPublicKey(host.der));
  assert.match(pin, /^sha256\/[A-Za-z0-9+/]{43}=$/);
  assert.equal(parsePin(pin).length, 32);
  await new PinnedKeyVerifier([pin]).verify([host.der], server("anything"));
  const otherPin = await spkiPin(leafPublicKey(other.der));
  await assert.rejects(
    new PinnedKeyVerifier([otherPin]).verify([host.der], server("localhost")),
    (e) => {
      assert.ok(e instanceof TlsError);
      assert.equal(e.code, "cert_pin_mismatch");
      assert.equal(e.alertName, "bad_certificate");
      return true;
    },
  );
  // curl's --pinnedpubkey form is accepted too.
  await new PinnedKeyVerifier([curl(pin)]).verify([host.der], server("anything"));
  assert.deepEqual(parsePin(curl(pin)), parsePin(pin));
  assert.throws(() => parsePin("sha1/abc"), misuse("invalid_pin"));
});

Deno.test("--insecure: anything goes", async () => {
  await new InsecureVerifier().verify([new Uint8Array([1, 2, 3])], server("localhost"));
});

Deno.test("a server's client-certificate check: anchor subjects for certificate_authorities", () => {
  const v = new PathVerifier([root.der, other.der]);
  assert.equal(v.anchorSubjects.length, 2);
  assert.throws(
    () => new PathVerifier([new Uint8Array([0x30, 0x00])]),
    misuse("invalid_trust_anchor"),
  );
});
