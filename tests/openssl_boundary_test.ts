/**
 * Where the openssl provider's FFI stays: every `Deno.dlopen` and pointer
 * in `lib/crypto/openssl/`, the runtime-neutral and Node entry points free
 * of it, the Deno one reaching it by one dynamic import, and the library
 * usable with no permission at all (as in a browser or Node, where
 * `webcrypto` is the only choice) while `cryptoProvider("openssl")` says
 * what is missing.
 */

import assert from "node:assert/strict";
import { run } from "./helpers/commands.ts";

const LIB = new URL("../lib/", import.meta.url);

/** Every .ts file under `dir`, as paths relative to lib/. */
async function sources(dir: URL, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix + entry.name;
    if (entry.isDirectory) out.push(...await sources(new URL(`${entry.name}/`, dir), `${rel}/`));
    else if (entry.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

Deno.test("boundary: only lib/crypto/openssl/ touches Deno.dlopen and pointers", async () => {
  const files = await sources(LIB);
  assert.ok(files.includes("crypto/openssl/libcrypto.ts"));
  const offenders = [];
  for (const file of files) {
    if (file.startsWith("crypto/openssl/")) continue;
    const text = await Deno.readTextFile(new URL(file, LIB));
    if (/Deno\.(dlopen|UnsafePointer|UnsafePointerView|UnsafeCallback)\b/.test(text)) {
      offenders.push(file);
    }
  }
  assert.deepEqual(offenders, []);
});

/** The openssl modules `entry` imports statically, and how many dynamic imports reach them. */
async function opensslReach(entry: string): Promise<{ statically: string[]; dynamic: number }> {
  const out = await run(Deno.execPath(), ["info", "--json", new URL(entry, LIB).pathname]);
  assert.equal(out.code, 0, out.stderr);
  type Dep = { code?: { specifier: string }; type?: { specifier: string }; isDynamic?: boolean };
  const graph = JSON.parse(out.stdout) as {
    roots: string[];
    modules: { specifier: string; dependencies?: Dep[] }[];
  };
  const deps = new Map(graph.modules.map((m) => [m.specifier, m.dependencies ?? []]));
  const seen = new Set<string>();
  const queue = [...graph.roots];
  let dynamic = 0;
  while (queue.length) {
    const m = queue.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    for (const d of deps.get(m) ?? []) {
      const target = d.code?.specifier;
      if (!target) continue;
      if (d.isDynamic) {
        if (target.includes("/lib/crypto/openssl/")) dynamic++;
        continue;
      }
      queue.push(target);
    }
  }
  return { statically: [...seen].filter((s) => s.includes("/lib/crypto/openssl/")), dynamic };
}

Deno.test("boundary: lib/mod.ts and lib/node/mod.ts never reach lib/crypto/openssl/", async () => {
  for (const entry of ["mod.ts", "node/mod.ts"]) {
    assert.deepEqual(await opensslReach(entry), { statically: [], dynamic: 0 }, entry);
  }
});

Deno.test("boundary: lib/deno/mod.ts imports lib/crypto/openssl/ only dynamically", async () => {
  assert.deepEqual(await opensslReach("deno/mod.ts"), { statically: [], dynamic: 1 });
});

Deno.test('boundary: the library runs with no permission; cryptoProvider("openssl") names --allow-ffi', async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
  await Deno.writeTextFile(
    script,
    `
    import { cryptoProvider, ProviderUnavailableError } from ${url("../lib/deno/mod.ts")};
    import { makeCertSet } from ${url("./helpers/certs.ts")};
    import { acceptAnything, handshakePair } from ${url("./helpers/pair.ts")};
    const set = await makeCertSet();
    const crypto = await cryptoProvider("webcrypto");
    const key = await crypto.loadSigningKey(set.server.privateKey);
    const r = await handshakePair({ verifier: acceptAnything }, {
      certificate: { chain: set.serverChain, key },
    });
    console.log("handshake", r.clientInfo?.provider, r.clientInfo?.cipherSuite);
    try {
      await cryptoProvider("openssl");
      console.log("openssl loaded");
    } catch (e) {
      console.log(e instanceof ProviderUnavailableError, e.message);
    }
    `,
  );
  try {
    const config = new URL("../deno.json", import.meta.url).pathname;
    const out = await run(Deno.execPath(), ["run", "--no-prompt", "--config", config, script], {
      timeoutMs: 60_000,
    });
    assert.equal(out.code, 0, out.stderr);
    const [first, second] = out.stdout.trim().split("\n");
    assert.equal(first, "handshake webcrypto TLS_AES_128_GCM_SHA256");
    assert.match(second, /^true cannot load OpenSSL 3's libcrypto .*needs --allow-ffi/);
    assert.match(second, /or use --crypto webcrypto$/);
  } finally {
    await Deno.remove(script);
  }
});
