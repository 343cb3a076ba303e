/** createMetrics() and createRegistry(): server state gauges and the default process metrics. */
import assert from "node:assert/strict";
import { register as globalRegistry } from "prom-client";
import { createMetrics, createRegistry } from "../../src/metrics/mod.ts";
import { scrapeRegistry } from "./_exposition.ts";

Deno.test("createMetrics() exports info with the versions, and up and nvml_up from the setters", async () => {
  const metrics = createMetrics({ version: "1.2.3", denoVersion: "9.9.9" });
  let m = await scrapeRegistry(metrics.registry);
  assert.equal(m.value("device_api_server_info", { version: "1.2.3", deno_version: "9.9.9" }), 1);
  assert.equal(m.find("device_api_server_info").length, 1);
  assert.equal(m.value("device_api_server_up"), 0);
  assert.equal(m.value("device_api_server_nvml_up"), 0);
  metrics.setUp(true);
  metrics.nvml.onState("running");
  m = await scrapeRegistry(metrics.registry);
  assert.equal(m.value("device_api_server_up"), 1);
  assert.equal(m.value("device_api_server_nvml_up"), 1);
  metrics.setUp(false);
  metrics.nvml.onState("failed");
  m = await scrapeRegistry(metrics.registry);
  assert.equal(m.value("device_api_server_up"), 0);
  assert.equal(m.value("device_api_server_nvml_up"), 0);
});

Deno.test("createMetrics() defaults deno_version to the running Deno", async () => {
  const m = await scrapeRegistry(createMetrics({ version: "1.2.3" }).registry);
  assert.equal(m.find("device_api_server_info")[0]?.labels.deno_version, Deno.version.deno);
});

Deno.test("createMetrics() uses a registry of its own, never prom-client's global one", async () => {
  const a = createMetrics({ version: "a" });
  const b = createMetrics({ version: "b" });
  assert.notEqual(a.registry, globalRegistry);
  assert.notEqual(a.registry, b.registry);
  a.setUp(true);
  assert.equal((await scrapeRegistry(b.registry)).value("device_api_server_up"), 0);
  assert.equal(globalRegistry.getSingleMetric("device_api_server_up"), undefined);
});

Deno.test("createMetrics() registers every documented metric family", async () => {
  const m = await scrapeRegistry(createMetrics({ version: "x" }).registry);
  const expected: Record<string, string> = {
    device_api_server_info: "gauge",
    device_api_server_up: "gauge",
    device_api_server_nvml_up: "gauge",
    device_api_server_cache_gpus_total: "gauge",
    device_api_server_cache_gpus_healthy: "gauge",
    device_api_server_cache_gpus_unhealthy: "gauge",
    device_api_server_cache_gpus_unknown: "gauge",
    device_api_server_cache_updates_total: "counter",
    device_api_server_cache_lock_wait_seconds: "histogram",
    device_api_server_cache_resource_version: "gauge",
    device_api_server_watch_streams_active: "gauge",
    device_api_server_watch_queued_bytes: "gauge",
    device_api_server_watch_events_total: "counter",
    device_api_server_watch_evictions_total: "counter",
    grpc_server_started_total: "counter",
    grpc_server_handled_total: "counter",
    grpc_server_msg_received_total: "counter",
    grpc_server_msg_sent_total: "counter",
    grpc_server_handling_seconds: "histogram",
  };
  for (const [name, type] of Object.entries(expected)) assert.equal(m.types.get(name), type, name);
});

Deno.test("createRegistry() holds prom-client's default process and runtime metrics", async () => {
  const m = await scrapeRegistry(createRegistry({ procReadable: true }));
  for (
    const name of [
      "process_cpu_seconds_total",
      "process_start_time_seconds",
      "nodejs_heap_size_used_bytes",
    ]
  ) {
    assert.ok(m.types.has(name), name);
  }
  assert.ok(m.value("process_resident_memory_bytes") > 0);
});

Deno.test("createRegistry() reports resident memory without /proc and leaves /proc-only metrics out", async () => {
  const m = await scrapeRegistry(createRegistry({ procReadable: false }));
  assert.ok(m.value("process_resident_memory_bytes") > 0);
  for (const name of ["process_virtual_memory_bytes", "process_heap_bytes", "process_open_fds"]) {
    assert.equal(m.types.has(name), false, name);
  }
  assert.ok(m.types.has("process_cpu_seconds_total"));
});
