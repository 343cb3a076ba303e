/**
 * The plaintext TCP listener the server owns (src/server/tcp_listener.ts):
 * `localhost` serves on both loopback addresses on one port, as grpc-js's
 * bind did, and a port in use is a clear start error.
 */
import assert from "node:assert/strict";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { LAUNCHER, startServer } from "../_helpers/server_process.ts";
import { startWithMetrics } from "../metrics/_metrics_server.ts";

function hasIpv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("--grpc-address=localhost:0 serves on 127.0.0.1 and on ::1, on one port, under the start task's permissions", async () => {
  await using server = await startServer({
    command: [...LAUNCHER],
    noTcp: true,
    args: ["--grpc-address=localhost:0"],
  });
  try {
    const port = server.logs.find((l) => l.msg === "Listening on TCP")?.port;
    assert.ok(typeof port === "number" && port > 0, "the bound port is logged");
    const targets = [`127.0.0.1:${port}`, ...(hasIpv6Loopback() ? [`[::1]:${port}`] : [])];
    for (const target of targets) {
      const client = new DeviceApiClient(target);
      try {
        assert.deepEqual((await client.list()).items, [], `ListGpus over ${target}`);
      } finally {
        client.close();
      }
    }
  } finally {
    // A graceful stop through the launcher, which forwards SIGTERM to the server.
    assert.equal((await server.stop("SIGTERM")).code, 0);
  }
});

Deno.test("a TCP port already in use stops the start with the address in the error", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    await using server = await startServer({
      noTcp: true,
      noWait: true,
      args: [`--grpc-address=127.0.0.1:${port}`],
    });
    const status = await server.status;
    assert.notEqual(status.code, 0);
    const text = server.logs.map((l) => JSON.stringify(l)).join("\n");
    assert.match(text, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}`));
  } finally {
    taken.close();
  }
});

Deno.test("a TCP address the runtime may not listen on stops the start with a clear error", async () => {
  await using server = await startServer({
    denoFlags: ["-A", "--deny-net=127.0.0.1"],
    noTcp: true,
    noWait: true,
    args: ["--grpc-address=127.0.0.1:0"],
  });
  const status = await server.status;
  assert.equal(status.signal, null, "an error exit, not a crash");
  assert.notEqual(status.code, 0);
  const text = server.logs.map((l) => JSON.stringify(l)).join("\n");
  assert.match(text, /Cannot listen on 127\.0\.0\.1:0: no net permission for 127\.0\.0\.1:0/);
});

Deno.test("device_api_server_connections counts the TCP listener's open connections", async () => {
  const { server, scrape } = await startWithMetrics();
  await using _server = server;
  const tcp = async () =>
    (await scrape()).value("device_api_server_connections", { listener: "tcp" });
  assert.equal(await tcp(), 0);
  // A connection each: grpc-js's shared pool would give both clients one.
  const own = { channelOptions: { "grpc.use_local_subchannel_pool": 1 } };
  const clients = [
    new DeviceApiClient(server.tcpAddress, own),
    new DeviceApiClient(server.tcpAddress, own),
  ];
  try {
    for (const c of clients) await c.list();
    assert.equal(await tcp(), 2, "one connection per client");
  } finally {
    for (const c of clients) c.close();
  }
  await server.disconnected();
  assert.equal(await tcp(), 0);
});
