/**
 * The write verbs end to end: create, set condition, clear condition and delete through the
 * CLI subprocess, checked with a client of the same server.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { startServer } from "../_helpers/server_process.ts";
import { cli } from "./_helpers.ts";

Deno.test("create, set, clear and delete change the server's GPUs", async (t) => {
  await using server = await startServer();
  const sock = ["--unix-socket", server.socket];
  const client = server.client({ provider: "nvml" });
  try {
    await t.step("create gpu creates it with its labels and spec", async () => {
      const run = await cli([
        "create",
        "gpu",
        "gpu-0",
        "--uuid",
        "GPU-0000",
        "--label",
        "zone=a",
        "--label",
        "tier=prod",
        "--product-name",
        "NVIDIA H100",
        "--pci-bus-id",
        "00000000:07:00.0",
        "--index",
        "2",
        ...sock,
      ]);
      assert.deepEqual(run, { code: 0, stdout: "gpu/gpu-0 created\n", stderr: "" });
      const gpu = await client.get("gpu-0");
      assert.deepEqual(gpu.metadata.labels, { tier: "prod", zone: "a" });
      assert.equal(gpu.spec.uuid, "GPU-0000");
      assert.equal(gpu.spec.productName, "NVIDIA H100");
      assert.equal(gpu.spec.pciBusId, "00000000:07:00.0");
      assert.equal(gpu.spec.index, 2);
    });

    await t.step("create gpu again with the same uuid is unchanged", async () => {
      const run = await cli(["create", "gpu", "gpu-0", "--uuid", "GPU-0000", ...sock]);
      assert.deepEqual(run, { code: 0, stdout: "gpu/gpu-0 unchanged\n", stderr: "" });
    });

    await t.step("create gpu with another uuid fails with the server's reason", async () => {
      const run = await cli(["create", "gpu", "gpu-0", "--uuid", "GPU-OTHER", ...sock]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^error: .*gpu-0.*\n$/);
    });

    await t.step("create gpu -o json prints the created GPU, in a namespace", async () => {
      const run = await cli([
        "create",
        "gpu",
        "gpu-9",
        "--uuid",
        "GPU-9",
        "-n",
        "lab",
        "-o",
        "json",
        ...sock,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const gpu = JSON.parse(run.stdout);
      assert.equal(gpu.metadata.namespace, "lab");
      assert.equal(gpu.spec.uuid, "GPU-9");
    });

    await t.step(
      "set condition adds a condition owned by --provider, keeping the others",
      async () => {
        await client.updateStatus("gpu-0", {
          conditions: [{ type: "NVMLReady", status: "True", reason: "NVMLHealthy" }],
          recommendedAction: "none",
        });
        const before = await client.get("gpu-0");
        const run = await cli([
          "set",
          "condition",
          "gpu-0",
          "Maintenance",
          "False",
          "--reason",
          "Drained",
          "--message",
          "RMA ticket 123",
          "--provider",
          "ops",
          ...sock,
        ]);
        assert.deepEqual(run, {
          code: 0,
          stdout: "gpu/gpu-0 condition Maintenance=False set\n",
          stderr: "",
        });
        const gpu = await client.get("gpu-0");
        assert.deepEqual(gpu.status.conditions[0], before.status.conditions[0]);
        const set = gpu.status.conditions[1]!;
        assert.deepEqual(
          [set.type, set.status, set.reason, set.message, set.owner],
          ["Maintenance", "False", "Drained", "RMA ticket 123", "ops"],
        );
        assert.ok(set.lastTransitionTime !== null && set.lastTransitionTime.seconds > 0);
        assert.equal(gpu.status.recommendedAction, "none");
      },
    );

    await t.step(
      "set condition replaces an existing condition; owner defaults to the CLI",
      async () => {
        const run = await cli([
          "set",
          "condition",
          "gpu-0",
          "NVMLReady",
          "False",
          "-o",
          "yaml",
          ...sock,
        ]);
        assert.equal(run.code, 0, run.stderr);
        const printed = parseYaml(run.stdout);
        assert.deepEqual(
          printed.status.conditions.map((c: { type: string; status: string; owner: string }) => [
            c.type,
            c.status,
            c.owner,
          ]),
          [["NVMLReady", "False", "device-api-cli"], ["Maintenance", "False", "ops"]],
        );
      },
    );

    await t.step("set condition with the same content writes nothing", async () => {
      const before = await client.get("gpu-0");
      const run = await cli(["set", "condition", "gpu-0", "NVMLReady", "False", ...sock]);
      assert.deepEqual(run, { code: 0, stdout: "gpu/gpu-0 unchanged\n", stderr: "" });
      assert.equal((await client.get("gpu-0")).resourceVersion, before.resourceVersion);
    });

    await t.step("clear condition removes one condition and keeps the others", async () => {
      const run = await cli(["clear", "condition", "gpu-0", "NVMLReady", ...sock]);
      assert.deepEqual(run, {
        code: 0,
        stdout: "gpu/gpu-0 condition NVMLReady cleared\n",
        stderr: "",
      });
      const gpu = await client.get("gpu-0");
      assert.deepEqual(gpu.status.conditions.map((c) => [c.type, c.owner]), [[
        "Maintenance",
        "ops",
      ]]);
    });

    await t.step("clear condition of an absent type changes nothing", async () => {
      const run = await cli(["clear", "condition", "gpu-0", "NVMLReady", ...sock]);
      assert.deepEqual(run, {
        code: 0,
        stdout: "gpu/gpu-0 unchanged: it has no condition NVMLReady\n",
        stderr: "",
      });
      assert.equal(
        (await cli(["clear", "condition", "gpu-0", "Maintenance", "-o", "name", ...sock])).stdout,
        "gpu/gpu-0\n",
      );
    });

    await t.step("set and clear on a missing GPU fail as not found", async () => {
      for (
        const args of [["set", "condition", "nope", "A", "True"], [
          "clear",
          "condition",
          "nope",
          "A",
        ]]
      ) {
        assert.deepEqual(await cli([...args, ...sock]), {
          code: 1,
          stdout: "",
          stderr: 'error: gpu "nope" not found\n',
        });
      }
    });

    await t.step("a malformed --provider is refused by the server", async () => {
      const run = await cli([
        "set",
        "condition",
        "gpu-0",
        "A",
        "True",
        "--provider",
        "Not Valid",
        ...sock,
      ]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^error: .*provider.*\n$/);
    });

    await t.step("delete gpu deletes it, and a second delete is not found", async () => {
      assert.deepEqual(await cli(["delete", "gpu", "gpu-0", ...sock]), {
        code: 0,
        stdout: "gpu/gpu-0 deleted\n",
        stderr: "",
      });
      assert.deepEqual((await client.list()).items.map((g) => g.metadata.name), ["gpu-9"]);
      assert.deepEqual(await cli(["delete", "gpu", "gpu-0", "-o", "name", ...sock]), {
        code: 1,
        stdout: "",
        stderr: 'error: gpu "gpu-0" not found\n',
      });
    });

    await t.step("set, clear and delete act on the GPU of the namespace -n names", async () => {
      const lab = ["-n", "lab", ...sock];
      assert.deepEqual(await cli(["set", "condition", "gpu-9", "Drained", "False", ...lab]), {
        code: 0,
        stdout: "gpu/gpu-9 condition Drained=False set\n",
        stderr: "",
      });
      const gpu = await client.get("gpu-9", "lab");
      assert.deepEqual(gpu.status.conditions.map((c) => [c.type, c.status]), [[
        "Drained",
        "False",
      ]]);
      // Without -n, the command means namespace "default", where there is no gpu-9.
      assert.deepEqual(await cli(["clear", "condition", "gpu-9", "Drained", ...sock]), {
        code: 1,
        stdout: "",
        stderr: 'error: gpu "gpu-9" not found\n',
      });
      assert.equal(
        (await cli(["clear", "condition", "gpu-9", "Drained", ...lab])).stdout,
        "gpu/gpu-9 condition Drained cleared\n",
      );
      assert.deepEqual(await cli(["delete", "gpu", "gpu-9", ...sock]), {
        code: 1,
        stdout: "",
        stderr: 'error: gpu "gpu-9" not found\n',
      });
      assert.equal((await cli(["delete", "gpu", "gpu-9", ...lab])).stdout, "gpu/gpu-9 deleted\n");
      assert.deepEqual((await client.list()).items, []);
    });
  } finally {
    client.close();
  }
});
