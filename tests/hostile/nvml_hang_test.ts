/**
 * A slow or hung NVML never freezes the server: against the real server process and the fake
 * libnvidia-ml.so.1 with its delay knobs, /livez and GetGpu keep answering (within a generous
 * second) while nvmlInit takes 6 s and while every recovery probe of a lost GPU takes 3 s; a
 * call past --nvml-call-timeout marks the GPU Unknown; a stop never waits on a hung call.
 */
import assert from "node:assert/strict";
import type { Gpu } from "../../src/api/mod.ts";
import type { DeviceApiClient } from "../../src/client/mod.ts";
import { freePort, startServer, testGpu } from "../_helpers/server_process.ts";
import { fakeDriverRoot } from "../nvml/build_fake.ts";
import { until } from "../_helpers/poll.ts";

// The fake driver's hangs last seconds: wait longer than the default for what follows them.
const HANG_WAIT = { timeoutMs: 20_000 };

const opts = {};
/** The liveness bound: generous, so that a loaded CI machine does not fail it. */
const ANSWER_WITHIN_MS = 1000;

/** Starts the server on the fake driver with health and metrics on free ports. */
async function serverOn(
  driver: { root: string; env: Record<string, string> },
  args: string[] = [],
) {
  const health = freePort();
  const metrics = freePort();
  const server = await startServer({
    env: driver.env,
    args: [
      `--nvml-driver-root=${driver.root}`,
      `--health-port=${health}`,
      `--metrics-port=${metrics}`,
      ...args,
    ],
  });
  return { server, health, metrics };
}

/** Times one /livez and one GetGpu; both must answer, and within the bound. */
async function probe(healthPort: number, client: DeviceApiClient, gpu: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${healthPort}/livez`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.equal((await client.get(gpu)).metadata.name, gpu);
  return performance.now() - started;
}

/** Probes every 100 ms for `ms`; returns the slowest probe. */
async function slowestProbe(
  healthPort: number,
  client: DeviceApiClient,
  gpu: string,
  ms: number,
): Promise<number> {
  let slowest = 0;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    slowest = Math.max(slowest, await probe(healthPort, client, gpu));
    await new Promise((r) => setTimeout(r, 100));
  }
  return slowest;
}

async function metric(metricsPort: number, line: string): Promise<boolean> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return text.split("\n").includes(line);
}

function nvmlReady(gpu: Gpu) {
  return gpu.status.conditions.find((c) => c.type === "NVMLReady");
}

Deno.test(
  "serve() answers /livez and GetGpu within a second while nvmlInit takes 6 s",
  opts,
  async () => {
    await using driver = await fakeDriverRoot({ env: { FAKE_NVML_INIT_DELAY_MS: "6000" } });
    const { server, health, metrics } = await serverOn(driver);
    await using _ = server;
    const client = server.client();
    try {
      await client.create(testGpu("probe-gpu"));
      assert.ok(await metric(metrics, 'device_api_server_nvml_state{state="starting"} 1'));
      const slowest = await slowestProbe(health, client, "probe-gpu", 4000);
      assert.ok(slowest < ANSWER_WITHIN_MS, `a probe took ${Math.round(slowest)}ms during init`);
      // Still starting after 4 s of probing: the probes really ran while nvmlInit did.
      assert.ok(await metric(metrics, 'device_api_server_nvml_state{state="starting"} 1'));
      await until(
        "NVML running",
        async () => await metric(metrics, 'device_api_server_nvml_state{state="running"} 1'),
        HANG_WAIT,
      );
      assert.ok(await metric(metrics, "device_api_server_nvml_up 1"));
      assert.equal((await client.list()).items.length, 3);
    } finally {
      client.close();
    }
  },
);

Deno.test(
  "serve() answers /livez and GetGpu within a second while each lost-GPU probe takes 3 s",
  opts,
  async () => {
    await using driver = await fakeDriverRoot({ env: { FAKE_NVML_LOST_DELAY_MS: "3000" } });
    const { server, health } = await serverOn(driver);
    await using _ = server;
    const client = server.client();
    try {
      await client.create(testGpu("probe-gpu"));
      await until(
        "two NVML GPUs",
        async () =>
          (await client.list()).items.filter((g) => nvmlReady(g)?.status === "True").length === 2,
        HANG_WAIT,
      );
      await driver.send("lost 1");
      await until(
        "GPU lost",
        async () => (await client.list()).items.some((g) => nvmlReady(g)?.reason === "GpuLost"),
        HANG_WAIT,
      );
      // After one event-wait pause (5 s) the monitor probes every GPU again and again, each
      // query of the lost one taking 3 s; the first probe finds that GPU 0 still answers.
      const slowest = await slowestProbe(health, client, "probe-gpu", 9000);
      assert.ok(slowest < ANSWER_WITHIN_MS, `a probe took ${Math.round(slowest)}ms`);
      assert.ok(server.logs.some((l) => l.msg === "GPU answers NVML again"), "no probe ended");
    } finally {
      client.close();
    }
  },
);

Deno.test(
  "serve() marks a GPU NVMLReady Unknown NVMLCallTimeout when its NVML call hangs, and stops anyway",
  opts,
  async () => {
    await using driver = await fakeDriverRoot({ env: { FAKE_NVML_LOST_DELAY_MS: "30000" } });
    const { server } = await serverOn(driver, ["--nvml-call-timeout=2s"]);
    await using _ = server;
    // States are read from the log; the client polls only for the condition itself.
    await server.waitForLog((l) => l.msg === "NVML provider started");
    await driver.send("lost 1");
    await server.waitForLog((l) => l.msg === "NVML call hung; GPU health unknown");
    const client = server.client();
    try {
      const hung = await until(
        "NVMLCallTimeout",
        async () =>
          (await client.list()).items.find((g) => nvmlReady(g)?.reason === "NVMLCallTimeout"),
        HANG_WAIT,
      );
      assert.equal(nvmlReady(hung)!.status, "Unknown");
      assert.match(nvmlReady(hung)!.message, /did not answer within 2000ms/);
      assert.equal(hung.spec.index, 1);
    } finally {
      client.close();
    }
    // The client's connection closed at both ends before the stop: its GOAWAY could crash
    // this process's runtime otherwise (denoland/deno#36788).
    await server.disconnected();
    // A 30 s call is in flight: the stop is bounded by one wait plus one call limit, not by it.
    const started = performance.now();
    const status = await server.stop("SIGTERM");
    const tail = server.logs.slice(-8).map((l) => JSON.stringify(l)).join("\n");
    assert.equal(status.code, 0, `server exit ${status.code}; last log lines:\n${tail}`);
    assert.ok(performance.now() - started < 20_000, "stop waited on the hung NVML call");
    assert.ok(server.logs.some((l) => String(l.msg).includes("leaving NVML loaded")));
  },
);
