/**
 * Hundreds of watchers over a few connections, some of which never read:
 * the slow ones are evicted with RESOURCE_EXHAUSTED, the server's memory
 * stays bounded, writes keep completing, and every healthy watcher receives
 * every event in order.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { RawClient, type RawWatch } from "./_raw_client.ts";
import {
  countLogs,
  metric,
  scrape,
  startMeteredServer,
  SUBPROCESS_TEST,
  vmRssBytes,
  waitUntil,
} from "./_server.ts";
import { eventVersion } from "./_wire.ts";

const CONNECTIONS = 10;
const SLOW_CONNECTIONS = 4; // the rest carry healthy watchers only
const WATCHERS_PER_CONNECTION = 30;
const QUEUE_SIZE = 32;
const PAD_BYTES = 1024; // per event
const LAG = 4;
const RSS_LIMIT = 300 * 1024 * 1024;
const EVICTED = "Evicted a watcher that fell behind";
const MAX_WRITES = 3000;
const WRITES_AFTER_EVICTIONS = 30;

Deno.test(
  "slow watchers are evicted, memory stays bounded, writers and healthy watchers are unaffected",
  SUBPROCESS_TEST,
  async () => {
    await using server = await startMeteredServer([
      "--grpc-address=",
      `--watch-queue-size=${QUEUE_SIZE}`,
      "--max-watchers=400",
      "--v=0",
    ]);
    const target = `unix://${server.socket}`;
    const writer = new DeviceApiClient(target, {
      provider: "writer",
      channelOptions: { "grpc.use_local_subchannel_pool": 1 },
    });
    const connections = Array.from({ length: CONNECTIONS }, () => new RawClient(target));
    let maxRss = 0;
    const sampler = setInterval(() => {
      try {
        maxRss = Math.max(maxRss, vmRssBytes(server.child.pid));
      } catch { /* the server is gone: the assertions below say why */ }
    }, 50);
    try {
      const pad = "p".repeat(PAD_BYTES);
      const created = await writer.create({
        metadata: { name: "gpu-0", annotations: { pad } },
        spec: { uuid: "GPU-0" },
      });
      const slow: RawWatch[] = [];
      const healthy: RawWatch[] = [];
      connections.forEach((raw, c) => {
        for (let i = 0; i < WATCHERS_PER_CONNECTION; i++) {
          (c < SLOW_CONNECTIONS ? slow : healthy).push(raw.watch(new Uint8Array(0)));
        }
      });
      // Every watcher has its snapshot before the first write; the slow ones then stop reading.
      await Promise.all([...slow, ...healthy].map((w) => w.waitFor(1)));
      for (const w of slow) w.call.pause();

      const writes: number[] = [];
      let evictedAt = -1;
      for (let i = 0; i < MAX_WRITES; i++) {
        const gpu = await writer.updateStatus("gpu-0", {
          conditions: [{ type: "Ready", status: i % 2 ? "True" : "False", message: `write ${i}` }],
        });
        writes.push(gpu.resourceVersion);
        // Healthy watchers read in this process: never let them lag more than LAG writes, so
        // that only the paused ones can fall behind. Slow watchers never hold the writer back.
        if (i >= LAG) await Promise.all(healthy.map((w) => w.waitFor(2 + i - LAG)));
        if (evictedAt < 0 && countLogs(server, EVICTED) >= slow.length) evictedAt = i;
        if (evictedAt >= 0 && i - evictedAt >= WRITES_AFTER_EVICTIONS) break;
      }
      assert.ok(evictedAt >= 0, `every slow watcher is evicted within ${MAX_WRITES} writes`);
      const last = writes.at(-1)!;

      // Every healthy watcher gets the snapshot, then every write in order, none missing.
      await waitUntil(
        "every healthy watcher has the last write",
        () =>
          healthy.every((w) =>
            w.events.length > 0 && eventVersion(w.events.at(-1)!).version === last
          ),
      );
      for (const [i, w] of healthy.entries()) {
        const versions = w.events.map((e) => eventVersion(e).version);
        assert.deepEqual(
          versions,
          [created.gpu.resourceVersion, ...writes],
          `healthy watcher ${i}`,
        );
      }
      const text = await scrape(server.metricsPort);
      assert.equal(metric(text, "device_api_server_watch_evictions_total"), slow.length);
      assert.equal(metric(text, "device_api_server_watch_streams_active"), healthy.length);
      assert.equal(countLogs(server, EVICTED), slow.length);

      // A slow watcher reads what was sent before its eviction: a gap-free prefix, then the status.
      for (const w of slow) w.call.resume();
      for (const [i, w] of slow.entries()) {
        const end = await w.ended;
        assert.equal(end.code, status.RESOURCE_EXHAUSTED, `slow watcher ${i}: ${end.details}`);
        assert.match(end.details, /re-list and re-watch/);
        const versions = w.events.map((e) => eventVersion(e).version);
        assert.deepEqual(versions, [
          created.gpu.resourceVersion,
          ...writes.slice(0, versions.length - 1),
        ]);
      }
      for (const w of healthy) w.call.cancel();
      await waitUntil(
        "the server has no watch streams left",
        async () =>
          metric(await scrape(server.metricsPort), "device_api_server_watch_streams_active") === 0,
      );
      assert.ok(maxRss < RSS_LIMIT, `server RSS peaked at ${maxRss} bytes`);
    } finally {
      clearInterval(sampler);
      for (const raw of connections) raw.close();
      writer.close();
    }
  },
);
