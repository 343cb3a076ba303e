/**
 * ProviderService argument handling and identity rules through the real
 * server, and heartbeats carried by writes that change nothing.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { queryReflection } from "../_helpers/grpc_helpers.ts";
import { OPTS, providerClient, rejectsWith } from "./_server.ts";

Deno.test("ProviderService validates names, leases and identities", OPTS, async (t) => {
  await using server = await startServer();
  const anonymous = providerClient(server);
  const mon = providerClient(server, "mon");
  try {
    await t.step("RegisterProvider needs a name, from the request or the metadata", async () => {
      await rejectsWith(anonymous.registerProvider(), status.INVALID_ARGUMENT, "no name");
      const p = await anonymous.registerProvider({ name: "by-request" });
      assert.equal(p.name, "by-request");
      assert.equal(p.leaseDuration, null, "no lease");
      assert.equal((await mon.registerProvider()).name, "mon");
    });
    await t.step("a request name must match the metadata identity", async () => {
      await rejectsWith(
        mon.registerProvider({ name: "other" }),
        status.INVALID_ARGUMENT,
        "mismatch",
      );
      await rejectsWith(mon.heartbeat("other"), status.INVALID_ARGUMENT, "heartbeat mismatch");
    });
    await t.step("malformed names are INVALID_ARGUMENT", async () => {
      await rejectsWith(
        anonymous.registerProvider({ name: "Bad Name" }),
        status.INVALID_ARGUMENT,
        "request name",
      );
      await rejectsWith(
        providerClient(server, "-bad").registerProvider(),
        status.INVALID_ARGUMENT,
        "metadata",
      );
    });
    await t.step("leases are 0 or 1s to 24h", async () => {
      for (const leaseMs of [500, -1000, 25 * 3600 * 1000]) {
        await rejectsWith(
          mon.registerProvider({ leaseMs }),
          status.INVALID_ARGUMENT,
          `lease ${leaseMs}`,
        );
      }
      const p = await mon.registerProvider({ leaseMs: 90_500 });
      assert.deepEqual(p.leaseDuration, { seconds: 90, nanos: 500_000_000 });
    });
    await t.step(
      "Heartbeat and UnregisterProvider of an unknown provider are NOT_FOUND",
      async () => {
        await rejectsWith(anonymous.heartbeat("nobody"), status.NOT_FOUND, "heartbeat");
        await rejectsWith(anonymous.unregisterProvider("nobody"), status.NOT_FOUND, "unregister");
      },
    );
    await t.step(
      "SetConditions maps store errors and records anonymous writes as owner ''",
      async () => {
        await rejectsWith(
          mon.setConditions("gpu-0", { set: [{ type: "A", status: "True" }] }),
          status.NOT_FOUND,
          "missing GPU",
        );
        const { gpu } = await anonymous.create(testGpu("gpu-0"));
        await rejectsWith(
          mon.setConditions("gpu-0", {
            set: [{ type: "A", status: "True" }, { type: "A", status: "False" }],
          }),
          status.INVALID_ARGUMENT,
          "duplicate type",
        );
        await rejectsWith(
          mon.setConditions("gpu-0", { set: [{ type: "A", status: "True" }], remove: ["A"] }),
          status.INVALID_ARGUMENT,
          "set and removed",
        );
        await rejectsWith(
          mon.setConditions("bad name!", { set: [] }),
          status.INVALID_ARGUMENT,
          "GPU name",
        );
        const written = await anonymous.setConditions("gpu-0", {
          set: [{ type: "Anon", status: "True" }],
          resourceVersion: gpu.resourceVersion,
        });
        assert.equal(written.status.conditions[0]?.owner, "");
        await rejectsWith(
          mon.setConditions("gpu-0", { set: [], resourceVersion: gpu.resourceVersion }),
          status.ABORTED,
          "stale version",
        );
        const removed = await mon.setConditions("gpu-0", { remove: ["Anon", "Absent"] });
        assert.deepEqual(removed.status.conditions, []);
        assert.ok(
          !(await anonymous.listProviders()).some((p) => p.name === ""),
          "anonymous is not a provider",
        );
      },
    );
    await t.step("UnregisterProvider forgets the provider", async () => {
      await mon.unregisterProvider();
      assert.deepEqual((await anonymous.listProviders()).map((p) => p.name), ["by-request"]);
    });
  } finally {
    anonymous.close();
    mon.close();
  }
});

Deno.test(
  "A GpuService write that changes nothing still counts as the provider's heartbeat",
  OPTS,
  async () => {
    await using server = await startServer();
    const mon = providerClient(server, "mon");
    try {
      await mon.create(testGpu("gpu-0"));
      await mon.registerProvider({ leaseMs: 1000 });
      await mon.setConditions("gpu-0", { set: [{ type: "MonReady", status: "True" }] });
      await server.waitForLog((l) =>
        l.msg === "Marked the conditions of an expired provider Unknown"
      );
      const expired = await mon.get("gpu-0");
      assert.equal(expired.status.conditions[0]?.reason, "ProviderLeaseExpired");
      // Re-sending the stored status commits nothing (no new version)...
      const same = await mon.updateStatus("gpu-0", expired.status);
      assert.equal(same.resourceVersion, expired.resourceVersion);
      // ...but the provider was heard from.
      const [p] = await mon.listProviders();
      assert.equal(p?.leaseExpired, false);
    } finally {
      mon.close();
    }
  },
);

Deno.test(
  "gRPC reflection describes the ProviderService with its imports, for grpcurl",
  OPTS,
  async () => {
    await using server = await startServer();
    const { services, descriptorText } = await queryReflection(
      `unix://${server.socket}`,
      "nvidia.device.v1alpha1.ProviderService",
    );
    assert.ok(services.includes("nvidia.device.v1alpha1.ProviderService"), services.join());
    for (const needed of ["SetConditions", "RegisterProvider", "google.protobuf.Duration"]) {
      assert.ok(descriptorText.includes(needed), `the descriptors lack ${needed}`);
    }
  },
);
