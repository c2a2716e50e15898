/**
 * Headless Chromium resumes its session with `serve --mode http` on a
 * second page load (RFC 8446 §2.2): one browser process (so its in-memory
 * session cache is kept) loads the page twice over two TLS connections.
 * Every request asks for `Connection: close` (set over the DevTools
 * protocol), which the server honours by closing the connection after its
 * response, so the second load needs a new handshake. The page describes the
 * connection it came over: the first a full handshake that sent tickets, the
 * second one that offered pre_shared_key and got no Certificate; the server's
 * log says "resumed (psk_dhe_ke)".
 */

import assert from "node:assert/strict";
import { withChromiumPage } from "./helpers/chromium.ts";
import { startServe } from "./helpers/cli.ts";
import { need, runCa } from "./helpers/commands.ts";

const chromium = await need("the Chromium resumption test", "chromium", "certutil");

Deno.test({
  name: "http mode: headless Chromium resumes with a ticket on its second page load",
  ignore: !chromium,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "handshake-chromium-resume-" });
    try {
      const made = await runCa(dir);
      assert.equal(made.code, 0, made.stderr);
      const server = await startServe([
        "--cert",
        `${dir}/server.pem`,
        "--key",
        `${dir}/server-key.pem`,
        "--mode",
        "http",
      ]);
      try {
        const url = `https://localhost:${server.port}/`;
        const [first, second] = await withChromiumPage(
          "about:blank",
          `${dir}/ca.pem`,
          async (page) => {
            await page.call("Network.enable");
            await page.call("Network.setExtraHTTPHeaders", { headers: { Connection: "close" } });
            const load = async () => {
              await page.call("Page.navigate", { url });
              return String(
                // A new, fully loaded document (the previous one is marked as read).
                await page.waitFor(
                  `document.readyState === "complete" && !window.read && (window.read = true) &&
                    document.querySelector("h1")?.textContent.includes("handshake") &&
                    document.body.innerText`,
                ),
              );
            };
            const first = await load();
            // Chromium preconnects a spare socket with the first navigation, before any
            // ticket exists; a request from the page uses it up (Connection: close), so
            // the second load needs a handshake made after the tickets arrived.
            await page.call("Runtime.evaluate", {
              expression: `fetch("/json").then((r) => r.text())`,
              awaitPromise: true,
            });
            return [first, await load()];
          },
        );
        // Each page describes the connection it came over (the server's own record of it).
        const messages = (text: string) =>
          text.slice(
            text.indexOf("The messages of this connection"),
            text.indexOf("The certificate chain served"),
          );
        const extensions = (text: string) => text.match(/extensions, in order\t(.*)/)?.[1] ?? "";
        assert.doesNotMatch(extensions(first), /pre_shared_key/, "a fresh profile has no ticket");
        assert.match(messages(first), /Certificate \(handshake keys\)/);
        assert.match(messages(first), /NewSessionTicket \(application keys\)/);
        assert.match(first, /server signature\tecdsa_secp256r1_sha256/);
        assert.match(first, /subject\tCN=localhost/, "the chain Chromium verified with the CA");
        assert.match(
          extensions(second),
          /pre_shared_key \(\d+\)\s*$/,
          `the ticket, offered last: ${extensions(second)}\n${server.peer.output}`,
        );
        assert.doesNotMatch(messages(second), /Certificate/, "a resumed handshake sends none");
        assert.match(second, /server signature\tnone/);
        const lines = server.peer.output.split("\n");
        const full = lines.filter((l) => /alpn=http\/1\.1 {2}ok, served 1 request/.test(l));
        const resumed = lines.filter((l) =>
          /alpn=http\/1\.1 resumed \(psk_dhe_ke\) {2}ok, served 1 request/.test(l)
        );
        assert.ok(full.length >= 1, server.peer.output);
        assert.ok(resumed.length >= 1, server.peer.output);
      } finally {
        await server.peer.kill();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
