/**
 * The built-in NVML provider inside the real server process, against the
 * fake libnvidia-ml.so.1 driven through its control file.
 */
import assert from "node:assert/strict";
import type { Gpu } from "../../src/api/mod.ts";
import type { DeviceApiClient, WatchEvent } from "../../src/client/mod.ts";
import { startServer } from "../_helpers/server_process.ts";
import { fakeDriverRoot } from "./build_fake.ts";
import { until } from "../_helpers/poll.ts";

const opts = {};

function nvmlReady(gpu: Gpu) {
  return gpu.status.conditions.find((c) => c.type === "NVMLReady");
}

async function gpus(client: DeviceApiClient): Promise<Gpu[]> {
  return (await client.list()).items;
}

Deno.test(
  "NVML provider publishes GPUs with identity and turns a critical XID into NVMLReady=False",
  opts,
  async () => {
    await using driver = await fakeDriverRoot();
    await using server = await startServer({
      env: driver.env,
      args: [`--nvml-driver-root=${driver.root}`, "--nvml-critical-xids=43"],
    });
    const client = server.client({ provider: "other-monitor" });
    try {
      const list = await until("two GPUs", async () => {
        const items = await gpus(client);
        return items.length === 2 && items.every((g) => nvmlReady(g)?.status === "True")
          ? items
          : undefined;
      });
      for (const gpu of list) {
        assert.equal(gpu.metadata.name, gpu.spec.uuid.toLowerCase());
        assert.match(gpu.spec.uuid, /^GPU-/);
        assert.ok(gpu.spec.productName && gpu.spec.pciBusId && gpu.spec.memoryTotalBytes > 0);
        assert.equal(nvmlReady(gpu)!.owner, "nvml");
      }
      assert.deepEqual(list.map((g) => g.spec.index).sort(), [0, 1]);
      const target = list.find((g) => g.spec.index === 1)!;
      const other = list.find((g) => g.spec.index === 0)!;

      // Another provider's condition on the same GPU must survive every NVML update.
      await client.updateStatus(target.metadata.name, {
        conditions: [...target.status.conditions, {
          type: "MemoryHealthy",
          status: "True",
          reason: "Checked",
        }],
      });

      const watch = client.watch({ resourceVersion: (await client.list()).resourceVersion });
      const seen: WatchEvent[] = [];
      const modified = (async () => {
        for await (const e of watch) {
          seen.push(e);
          if (e.type === "MODIFIED" && nvmlReady(e.object)?.status === "False") return e;
        }
      })();

      await driver.send("xid 1 13"); // ignored by default
      await driver.send("xid 1 43"); // ignored by default, forced critical by flag
      const event = await modified;
      assert.equal(event!.object.metadata.name, target.metadata.name);
      assert.equal(nvmlReady(event!.object)!.reason, "XidCriticalError");
      assert.match(nvmlReady(event!.object)!.message, /43/);
      // The condition and its action come in one write: no consumer sees one without the other.
      assert.equal(event!.object.status.recommendedAction, "RESET_GPU");
      assert.equal(
        seen.filter((e) => e.type === "MODIFIED").length,
        1,
        "the ignored XID changed nothing",
      );
      watch.cancel();

      const after = await client.get(target.metadata.name);
      assert.equal(after.status.conditions.find((c) => c.type === "MemoryHealthy")?.status, "True");
      assert.equal(nvmlReady(await client.get(other.metadata.name))!.status, "True");

      // An operator clears the XID condition; the same XID again sets it again.
      const cleared = await client.get(target.metadata.name);
      await client.updateStatus(target.metadata.name, {
        conditions: cleared.status.conditions.filter((c) => c.type !== "NVMLReady"),
      });
      assert.equal(nvmlReady(await client.get(target.metadata.name)), undefined);
      await driver.send("xid 1 43");
      await until(
        "XID again",
        async () => nvmlReady(await client.get(target.metadata.name))?.status === "False",
      );

      // Double-bit ECC on the other GPU.
      await driver.send("ecc-dbe 0");
      await until(
        "DBE",
        async () =>
          nvmlReady(await client.get(other.metadata.name))?.reason === "DoubleBitEccError",
      );
    } finally {
      client.close();
    }
    assert.equal((await server.stop()).code, 0, "clean shutdown during a pending wait");
  },
);

Deno.test("NVML provider marks every GPU lost and brings them back on recovery", opts, async () => {
  await using driver = await fakeDriverRoot();
  await using server = await startServer({
    env: driver.env,
    args: [`--nvml-driver-root=${driver.root}`],
  });
  const client = server.client();
  try {
    await until("GPUs", async () => (await gpus(client)).length === 2);
    await driver.send("lost");
    await until(
      "GpuLost",
      async () => (await gpus(client)).every((g) => nvmlReady(g)?.reason === "GpuLost"),
    );
    await driver.send("recover");
    await until(
      "Recovered",
      async () => (await gpus(client)).every((g) => nvmlReady(g)?.reason === "Recovered"),
    );
    assert.ok((await gpus(client)).every((g) => nvmlReady(g)?.status === "True"));
  } finally {
    client.close();
  }
});

Deno.test("NVML provider loads an old driver without the optional symbols", opts, async () => {
  await using driver = await fakeDriverRoot({ gpus: 1, oldDriver: true });
  await using server = await startServer({
    env: driver.env,
    args: [`--nvml-driver-root=${driver.root}`],
  });
  const client = server.client();
  try {
    const [gpu] = await until("GPU", async () => {
      const items = await gpus(client);
      return items.length === 1 && nvmlReady(items[0]!) ? items : undefined;
    });
    assert.equal(nvmlReady(gpu!)!.status, "True");
  } finally {
    client.close();
  }
});

Deno.test("a missing NVML library leaves the server serving and nvml down", opts, async () => {
  const root = await Deno.makeTempDir();
  try {
    await using server = await startServer({ args: [`--nvml-driver-root=${root}`] });
    await server.waitForLog((l) => l.msg === "NVML provider is down; the server keeps serving");
    const client = server.client();
    await client.create({ metadata: { name: "external" }, spec: { uuid: "GPU-ext" } });
    assert.equal((await gpus(client)).length, 1);
    client.close();
    assert.equal((await server.stop()).code, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
