/** Cache and watch collectors on a real store, scraped from their registry. */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { CacheError, GpuStore, type WatchSink } from "../../src/cache/mod.ts";
import { CacheCollectors } from "../../src/metrics/mod.ts";
import { scrapeRegistry } from "./_exposition.ts";

const PROVIDER = { provider: "nvml" };
const ANONYMOUS = { provider: "" };

function setup(options: { watchQueueSize?: number } = {}) {
  const registry = new Registry();
  const collectors = new CacheCollectors(registry);
  const store = new GpuStore({
    initialVersion: 100,
    limits: { watchQueueSize: options.watchQueueSize ?? 1024 },
    schedule: (flush) => flush(), // watch events reach sinks right after each write
    ...collectors.hooks,
  });
  collectors.bind(store);
  return { registry, collectors, store };
}

function gpu(name: string, ...statuses: string[]) {
  return {
    metadata: { name },
    spec: { uuid: `GPU-${name}` },
    status: { conditions: statuses.map((status, i) => ({ type: `C${i}`, status })) },
  };
}

// A sink that accepts `accept` writes, then pushes back forever.
function sink(accept = Infinity): WatchSink & { failed: CacheError[] } {
  let writes = 0;
  const failed: CacheError[] = [];
  return { failed, write: () => ++writes <= accept, fail: (e) => void failed.push(e) };
}

Deno.test("CacheCollectors gauges count GPUs per health class at scrape time", async () => {
  const { registry, store } = setup();
  await store.create(gpu("a", "True", "True"), PROVIDER);
  await store.create(gpu("b", "True", "False"), PROVIDER);
  await store.create(gpu("c"), PROVIDER);
  await store.create(gpu("d", "Unknown"), PROVIDER);
  let m = await scrapeRegistry(registry);
  assert.equal(m.value("device_api_server_cache_gpus_total"), 4);
  assert.equal(m.value("device_api_server_cache_gpus_healthy"), 1);
  assert.equal(m.value("device_api_server_cache_gpus_unhealthy"), 1);
  assert.equal(m.value("device_api_server_cache_gpus_unknown"), 2);
  assert.equal(m.value("device_api_server_cache_resource_version"), 104);

  // No timer: the next scrape sees the writes made since the last one.
  await store.updateStatus(
    { name: "b", status: { conditions: [{ type: "C0", status: "True" }] } },
    PROVIDER,
  );
  await store.delete("", "d", PROVIDER);
  m = await scrapeRegistry(registry);
  assert.equal(m.value("device_api_server_cache_gpus_total"), 3);
  assert.equal(m.value("device_api_server_cache_gpus_healthy"), 2);
  assert.equal(m.value("device_api_server_cache_gpus_unhealthy"), 0);
  assert.equal(m.value("device_api_server_cache_gpus_unknown"), 1);
  assert.equal(m.value("device_api_server_cache_resource_version"), store.resourceVersion);
  assert.equal(store.resourceVersion, 106);
});

Deno.test("CacheCollectors gauges read 0 before a store is bound", async () => {
  const registry = new Registry();
  new CacheCollectors(registry);
  const m = await scrapeRegistry(registry);
  for (const name of ["total", "healthy", "unhealthy", "unknown"]) {
    assert.equal(m.value(`device_api_server_cache_gpus_${name}`), 0);
  }
  assert.equal(m.value("device_api_server_cache_resource_version"), 0);
  assert.equal(m.value("device_api_server_watch_streams_active"), 0);
});

Deno.test("CacheCollectors.bind() throws when a store is already bound", () => {
  const { collectors, store } = setup();
  assert.throws(
    () => collectors.bind(store),
    /Cannot bind the cache metrics: a store is already bound/,
  );
});

