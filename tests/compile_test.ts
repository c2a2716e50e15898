/**
 * `deno task compile` builds one binary that works end to end: `ca`, then
 * `serve` in one process and `connect` in another, with a key log and a
 * trace, within the permissions embedded in it. Building needs Deno's
 * compile runtime (denort) for this platform: from DENORT_BIN, or cached in
 * DENO_DIR by an earlier `deno compile`. Where it is neither, the test is
 * ignored, saying so (it cannot be downloaded without network access).
 */

import assert from "node:assert/strict";
import { compileArgs, DEFAULT_TARGET, PERMISSIONS } from "../tools/compile.ts";
import { Peer } from "./helpers/peer.ts";
import { run } from "./helpers/commands.ts";

/** Where the compile runtime is, or why there is none. */
async function findRuntime(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    return { ok: false, reason: `this test builds for ${DEFAULT_TARGET} and runs the result` };
  }
  const env = Deno.env.get("DENORT_BIN");
  if (env) {
    try {
      await Deno.stat(env);
      return { ok: true };
    } catch {
      return { ok: false, reason: `DENORT_BIN=${env} does not exist` };
    }
  }
  const info = await run(Deno.execPath(), ["info", "--json"]);
  const denoDir = JSON.parse(info.stdout).denoDir as string;
  const cached = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${DEFAULT_TARGET}.zip`;
  try {
    await Deno.stat(cached);
    return { ok: true };
  } catch {
    return {
      ok: false,
      reason: `Deno's compile runtime is not cached (${cached}) and DENORT_BIN is not set; ` +
        "it would have to be downloaded",
    };
  }
}

const runtime = await findRuntime();
if (!runtime.ok) console.warn(`ignoring the compiled binary test: ${runtime.reason}`);

Deno.test("compile: the task embeds explicit permissions, not -A", () => {
  const args = compileArgs();
  assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
  assert.deepEqual(PERMISSIONS.map((p) => p.split("=")[0]), [
    "--allow-read",
    "--allow-write",
    "--allow-net",
    "--allow-ffi",
    "--allow-env",
  ]);
  assert.match(PERMISSIONS[4], /^--allow-env=[A-Z_,]+$/, "a list of variables, not all of them");
  assert.deepEqual(args.slice(args.indexOf("--target"), args.indexOf("--target") + 2), [
    "--target",
    "x86_64-unknown-linux-gnu",
  ]);
});

Deno.test({
  name: "compile: ./handshake runs ca, serve, connect and inspect end to end",
  ignore: !runtime.ok,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "handshake-binary-" });
    try {
      const bin = `${dir}/handshake`;
      const built = await run(Deno.execPath(), compileArgs(DEFAULT_TARGET, bin), {
        timeoutMs: 300_000,
      });
      assert.equal(built.code, 0, built.stderr);
      const ca = await run(bin, ["ca", "--out", `${dir}/certs`]);
      assert.equal(ca.code, 0, ca.stderr);
      const server = new Peer(bin, [
        "serve",
        "--port",
        "0",
        "--cert",
        `${dir}/certs/server.pem`,
        "--key",
        `${dir}/certs/server-key.pem`,
      ]);
      // `inspect` relays the connection and narrates it from its worker.
      let relay: Peer | undefined;
      try {
        const port = (await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1];
        relay = new Peer(bin, ["inspect", "--listen", "127.0.0.1:0", "--to", `127.0.0.1:${port}`]);
        const relayPort = (await relay.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1];
        const client = new Peer(bin, [
          "connect",
          `localhost:${relayPort}`,
          "--ca",
          `${dir}/certs/ca.pem`,
          "--keylog",
          `${dir}/keys`,
          "--trace",
        ]);
        await client.write("hello from the binary\n");
        await client.closeStdin();
        const status = await client.exited();
        assert.equal(status.code, 0, client.output);
        assert.match(client.output, /hello from the binary/);
        assert.match(client.output, /client → server {2}ClientHello · plaintext/);
        assert.match(await Deno.readTextFile(`${dir}/keys`), /^CLIENT_TRAFFIC_SECRET_0 /m);
        await relay.waitFor(/#1 server → client {2}ServerHello · plaintext[^]*#1 closed: relayed/);
      } finally {
        await relay?.kill();
        await server.kill();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
