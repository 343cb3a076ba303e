/**
 * Every GpuService RPC and error code through the real server, over the Unix
 * socket and over TCP.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";

const opts = {};

async function rejectsWith(p: Promise<unknown>, code: status, detail?: RegExp): Promise<void> {
  await assert.rejects(p, (err: { code: number; details: string }) => {
    assert.equal(
      err.code,
      code,
      `expected ${status[code]}, got ${status[err.code]}: ${err.details}`,
    );
    if (detail) assert.match(err.details, detail);
    return true;
  });
}

for (const transport of ["unix", "tcp"] as const) {
  Deno.test(
    `GpuService answers every RPC with the contract's codes over ${transport}`,
    opts,
    async (t) => {
      await using server = await startServer();
      const target = transport === "unix" ? `unix://${server.socket}` : server.tcpAddress;
      const client = new DeviceApiClient(target, { provider: "test-provider" });
      try {
        await t.step(
          "CreateGpu creates, then returns the stored object with created=false",
          async () => {
            const first = await client.create(
              testGpu("gpu-0", "GPU-0000", { metadata: { name: "gpu-0", labels: { zone: "a" } } }),
            );
            assert.equal(first.created, true);
            assert.equal(first.gpu.metadata.name, "gpu-0");
            assert.equal(first.gpu.metadata.namespace, "default");
            assert.equal(first.gpu.metadata.generation, 1);
            assert.ok(first.gpu.metadata.uid);
            assert.ok(first.gpu.metadata.creationTimestamp);
            assert.equal(first.gpu.metadata.resourceVersion, String(first.gpu.resourceVersion));
            const again = await client.create(testGpu("gpu-0", "GPU-0000"));
            assert.equal(again.created, false);
            assert.equal(again.gpu.resourceVersion, first.gpu.resourceVersion);
          },
        );
        await t.step("CreateGpu with another uuid is ALREADY_EXISTS", async () => {
          await rejectsWith(
            client.create(testGpu("gpu-0", "GPU-other")),
            status.ALREADY_EXISTS,
            /GPU-0000/,
          );
        });
        await t.step("CreateGpu validates name and uuid, naming the field", async () => {
          await rejectsWith(
            client.create({ spec: { uuid: "GPU-x" } }),
            status.INVALID_ARGUMENT,
            /gpu\.metadata\.name/,
          );
          await rejectsWith(
            client.create(testGpu("-bad-")),
            status.INVALID_ARGUMENT,
            /gpu\.metadata\.name/,
          );
          await rejectsWith(
            client.create({ metadata: { name: "gpu-9" } }),
            status.INVALID_ARGUMENT,
            /gpu\.spec\.uuid/,
          );
          await rejectsWith(
            client.create(
              testGpu("gpu-9", "GPU-9", {
                status: { conditions: [{ type: "Ready", status: "Maybe" }] },
              }),
            ),
            status.INVALID_ARGUMENT,
            /gpu\.status\.conditions\[0\]\.status/,
          );
        });
        await t.step(
          "GetGpu returns the object; a missing one is NOT_FOUND; a bad name INVALID_ARGUMENT",
          async () => {
            const gpu = await client.get("gpu-0");
            assert.equal(gpu.spec.uuid, "GPU-0000");
            assert.deepEqual(gpu.metadata.labels, { zone: "a" });
            await rejectsWith(client.get("gpu-404"), status.NOT_FOUND, /gpu-404/);
            await rejectsWith(client.get("bad name!"), status.INVALID_ARGUMENT, /name/);
            await rejectsWith(client.get(""), status.INVALID_ARGUMENT, /name/);
          },
        );
        await t.step(
          "UpdateGpu replaces spec and labels, ignores status, checks the version",
          async () => {
            const before = await client.get("gpu-0");
            const updated = await client.update({
              metadata: {
                name: "gpu-0",
                labels: { zone: "b" },
                resourceVersion: before.metadata.resourceVersion,
              },
              spec: { uuid: "GPU-0000", productName: "NVIDIA H100" },
              status: { conditions: [{ type: "Ignored", status: "True" }] },
            });
            assert.equal(updated.spec.productName, "NVIDIA H100");
            assert.deepEqual(updated.metadata.labels, { zone: "b" });
            assert.equal(updated.metadata.generation, 2);
            assert.equal(updated.status.conditions.length, 0);
            assert.ok(updated.resourceVersion > before.resourceVersion);
            await rejectsWith(
              client.update({
                metadata: { name: "gpu-0", resourceVersion: before.metadata.resourceVersion },
                spec: { uuid: "GPU-0000" },
              }),
              status.ABORTED,
            );
            const same = await client.update({
              metadata: { name: "gpu-0", labels: { zone: "b" } },
              spec: { uuid: "GPU-0000", productName: "NVIDIA H100" },
            });
            assert.equal(
              same.resourceVersion,
              updated.resourceVersion,
              "no change, no new version",
            );
            await rejectsWith(client.update(testGpu("gpu-404")), status.NOT_FOUND);
          },
        );
        await t.step(
          "UpdateGpuStatus replaces the status and keeps transition times of unchanged conditions",
          async () => {
            const s1 = await client.updateStatus("gpu-0", {
              conditions: [{ type: "Ready", status: "True", reason: "Healthy" }, {
                type: "XidError",
                status: "False",
              }],
            });
            assert.equal(s1.status.conditions.length, 2);
            assert.equal(s1.status.conditions[0]!.owner, "test-provider");
            const t0 = s1.status.conditions[0]!.lastTransitionTime;
            assert.ok(t0);
            const s2 = await client.updateStatus("gpu-0", {
              conditions: [{ type: "Ready", status: "True", reason: "Healthy" }, {
                type: "XidError",
                status: "True",
              }],
            }, s1.resourceVersion);
            assert.deepEqual(s2.status.conditions[0]!.lastTransitionTime, t0);
            await rejectsWith(
              client.updateStatus("gpu-0", { conditions: [] }, s1.resourceVersion),
              status.ABORTED,
              /conflict/,
            );
            await rejectsWith(client.updateStatus("gpu-404", { conditions: [] }), status.NOT_FOUND);
            await rejectsWith(
              client.updateStatus("gpu-0", {
                conditions: Array.from(
                  { length: 33 },
                  (_, i) => ({ type: `C${i}`, status: "True" }),
                ),
              }),
              status.INVALID_ARGUMENT,
              /status\.conditions: too many conditions/,
            );
            await rejectsWith(
              client.updateStatus("gpu-0", {
                conditions: [{ type: "Ready", status: "True" }, { type: "Ready", status: "False" }],
              }),
              status.INVALID_ARGUMENT,
              /duplicate/,
            );
          },
        );
        await t.step(
          "ListGpus sorts by (namespace, name) and reports a consistent version",
          async () => {
            await client.create(testGpu("gpu-2", "GPU-2"));
            await client.create(
              testGpu("gpu-1", "GPU-1", { metadata: { name: "gpu-1", namespace: "other" } }),
            );
            const all = await client.list();
            assert.deepEqual(all.items.map((g) => `${g.metadata.namespace}/${g.metadata.name}`), [
              "default/gpu-0",
              "default/gpu-2",
              "other/gpu-1",
            ]);
            const maxVersion = Math.max(...all.items.map((g) => g.resourceVersion));
            assert.equal(all.resourceVersion, String(maxVersion));
            const ns = await client.list({ namespace: "other" });
            assert.deepEqual(ns.items.map((g) => g.metadata.name), ["gpu-1"]);
            const sel = await client.list({ labelSelector: "zone=b" });
            assert.deepEqual(sel.items.map((g) => g.metadata.name), ["gpu-0"]);
            await rejectsWith(
              client.list({ labelSelector: "zone=(" }),
              status.INVALID_ARGUMENT,
              /label_selector/,
            );
            await rejectsWith(
              client.list({ namespace: "Bad_NS" }),
              status.INVALID_ARGUMENT,
              /namespace/,
            );
          },
        );
        await t.step("GetGpu reads another namespace through opts.namespace", async () => {
          const gpu = await client.get("gpu-1", "other");
          assert.equal(gpu.spec.uuid, "GPU-1");
        });
        await t.step("DeleteGpu removes; a second delete is NOT_FOUND", async () => {
          await client.delete("gpu-2");
          await rejectsWith(client.get("gpu-2"), status.NOT_FOUND);
          await rejectsWith(client.delete("gpu-2"), status.NOT_FOUND);
          await rejectsWith(client.delete("no/slash"), status.INVALID_ARGUMENT);
        });
        await t.step("a malformed provider identity is INVALID_ARGUMENT", async () => {
          const bad = new DeviceApiClient(target, { provider: "Not A Name" });
          try {
            await rejectsWith(
              bad.updateStatus("gpu-0", { conditions: [] }),
              status.INVALID_ARGUMENT,
              /x-device-api-provider/,
            );
          } finally {
            bad.close();
          }
        });
      } finally {
        client.close();
      }
    },
  );
}

Deno.test("GpuService enforces the GPU count limit with RESOURCE_EXHAUSTED", opts, async () => {
  await using server = await startServer({ args: ["--max-gpus=2"] });
  const client = server.client();
  try {
    await client.create(testGpu("a"));
    await client.create(testGpu("b"));
    await rejectsWith(client.create(testGpu("c")), status.RESOURCE_EXHAUSTED, /maximum of 2/);
  } finally {
    client.close();
  }
});

Deno.test(
  "GpuService rejects an object over the size limit with INVALID_ARGUMENT",
  opts,
  async () => {
    await using server = await startServer({ args: ["--max-object-bytes=2048"] });
    const client = server.client();
    try {
      await client.create(testGpu("a"));
      await rejectsWith(
        client.updateStatus("a", {
          conditions: [{ type: "Ready", status: "True", message: "x".repeat(4000) }],
        }),
        status.INVALID_ARGUMENT,
        /object too large/,
      );
      assert.equal((await client.get("a")).status.conditions.length, 0, "state unchanged");
    } finally {
      client.close();
    }
  },
);
