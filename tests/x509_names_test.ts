/** Host names, wildcards, IP addresses and distinguished names as the validator reads them. */

import assert from "node:assert/strict";
import { dnsNameMatches, isDnsName } from "../lib/x509/names.ts";
import { prefixLength } from "../lib/x509/general_name.ts";
import { parseName } from "../lib/x509/dn.ts";
import { derItem, Tag } from "../lib/wire/der.ts";

Deno.test("isDnsName: RFC 1034/1123 preferred name syntax, with an optional left-most wildcard", () => {
  for (
    const ok of [
      "example.test",
      "a-b.example.test",
      "xn--bcher-kva.test",
      "1.example.test",
      "localhost",
    ]
  ) {
    assert.ok(isDnsName(ok), ok);
  }
  for (
    const bad of [
      "",
      ".example.test",
      "example.test.",
      "a..b",
      "-a.test",
      "a-.test",
      "foo_bar.test",
      "a b.test",
      "x".repeat(64) + ".test",
    ]
  ) {
    assert.ok(!isDnsName(bad), bad);
  }
  assert.ok(isDnsName("*.example.test", true));
  assert.ok(!isDnsName("*.example.test"));
  assert.ok(!isDnsName("a.*.example.test", true));
  assert.ok(!isDnsName("f*o.example.test", true));
});

Deno.test("dnsNameMatches: RFC 9525 §6.3", () => {
  assert.ok(dnsNameMatches("Example.TEST", "example.test."));
  assert.ok(dnsNameMatches("*.example.test", "www.example.test"));
  assert.ok(!dnsNameMatches("*.example.test", "example.test"));
  assert.ok(!dnsNameMatches("*.example.test", "a.b.example.test"));
  assert.ok(!dnsNameMatches("*.test", "foo.test"));
  assert.ok(!dnsNameMatches("*", "test"));
  assert.ok(!dnsNameMatches("w*.example.test", "www.example.test"));
});

Deno.test("prefixLength: contiguous netmasks only", () => {
  assert.equal(prefixLength(new Uint8Array([255, 255, 255, 0])), 24);
  assert.equal(prefixLength(new Uint8Array([255, 240, 0, 0])), 12);
  assert.equal(prefixLength(new Uint8Array([0, 0, 0, 0])), 0);
  assert.equal(prefixLength(new Uint8Array(16).fill(255)), 128);
  assert.equal(prefixLength(new Uint8Array([255, 0, 255, 0])), undefined);
  assert.equal(prefixLength(new Uint8Array([255, 0b11010000, 0, 0])), undefined);
});

Deno.test("distinguished names print as RFC 4514, most specific first, escaped", () => {
  const atv = (oid: number[], tag: number, text: string) =>
    derItem(
      Tag.SET,
      derItem(
        Tag.SEQUENCE,
        new Uint8Array([
          ...derItem(Tag.OID, new Uint8Array(oid)),
          ...derItem(tag, new TextEncoder().encode(text)),
        ]),
      ),
    );
  const name = derItem(
    Tag.SEQUENCE,
    new Uint8Array([
      ...atv([0x55, 0x04, 0x06], Tag.PrintableString, "US"),
      ...atv([0x55, 0x04, 0x0a], Tag.UTF8String, "Acme, Inc."),
      ...atv([0x55, 0x04, 0x03], Tag.UTF8String, " spaced "),
    ]),
  );
  assert.equal(parseName(name).text, "CN=\\ spaced\\ ,O=Acme\\, Inc.,C=US");
});
