/**
 * A TLS client over `WebSocketTransport`, outside a browser: run as
 * `deno run --cert CA --allow-net --allow-read bridge_client.ts URL CA BYTES`
 * (Deno's WebSocket trusts the outer server's CA through `--cert`). It
 * handshakes through the bridge at URL, verifying against CA, sends BYTES
 * bytes of a pattern, half-closes, reads the echo to close_notify, and
 * prints `echoed N bytes, same: true|false, SUITE GROUP`.
 *
 * @module
 */

import {
  Connection,
  parseTrustAnchors,
  PathVerifier,
  TlsConn,
  WebSocketTransport,
} from "../../lib/mod.ts";

if (import.meta.main) {
  const [url, caFile, size] = Deno.args;
  const verifier = new PathVerifier(parseTrustAnchors(await Deno.readTextFile(caFile)));
  const transport = await WebSocketTransport.open(url);
  const conn = new TlsConn(Connection.client({ serverName: "localhost", verifier }), transport);
  const info = await conn.handshake();
  const data = new Uint8Array(Number(size)).map((_, i) => (i * 7) % 251);
  const sending = (async () => {
    await conn.write(data);
    await conn.closeWrite();
  })();
  const echoed: number[] = [];
  for await (const chunk of conn.readable) echoed.push(...chunk);
  await sending;
  await conn.close();
  const same = echoed.length === data.length && echoed.every((b, i) => b === data[i]);
  console.log(`echoed ${echoed.length} bytes, same: ${same}, ${info.cipherSuite} ${info.group}`);
}
