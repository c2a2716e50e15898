/**
 * ML-KEM-768 against published known answers (a subset of Wycheproof's
 * vectors, tests/fixtures/ml_kem/, with its provenance), the FIPS 203
 * encapsulation key check, and the hybrid groups built on it
 * (draft-ietf-tls-ecdhe-mlkem) on every provider: layout, agreement,
 * cross-provider agreement and illegal_parameter for unusable shares.
 */

import assert from "node:assert/strict";
import { AlertDescription, TlsError } from "../lib/errors.ts";
import { NamedGroup } from "../lib/codepoints.ts";
import {
  hybridLayout,
  SECP256R1_MLKEM768,
  splitHybrid,
  X25519_MLKEM768,
} from "../lib/crypto/hybrid_mlkem.ts";
import { encapsulationKeyProblem, ML_KEM_768 } from "../lib/crypto/ml_kem.ts";
import { nobleMlKem768 } from "../lib/crypto/ml_kem_noble.ts";
import type { CryptoProvider } from "../lib/crypto/provider.ts";
import { groupOf, PROVIDERS, testEachProvider } from "./helpers/providers.ts";

interface Vector {
  tcId: number;
  file: string;
  result: "valid" | "invalid";
  comment?: string;
  flags?: string[];
  seed?: string;
  ek: string;
  m?: string;
  c: string;
  K: string;
}

const FIXTURE = JSON.parse(
  await Deno.readTextFile(
    new URL("./fixtures/ml_kem/wycheproof_mlkem_768_subset.json", import.meta.url),
  ),
) as { decaps: Vector[]; encaps: Vector[] };
const hex = (s: string) => Uint8Array.fromHex(s);
const label = (v: Vector) => `${v.file} #${v.tcId} ${v.comment || v.flags?.join(",") || ""}`;
const kem = nobleMlKem768;

Deno.test("ML-KEM-768: Wycheproof decapsulation vectors (seed → ek, c → K)", async () => {
  const valid = FIXTURE.decaps.filter((v) => v.result === "valid");
  assert.ok(valid.length >= 5);
  for (const v of valid) {
    const dk = await kem.generate(hex(v.seed!));
    assert.equal(dk.encapsulationKey.toHex(), v.ek.toLowerCase(), label(v));
    assert.equal((await dk.decapsulate(hex(v.c))).toHex(), v.K.toLowerCase(), label(v));
  }
});

Deno.test("ML-KEM-768: Wycheproof encapsulation vectors (ek, m → c, K)", async () => {
  const valid = FIXTURE.encaps.filter((v) => v.result === "valid");
  assert.ok(valid.length >= 3);
  for (const v of valid) {
    assert.equal(encapsulationKeyProblem(hex(v.ek)), undefined, label(v));
    const { ciphertext, sharedSecret } = await kem.encapsulate(hex(v.ek), hex(v.m!));
    assert.equal(ciphertext.toHex(), v.c.toLowerCase(), label(v));
    assert.equal(sharedSecret.toHex(), v.K.toLowerCase(), label(v));
  }
});

Deno.test("ML-KEM-768: every invalid Wycheproof encapsulation key fails the FIPS 203 §7.2 check", () => {
  const invalid = FIXTURE.encaps.filter((v) => v.result === "invalid");
  assert.ok(invalid.filter((v) => v.flags?.includes("ModulusOverflow")).length === 12);
  for (const v of invalid) {
    const problem = encapsulationKeyProblem(hex(v.ek));
    assert.ok(problem, label(v));
    const short = v.ek.length / 2 !== ML_KEM_768.encapsulationKey;
    assert.match(problem, short ? /is \d+ bytes, not 1184/ : /modulus check/, label(v));
  }
});

Deno.test("ML-KEM-768: the modulus check finds the one coefficient that is not reduced", () => {
  const ek = hex(FIXTURE.encaps.find((v) => v.result === "valid")!.ek);
  // Coefficient 101 is the high nibble of byte 151 and all of byte 152 (little-endian 12 bits).
  const set = (value: number) => {
    const bad = ek.slice();
    bad[151] = (bad[151] & 0x0f) | ((value & 0x0f) << 4);
    bad[152] = value >> 4;
    return bad;
  };
  assert.equal(encapsulationKeyProblem(set(3328)), undefined);
  assert.match(encapsulationKeyProblem(set(3329))!, /coefficient 101 is 3329, not below 3329/);
  assert.match(encapsulationKeyProblem(set(4095))!, /coefficient 101 is 4095/);
});

/** Asserts `f` throws (or rejects with) illegal_parameter whose message matches `why`. */
async function illegal(f: () => unknown, why: RegExp): Promise<void> {
  await assert.rejects(
    async () => await f(),
    (e) =>
      e instanceof TlsError && e.alert === AlertDescription.illegal_parameter &&
      why.test(e.message),
  );
}

