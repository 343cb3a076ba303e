/** MetricsHttpServer: /metrics over HTTP, 404 elsewhere, start and stop. */
import assert from "node:assert/strict";
import { Gauge, Registry } from "prom-client";
import { MetricsHttpServer } from "../../src/metrics/mod.ts";
import { parseExposition } from "./_exposition.ts";

function registryWithOneGauge(): Registry {
  const registry = new Registry();
  new Gauge({ name: "probe_value", help: "A test gauge.", registers: [registry] }).set(42);
  return registry;
}

Deno.test("MetricsHttpServer.start() binds port 0 to a real port and serves the registry", async () => {
  const registry = registryWithOneGauge();
  await using server = new MetricsHttpServer({ hostname: "127.0.0.1", port: 0, registry });
  const addr = await server.start();
  assert.equal(addr.hostname, "127.0.0.1");
  assert.ok(addr.port > 0);
  const res = await fetch(`http://127.0.0.1:${addr.port}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), registry.contentType);
  assert.equal(parseExposition(await res.text()).value("probe_value"), 42);
});

Deno.test("MetricsHttpServer answers 404 off /metrics and 405 to a write", async () => {
  await using server = new MetricsHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    registry: registryWithOneGauge(),
  });
  const { port } = await server.start();
  for (const path of ["/", "/metric", "/metrics/x", "/healthz"]) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    await res.body?.cancel();
    assert.equal(res.status, 404, path);
  }
  const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: "POST", body: "x" });
  await post.body?.cancel();
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  const head = await fetch(`http://127.0.0.1:${port}/metrics`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
});

Deno.test("MetricsHttpServer.stop() closes the listener", async () => {
  const server = new MetricsHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    registry: new Registry(),
  });
  const { port } = await server.start();
  await server.stop();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), TypeError);
});

Deno.test("MetricsHttpServer.start() throws when the port is taken or it already started", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const clash = new MetricsHttpServer({ hostname: "127.0.0.1", port, registry: new Registry() });
    await assert.rejects(
      clash.start(),
      new RegExp(`Cannot listen on 127.0.0.1:${port} for metrics`),
    );
  } finally {
    taken.close();
  }
  await using server = new MetricsHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    registry: new Registry(),
  });
  await server.start();
  await assert.rejects(server.start(), /Cannot start the metrics server: it was already started/);
});
