/**
 * A client's GOAWAY cannot take the server down (denoland/deno#36788). On
 * Deno 2.9.6 `node:http2` destroys a session with no open stream inside
 * nghttp2's callback for a GOAWAY it receives; nghttp2 then walks the freed
 * session, and the process aborts in `find_stream_on_goaway_func`,
 * segfaults, or corrupts its heap. Clients send a GOAWAY whenever they close
 * a channel. A watcher the server evicted while its transport was full
 * leaves a stream nghttp2 still holds, which makes the crash likely: before
 * the fix, six such rounds crashed the server in 4 of 6 tests here (Unix
 * socket or plaintext TCP) and in every run of this file, and in 2 of 3 runs
 * over TLS. Every listener now neutralizes the client's GOAWAY frames
 * (src/server/goaway_filter.ts), and the server learns of the close from
 * the socket.
 *
 * Each round: a watcher stops reading, a provider writes until the server
 * evicts it, the client drains what was delivered and closes. The server must
 * notice the close, keep serving, and stop gracefully with exit status 0.
 *
 * @module
 */
import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { disconnected, startServer } from "../_helpers/server_process.ts";
import { makePki, tlsClient } from "../tls/_pki.ts";

const ROUNDS = 6;
const BLOB = 60_000;
const MAX_WRITES = 2_000;

for (const transport of ["unix", "tcp", "tls"] as const) {
  Deno.test(`clients closing after their watch was evicted leave the server serving (${transport})`, async () => {
    const pki = transport === "tls" ? await makePki() : undefined;
    await using server = await startServer({
      noTcp: transport === "unix",
      args: [
        "--watch-queue-size=4",
        ...(pki
          ? [`--tls-cert-file=${pki.server1.certFile}`, `--tls-key-file=${pki.server1.keyFile}`]
          : []),
      ],
    });
    const client = () =>
      pki ? tlsClient(server.tcpAddress, pki.ca1) : new DeviceApiClient(
        transport === "unix" ? `unix://${server.socket}` : server.tcpAddress,
      );
    const listeners = transport === "unix"
      ? { dir: server.dir }
      : { tcpAddress: server.tcpAddress };
    const evictions = () =>
      server.logs.filter((l) => l.msg === "Evicted a watcher that fell behind");
    for (let round = 1; round <= ROUNDS; round++) {
      const writer = client();
      const reader = client();
      const name = `gpu-${round}`;
      await writer.create({ metadata: { name }, spec: { uuid: `GPU-${round}` } });
      const watch = reader.watch({});
      await watch.next(); // open, then never read until the eviction
      for (let i = 0; evictions().length < round; i++) {
        assert.ok(i < MAX_WRITES, `no eviction after ${MAX_WRITES} writes`);
        const blob = String(i).padEnd(BLOB, "x");
        await writer.update({
          metadata: { name, annotations: { "example.com/blob": blob } },
          spec: { uuid: `GPU-${round}` },
        });
      }
      await assert.rejects(
        async () => {
          for await (const _ of watch) { /* what was delivered before the eviction */ }
        },
        (err: unknown) => (err as grpc.ServiceError).code === 8,
      );
      writer.close(); // each sends a GOAWAY, then closes its connection
      reader.close();
      await disconnected(listeners);
      const check = client();
      const { items } = await check.list();
      check.close();
      assert.equal(items.length, round, `round ${round}: the server still answers`);
      await disconnected(listeners);
    }
    const status = await server.stop("SIGTERM");
    assert.equal(status.signal, null, `the server ended by ${status.signal}`);
    assert.equal(status.code, 0);
    assert.ok(server.logs.some((l) => l.msg === "Server stopped" && l.graceful === true));
  });
}
