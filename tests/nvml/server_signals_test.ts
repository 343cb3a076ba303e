/**
 * Polled signals and recommended actions inside the real server process, against the fake
 * libnvidia-ml.so.1 driven through its control file, read back over gRPC and /metrics.
 */
import assert from "node:assert/strict";
import type { Gpu } from "../../src/api/mod.ts";
import { freePort, startServer } from "../_helpers/server_process.ts";
import { fakeDriverRoot } from "./build_fake.ts";
import { fakeGpuName } from "./harness.ts";
import { until } from "../_helpers/poll.ts";

const opts = {};

function condition(gpu: Gpu, type: string) {
  return gpu.status.conditions.find((c) => c.type === type);
}

Deno.test(
  "serve() turns a pending row remap into NVMLMemoryHealthy False and RESET_GPU, over gRPC and /metrics",
  opts,
  async () => {
    await using driver = await fakeDriverRoot();
    const send = driver.send;
    const metricsPort = freePort();
    await using server = await startServer({
      env: driver.env,
      args: [
        `--nvml-driver-root=${driver.root}`,
        "--nvml-poll-interval=200ms",
        `--metrics-port=${metricsPort}`,
      ],
    });
    const client = server.client({ provider: "other-monitor" });
    const gpu0 = fakeGpuName(0);
    const gpu1 = fakeGpuName(1);
    const metric = async (line: string) =>
      (await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).split("\n")
        .includes(line);
    try {
      await until("polled conditions", async () => {
        const g = await client.get(gpu0).catch(() => undefined);
        return g && condition(g, "NVMLMemoryHealthy")?.status === "True" ? g : undefined;
      });
      await send("remap 0 1 0");
      const pending = await until("RowRemapPending", async () => {
        const g = await client.get(gpu0);
        return g.status.recommendedAction === "RESET_GPU" ? g : undefined;
      });
      const mem = condition(pending, "NVMLMemoryHealthy")!;
      assert.equal(mem.status, "False");
      assert.equal(mem.reason, "RowRemapPending");
      assert.equal(mem.owner, "nvml");
      assert.equal((await client.get(gpu1)).status.recommendedAction, "");
      await until("metrics", async () =>
        await metric(
          'device_api_server_nvml_signal_detections_total{signal="row_remap_pending"} 1',
        ) && await metric('device_api_server_gpus_by_recommended_action{action="RESET_GPU"} 1'));
      // Another provider's more severe action on GPU1 survives NVML's milder one.
      const g1 = await client.get(gpu1);
      await client.updateStatus(gpu1, {
        conditions: g1.status.conditions,
        recommendedAction: "CONTACT_SUPPORT",
      });
      await send("clocks 1 64");
      await until("HwThermalSlowdown", async () => {
        const g = await client.get(gpu1);
        return condition(g, "NVMLClocksHealthy")?.reason === "HwThermalSlowdown" ? g : undefined;
      });
      assert.equal((await client.get(gpu1)).status.recommendedAction, "CONTACT_SUPPORT");
      // A reset clears GPU0's problem and NVML's action.
      await send("reset 0");
      const cleared = await until("cleared", async () => {
        const g = await client.get(gpu0);
        return g.status.recommendedAction === "" ? g : undefined;
      });
      assert.equal(condition(cleared, "NVMLMemoryHealthy")?.reason, "MemoryHealthy");
      await send("xid 0 79");
      await until(
        "XID metric",
        async () => await metric('device_api_server_nvml_xid_events_total{xid="79"} 1'),
      );
      await until(
        "RESTART_BM",
        async () => (await client.get(gpu0)).status.recommendedAction === "RESTART_BM",
      );
    } finally {
      client.close();
    }
  },
);
