/**
 * `handshake demo`: the whole tool in one command, on loopback. Makes
 * certificates if there are none, starts a server, connects to it twice
 * (once plainly, once in a way that needs a HelloRetryRequest), exchanges
 * data, prints what happened, and shuts down.
 *
 * @module
 */

import { connect as tlsConnect } from "../lib/net.ts";
import { NamedGroup } from "../lib/codepoints.ts";
import type { ClientConfig } from "../lib/config.ts";
import { CipherSuite } from "../lib/codepoints.ts";
import { loadTrustAnchors } from "../lib/deno/trust_files.ts";
import { PathVerifier } from "../lib/x509/verify.ts";
import { ca } from "./ca.ts";
import { parseFlags } from "./common.ts";
import { loadCertificatePair } from "./credentials.ts";
import { CRYPTO_FLAGS, CRYPTO_HELP, loadCrypto } from "./crypto_flag.ts";
import { connectionLine, startServer } from "./serve.ts";

const HELP =
  `handshake demo: make certificates (if missing), serve, connect, exchange data, shut down

Usage: handshake demo [--out certs] [--crypto webcrypto|openssl]

${CRYPTO_HELP}`;

const FLAGS = {
  out: { type: "string", default: "certs" },
  ...CRYPTO_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** `handshake demo`. */
export async function demo(argv: string[]): Promise<number> {
  const { values } = parseFlags("demo", argv, FLAGS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const dir = values.out;
  const crypto = await loadCrypto(values.crypto);
  const say = (line: string) => console.log(line);

  say(`1. Certificates in ${dir}/`);
  if (await exists(`${dir}/server.pem`) && await exists(`${dir}/ca.pem`)) {
    say(`   found ${dir}/ca.pem and ${dir}/server.pem (delete them to make new ones)`);
  } else {
    const status = await ca(["--out", dir]);
    if (status !== 0) return status;
  }

  say("\n2. Server");
  const certificate = await loadCertificatePair(
    `${dir}/server.pem`,
    `${dir}/server-key.pem`,
    crypto,
  );
  const server = startServer({
    host: "127.0.0.1",
    port: 0,
    // The hybrid first, then x25519 and P-256: a client whose one key share is for P-384 is asked
    // again (HelloRetryRequest).
    config: {
      crypto,
      certificate,
      alpn: ["demo/1"],
      groups: [NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.secp256r1],
    },
    handshakeTimeoutMs: 10_000,
    log: (r) => say(`   [server] ${connectionLine(r)}`),
  });
  say(
    `   handshake serve listening on 127.0.0.1:${server.addr.port} (echo; ${crypto.name} crypto)`,
  );

  const verifier = new PathVerifier(await loadTrustAnchors(`${dir}/ca.pem`));
  const base: ClientConfig = { crypto, serverName: "localhost", verifier, alpn: ["demo/1"] };
  try {
    say(
      "\n3. Client, with the defaults (X25519MLKEM768 and x25519 key shares, AES-128-GCM): the server takes the post-quantum hybrid",
    );
    await exchange(server.addr.port, base, [
      "hello, TLS 1.3",
      "every byte of this line was encrypted by code in lib/",
    ]);

    say(
      "\n4. Client whose key share is for secp384r1, which the server does not take: it asks again for x25519 (HelloRetryRequest)",
    );
    await exchange(server.addr.port, {
      ...base,
      groups: [NamedGroup.secp384r1, NamedGroup.x25519],
      cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384],
    }, ["second connection, AES-256-GCM with SHA-384"]);
  } finally {
    await server.close();
  }
  say("\n5. Done: server stopped. Try it in two shells:");
  say("     deno task serve");
  say("     echo hi | deno task connect");
  return 0;
}

/** Connects, sends each line, prints its echo, closes cleanly. */
async function exchange(port: number, config: ClientConfig, lines: string[]): Promise<void> {
  const started = performance.now();
  const conn = await tlsConnect({ hostname: "127.0.0.1", port, ...config });
  const info = await conn.handshake();
  const ms = (performance.now() - started).toFixed(1);
  console.log(
    `   [client] handshake done in ${ms} ms: ${info.cipherSuite}, ${info.group}` +
      `${
        info.helloRetry ? " (after HelloRetryRequest)" : ""
      }, server signed with ${info.signatureScheme}, ` +
      `ALPN ${info.alpn}, certificate verified for "localhost"`,
  );
  const buf = new Uint8Array(4096);
  for (const line of lines) {
    await conn.write(new TextEncoder().encode(line + "\n"));
    let echoed = "";
    while (!echoed.endsWith("\n")) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("the server closed the connection early");
      echoed += new TextDecoder().decode(buf.subarray(0, n));
    }
    console.log(`   [client] sent "${line}", the server echoed "${echoed.trimEnd()}"`);
  }
  await conn.closeWrite();
  if ((await conn.read(buf)) !== null) throw new Error("unexpected data after the echo");
  await conn.close();
  console.log("   [client] closed with close_notify both ways");
}