for (const layout of [X25519_MLKEM768, SECP256R1_MLKEM768]) {
  const name = NamedGroup.name(layout.group);
  const clientShare = ML_KEM_768.encapsulationKey + layout.classicalShare;
  const serverShare = ML_KEM_768.ciphertext + layout.classicalShare;

  testEachProvider(`${name}: shares and secret laid out as the draft says`, async (c) => {
    const group = groupOf(c, layout.group);
    const client = await group.start();
    assert.equal(client.share.length, clientShare);
    const [first, second] = splitHybrid(layout, "client share", client.share)!;
    const [ek, theirs] = layout.kemFirst ? [first, second] : [second, first];
    assert.equal(encapsulationKeyProblem(ek), undefined);
    // Play the server by hand, from the two halves: ML-KEM with a fixed message, and the classical group.
    const { ciphertext, sharedSecret } = await kem.encapsulate(ek, new Uint8Array(32).fill(7));
    const classical = await groupOf(c, layout.classical).complete(theirs);
    const reply = layout.kemFirst
      ? [...ciphertext, ...classical.share]
      : [...classical.share, ...ciphertext];
    const secret = await client.complete(Uint8Array.from(reply));
    const expected = layout.kemFirst
      ? [...sharedSecret, ...classical.secret]
      : [...classical.secret, ...sharedSecret];
    assert.deepEqual(secret, Uint8Array.from(expected));
    assert.equal(secret.length, 64);
  });

  testEachProvider(`${name}: client and server agree; a fresh exchange differs`, async (c) => {
    const group = groupOf(c, layout.group);
    const client = await group.start();
    const server = await group.complete(client.share);
    assert.equal(server.share.length, serverShare);
    assert.deepEqual(await client.complete(server.share), server.secret);
    const again = await group.complete(client.share);
    assert.notDeepEqual(again.secret, server.secret);
  });

  Deno.test(`${name}: each provider's client completes with the other's server`, async () => {
    const [a, b] = PROVIDERS as [CryptoProvider, CryptoProvider];
    for (const [from, to] of [[a, b], [b, a]]) {
      const client = await groupOf(from, layout.group).start();
      const server = await groupOf(to, layout.group).complete(client.share);
      assert.deepEqual(await client.complete(server.share), server.secret);
    }
  });

  testEachProvider(`${name}: unusable shares are illegal_parameter`, async (c) => {
    const group = groupOf(c, layout.group);
    const client = await group.start();
    const server = await group.complete(client.share);
    const length = new RegExp(`is \\d+ bytes, expected`);
    await illegal(() => group.complete(client.share.subarray(1)), length);
    await illegal(() => group.complete(new Uint8Array(clientShare + 1)), length);
    await illegal(() => group.complete(new Uint8Array(0)), length);
    await illegal(() => client.complete(server.share.subarray(0, serverShare - 1)), length);
    await illegal(() => client.complete(new Uint8Array(clientShare)), length);
    // A Wycheproof key with an unreduced coefficient, beside a good classical half.
    const bad = hex(FIXTURE.encaps.find((v) => v.flags?.includes("ModulusOverflow"))!.ek);
    const [first, second] = splitHybrid(layout, "client share", client.share)!;
    const withKey = (ek: Uint8Array) =>
      Uint8Array.from(layout.kemFirst ? [...ek, ...second] : [...first, ...ek]);
    await illegal(() => group.complete(withKey(bad)), /modulus check/);
    // A classical half that is not a usable public key.
    const zeros = new Uint8Array(layout.classicalShare);
    const [k, cl] = layout.kemFirst ? [first, second] : [second, first];
    assert.equal(cl.length, layout.classicalShare);
    const withClassical = Uint8Array.from(layout.kemFirst ? [...k, ...zeros] : [...zeros, ...k]);
    await illegal(
      () => group.complete(withClassical),
      new RegExp(`unusable ${layout.classicalName} half`),
    );
  });
}

Deno.test("hybrid layouts: only the two hybrids have one", () => {
  assert.equal(hybridLayout(NamedGroup.x25519), undefined);
  assert.equal(hybridLayout(0x11ec), X25519_MLKEM768);
  assert.equal(hybridLayout(0x11eb), SECP256R1_MLKEM768);
});

testEachProvider(
  "X25519MLKEM768: a share is read before the call returns (the caller may reuse it)",
  async (c) => {
    const group = groupOf(c, NamedGroup.X25519MLKEM768);
    const client = await group.start();
    const clientShare = client.share.slice();
    const serving = group.complete(clientShare);
    clientShare.fill(0);
    const server = await serving;
    const serverShare = server.share.slice();
    const completing = client.complete(serverShare);
    serverShare.fill(0);
    assert.deepEqual(await completing, server.secret);
  },
);