Deno.test("CacheCollectors.hooks count writes by operation and provider, '' as anonymous", async () => {
  const { registry, store } = setup();
  await store.create(gpu("a"), PROVIDER);
  await store.create(gpu("b"), ANONYMOUS);
  await store.create(gpu("a"), PROVIDER); // same uuid: no write
  await store.update({ ...gpu("a"), metadata: { name: "a", labels: { x: "y" } } }, ANONYMOUS);
  await store.updateStatus(
    { name: "a", status: { conditions: [{ type: "R", status: "True" }] } },
    PROVIDER,
  );
  await store.setConditions(
    { name: "a", set: [{ type: "S", status: "True" }], remove: [] },
    PROVIDER,
  );
  await store.delete("", "b", ANONYMOUS);
  await assert.rejects(store.delete("", "b", ANONYMOUS)); // not found: no write
  const m = await scrapeRegistry(registry);
  const updates = (operation: string, provider: string) =>
    m.value("device_api_server_cache_updates_total", { operation, provider });
  assert.equal(updates("create", "nvml"), 1);
  assert.equal(updates("create", "anonymous"), 1);
  assert.equal(updates("update", "anonymous"), 1);
  assert.equal(updates("update_status", "nvml"), 1);
  assert.equal(updates("set_conditions", "nvml"), 1);
  assert.equal(updates("delete", "anonymous"), 1);
  assert.equal(m.find("device_api_server_cache_updates_total").length, 6);
  assert.equal(m.find("device_api_server_cache_updates_total", { provider: "" }).length, 0);
  assert.equal(m.value("device_api_server_watch_events_total", { type: "ADDED" }), 2);
  assert.equal(m.value("device_api_server_watch_events_total", { type: "MODIFIED" }), 3);
  assert.equal(m.value("device_api_server_watch_events_total", { type: "DELETED" }), 1);
});

Deno.test("CacheCollectors export every watch event type at 0 before any write", async () => {
  const { registry } = setup();
  const m = await scrapeRegistry(registry);
  for (const type of ["ADDED", "MODIFIED", "DELETED"]) {
    assert.equal(m.value("device_api_server_watch_events_total", { type }), 0);
  }
  assert.equal(m.value("device_api_server_watch_evictions_total"), 0);
  assert.equal(m.types.get("device_api_server_cache_lock_wait_seconds"), "histogram");
});

Deno.test("CacheCollectors count open watch streams and evictions", async () => {
  const { registry, store } = setup({ watchQueueSize: 2 });
  await store.create(gpu("a"), PROVIDER);
  const fast = await store.watch({ fromVersion: null, bookmarks: false, sink: sink() });
  const slow = sink(1); // takes the snapshot's ADDED, then pushes back
  await store.watch({ fromVersion: null, bookmarks: false, sink: slow });
  let m = await scrapeRegistry(registry);
  assert.equal(m.value("device_api_server_watch_streams_active"), 2);
  assert.equal(m.value("device_api_server_watch_queued_bytes"), 0, "nothing waits yet");

  await store.updateStatus({ name: "a", status: { recommendedAction: "r" } }, PROVIDER);
  await store.updateStatus({ name: "a", status: { recommendedAction: "r0" } }, PROVIDER);
  m = await scrapeRegistry(registry);
  assert.ok(m.value("device_api_server_watch_queued_bytes")! > 0, "the slow watcher's event waits");
  for (let i = 1; i < 4 && slow.failed.length === 0; i++) {
    await store.updateStatus({ name: "a", status: { recommendedAction: `r${i}` } }, PROVIDER);
  }
  assert.equal(slow.failed.length, 1, "the slow watcher was evicted");
  m = await scrapeRegistry(registry);
  assert.equal(m.value("device_api_server_watch_queued_bytes"), 0, "its events left with it");
  assert.equal(m.value("device_api_server_watch_evictions_total"), 1);
  assert.equal(m.value("device_api_server_watch_streams_active"), 1);
  fast.close();
  m = await scrapeRegistry(registry);
  assert.equal(m.value("device_api_server_watch_streams_active"), 0);
  assert.equal(m.value("device_api_server_watch_evictions_total"), 1, "a close is no eviction");
});

Deno.test("CacheCollectors.hooks observe lock waits in seconds by side", async () => {
  const { registry, collectors, store } = setup();
  await store.create(gpu("a"), PROVIDER); // one write acquisition
  await store.get("", "a"); // one read acquisition
  await store.list(); // another
  collectors.hooks.onLockAcquire("write", 0.003); // 3 µs
  const m = await scrapeRegistry(registry);
  const bucket = (lock: string, le: string) =>
    m.value("device_api_server_cache_lock_wait_seconds_bucket", { lock, le });
  assert.equal(m.value("device_api_server_cache_lock_wait_seconds_count", { lock: "read" }), 2);
  assert.equal(m.value("device_api_server_cache_lock_wait_seconds_count", { lock: "write" }), 2);
  assert.equal(bucket("write", "0.000001"), 1, "the uncontended write waited 0");
  assert.equal(bucket("write", "0.000005"), 2, "3 µs falls in the 5 µs bucket");
  assert.equal(bucket("write", "+Inf"), 2);
  const sum = m.value("device_api_server_cache_lock_wait_seconds_sum", { lock: "write" });
  assert.ok(Math.abs(sum - 0.000003) < 1e-12, `sum ${sum}`);
});
