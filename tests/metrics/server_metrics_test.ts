/**
 * /metrics of the real server after real traffic: every metric, with its
 * labels, matches the RPCs made and the cache's state.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { ProviderClient } from "../../src/client/mod.ts";
import { VERSION } from "../../src/version/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { take } from "../_helpers/grpc_helpers.ts";
import { eventually } from "./_exposition.ts";
import { startWithMetrics } from "./_metrics_server.ts";

const opts = {};
const SERVICE = "nvidia.device.v1alpha1.GpuService";
const PROVIDER = "metrics-test";

function gpu(name: string, ...statuses: string[]) {
  return testGpu(name, `GPU-${name}`, {
    status: { conditions: statuses.map((s) => ({ type: "Ready", status: s })) },
  });
}

Deno.test(
  "/metrics of the real server counts every RPC and matches the cache after real traffic",
  opts,
  async () => {
    const { server, scrape } = await startWithMetrics({ args: ["--watch-queue-size=8"] });
    await using _server = server;
    const provider = server.client({ provider: PROVIDER });
    const anon = server.client();
    const slowClient = server.client();
    // Registered: only registered providers get their own `provider` label.
    const registration = new ProviderClient(`unix://${server.socket}`, { provider: PROVIDER });
    await registration.registerProvider({ leaseMs: 0 });
    registration.close();
    try {
      // Writes: 6 creates that commit, 1 that finds its twin, a delete, an update, a status.
      await provider.create(gpu("gpu-a", "True"));
      await provider.create(gpu("gpu-b", "False"));
      await anon.create(gpu("gpu-c"));
      await anon.create(gpu("gpu-d", "Unknown"));
      assert.equal((await provider.create(gpu("gpu-a", "True"))).created, false);
      await anon.create(gpu("gpu-e"));
      await anon.delete("gpu-e");
      await anon.update({
        metadata: { name: "gpu-d", labels: { pool: "x" } },
        spec: { uuid: "GPU-gpu-d" },
      });
      await provider.updateStatus("gpu-c", { conditions: [{ type: "Ready", status: "True" }] });
      await assert.rejects(
        provider.updateStatus("gpu-a", { conditions: [] }, 1),
        (e: { code: number }) => e.code === status.ABORTED,
      );
      // Reads: two found, one NOT_FOUND.
      await anon.get("gpu-a");
      await anon.get("gpu-b");
      await assert.rejects(
        anon.get("missing"),
        (e: { code: number }) => e.code === status.NOT_FOUND,
      );

      // A watch the client cancels, open while scraped.
      const watch = anon.watch();
      assert.equal((await take(watch, 4)).length, 4);
      assert.equal((await scrape()).value("device_api_server_watch_streams_active"), 1);
      watch.cancel();
      await eventually(async () => {
        const m = await scrape();
        assert.equal(
          m.value("grpc_server_handled_total", { grpc_method: "WatchGpus", grpc_code: "Canceled" }),
          1,
        );
        assert.equal(m.value("device_api_server_watch_streams_active"), 0);
      });
      // A watch the server refuses: too old a version.
      await assert.rejects(
        anon.watch({ resourceVersion: "1" }).next(),
        (e: { code: number }) => e.code === status.OUT_OF_RANGE,
      );

      // A watch that stops reading and is evicted while a provider keeps writing.
      await provider.create(testGpu("gpu-pad", "GPU-pad", {
        metadata: { name: "gpu-pad", annotations: { pad: "p".repeat(4000) } },
        status: { conditions: [{ type: "Ready", status: "True" }] },
      }));
      const slow = slowClient.grpc as unknown as {
        WatchGpus: (req: unknown) => ClientReadableStream<unknown>;
      };
      const slowCall = slow.WatchGpus({ opts: {} });
      const slowEnded = new Promise<number | undefined>((resolve) => {
        slowCall.on("error", (e) => resolve((e as { code: number }).code));
        slowCall.on("end", () => resolve(undefined));
      });
      await new Promise<void>((resolve) => slowCall.once("data", () => resolve()));
      slowCall.pause();
      const evicted = () => server.logs.some((l) => l.msg === "Evicted a watcher that fell behind");
      let padUpdates = 0;
      while (!evicted()) {
        assert.ok(padUpdates < 5000, "the slow watcher is evicted");
        await provider.updateStatus("gpu-pad", {
          conditions: [{ type: "Ready", status: "True", message: `update ${padUpdates}` }],
        });
        padUpdates++;
      }
      slowCall.resume();
      assert.equal(await slowEnded, status.RESOURCE_EXHAUSTED);

      const { resourceVersion } = await anon.list();
      const m = await eventually(async () => {
        const m = await scrape();
        assert.equal(
          m.value("grpc_server_handled_total", {
            grpc_method: "WatchGpus",
            grpc_code: "ResourceExhausted",
          }),
          1,
        );
        return m;
      });

      // Server state.
      assert.equal(
        m.value("device_api_server_info", { version: VERSION, deno_version: Deno.version.deno }),
        1,
      );
      assert.equal(m.value("device_api_server_up"), 1);
      assert.equal(m.value("device_api_server_nvml_up"), 0);
      assert.ok(m.value("process_resident_memory_bytes") > 0);
      assert.ok(m.types.has("nodejs_heap_size_used_bytes"));

      // Cache gauges: a, c, pad healthy; b unhealthy; d unknown.
      assert.equal(m.value("device_api_server_cache_gpus_total"), 5);
      assert.equal(m.value("device_api_server_cache_gpus_healthy"), 3);
      assert.equal(m.value("device_api_server_cache_gpus_unhealthy"), 1);
      assert.equal(m.value("device_api_server_cache_gpus_unknown"), 1);
      assert.equal(m.value("device_api_server_cache_resource_version"), Number(resourceVersion));
      assert.equal(m.value("device_api_server_watch_streams_active"), 0);

      // Cache counters.
      const updates = (operation: string, provider: string) =>
        m.value("device_api_server_cache_updates_total", { operation, provider });
      assert.equal(updates("create", PROVIDER), 3);
      assert.equal(updates("create", "anonymous"), 3);
      assert.equal(updates("delete", "anonymous"), 1);
      assert.equal(updates("update", "anonymous"), 1);
      assert.equal(updates("update_status", PROVIDER), 1 + padUpdates);
      assert.equal(m.find("device_api_server_cache_updates_total").length, 5);
      assert.equal(m.value("device_api_server_watch_events_total", { type: "ADDED" }), 6);
      assert.equal(
        m.value("device_api_server_watch_events_total", { type: "MODIFIED" }),
        2 + padUpdates,
      );
      assert.equal(m.value("device_api_server_watch_events_total", { type: "DELETED" }), 1);
      assert.equal(m.value("device_api_server_watch_evictions_total"), 1);
      const lockCount = (lock: string) =>
        m.value("device_api_server_cache_lock_wait_seconds_count", { lock });
      assert.ok(lockCount("read") >= 3 + 1 + 3, `read acquisitions ${lockCount("read")}`);
      assert.ok(lockCount("write") >= 7 + 1 + 1 + 2 + padUpdates, `writes ${lockCount("write")}`);
      assert.equal(
        m.value("device_api_server_cache_lock_wait_seconds_bucket", { lock: "write", le: "+Inf" }),
        lockCount("write"),
      );

      // gRPC: per method, started = handled = handling_seconds_count, by code.
      const expected: Record<
        string,
        { type: string; codes: Record<string, number>; sent?: number }
      > = {
        CreateGpu: { type: "unary", codes: { OK: 7 }, sent: 7 },
        DeleteGpu: { type: "unary", codes: { OK: 1 }, sent: 1 },
        UpdateGpu: { type: "unary", codes: { OK: 1 }, sent: 1 },
        UpdateGpuStatus: {
          type: "unary",
          codes: { OK: 1 + padUpdates, Aborted: 1 },
          sent: 1 + padUpdates,
        },
        GetGpu: { type: "unary", codes: { OK: 2, NotFound: 1 }, sent: 2 },
        ListGpus: { type: "unary", codes: { OK: 1 }, sent: 1 },
        WatchGpus: {
          type: "server_stream",
          codes: { Canceled: 1, OutOfRange: 1, ResourceExhausted: 1 },
        },
      };
      for (const [method, e] of Object.entries(expected)) {
        const l = { grpc_type: e.type, grpc_service: SERVICE, grpc_method: method };
        const calls = Object.values(e.codes).reduce((a, b) => a + b, 0);
        assert.equal(m.value("grpc_server_started_total", l), calls, `${method} started`);
        assert.equal(m.value("grpc_server_msg_received_total", l), calls, `${method} received`);
        assert.equal(m.value("grpc_server_handling_seconds_count", l), calls, `${method} timed`);
        for (const [code, n] of Object.entries(e.codes)) {
          assert.equal(
            m.value("grpc_server_handled_total", { ...l, grpc_code: code }),
            n,
            `${method} ${code}`,
          );
        }
        assert.equal(
          m.find("grpc_server_handled_total", l).length,
          Object.keys(e.codes).length,
          method,
        );
        if (e.sent !== undefined) {
          assert.equal(m.value("grpc_server_msg_sent_total", l), e.sent, `${method} sent`);
        }
      }
      // The cancelled watch got its 4 ADDED events, the evicted one at least one.
      const watchSent = m.value("grpc_server_msg_sent_total", { grpc_method: "WatchGpus" });
      assert.ok(watchSent >= 5, `WatchGpus sent ${watchSent}`);
      // Besides the provider's one RegisterProvider, every call went to GpuService.
      const started = m.find("grpc_server_started_total")
        .filter((s) => s.labels.grpc_method !== "RegisterProvider");
      for (const s of started) assert.equal(s.labels.grpc_service, SERVICE);
      assert.equal(started.length, Object.keys(expected).length);
    } finally {
      provider.close();
      anon.close();
      // A client closing the connection of an evicted watch used to abort the server inside
      // Deno's HTTP/2 layer (denoland/deno#36788); the server now ignores the client's GOAWAY.
      slowClient.close();
      const stopped = await server.stop("SIGTERM");
      assert.equal(stopped.code, 0, `the server ended with ${stopped.signal ?? stopped.code}`);
    }
  },
);

Deno.test("server stops serving /metrics when it shuts down on SIGTERM", opts, async () => {
  const { server, url, scrape } = await startWithMetrics();
  await using _server = server;
  const client = server.client();
  try {
    await client.create(testGpu("gpu-a"));
  } finally {
    client.close();
  }
  assert.equal((await scrape()).value("device_api_server_up"), 1);
  const exit = await server.stop("SIGTERM");
  assert.equal(exit.code, 0);
  await assert.rejects(fetch(url), TypeError);
});

Deno.test(
  "server with --metrics-port=0 serves no metrics and logs no metrics address",
  opts,
  async () => {
    await using server = await startServer();
    assert.equal(server.logs.some((l) => l.msg === "Serving metrics"), false);
  },
);
