/**
 * The consumer-facing contract through the real server: UpdateGpu's precondition is
 * metadata.resource_version alone, DeleteGpu and UpdateGpuStatus reach every namespace,
 * ListOptions/GetOptions.resource_version are validated, SetConditions bounds remove_types,
 * and DEVICE_API_ENDPOINT reaches the clients.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { DeviceApiClient, ProviderClient, type WatchEvent } from "../../src/client/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";

const opts = {};

async function rejectsWith(p: Promise<unknown>, code: number, details?: RegExp): Promise<void> {
  await assert.rejects(p, (e: { code: number; details: string }) => {
    assert.equal(e.code, code, `${e.code} ${e.details}`);
    if (details) assert.match(e.details, details);
    return true;
  });
}

Deno.test(
  'UpdateGpu checks metadata.resource_version only: empty is unconditional, "0" and stale are ABORTED',
  opts,
  async () => {
    await using server = await startServer({ noTcp: true });
    const client = server.client();
    try {
      const { gpu } = await client.create(testGpu("g"));
      const v1 = await client.update({
        ...testGpu("g"),
        metadata: { name: "g", labels: { a: "1" } },
      });
      // The Kubernetes idiom: clear the string to write unconditionally, whatever the int64 holds.
      const v2 = await client.update({
        metadata: { name: "g", labels: { a: "2" }, resourceVersion: "" },
        spec: { uuid: "GPU-g" },
        resourceVersion: gpu.resourceVersion,
      });
      assert.equal(v2.metadata.labels.a, "2");
      for (const rv of ["0", gpu.metadata.resourceVersion, v1.metadata.resourceVersion]) {
        await rejectsWith(
          client.update({
            metadata: { name: "g", labels: { a: "3" }, resourceVersion: rv },
            spec: { uuid: "GPU-g" },
          }),
          status.ABORTED,
          /conflict/,
        );
      }
      await rejectsWith(
        client.update({ metadata: { name: "g", resourceVersion: "x1" }, spec: { uuid: "GPU-g" } }),
        status.INVALID_ARGUMENT,
        /^gpu\.metadata\.resource_version: /,
      );
      const v3 = await client.update({
        metadata: { name: "g", labels: { a: "3" }, resourceVersion: v2.metadata.resourceVersion },
        spec: { uuid: "GPU-g" },
      });
      assert.equal(v3.metadata.labels.a, "3");
      assert.equal((await client.get("g")).metadata.labels.a, "3", "no rejected write changed it");
    } finally {
      client.close();
    }
  },
);

Deno.test("DeleteGpu and UpdateGpuStatus reach a GPU in another namespace", opts, async () => {
  await using server = await startServer({ noTcp: true });
  const client = server.client();
  try {
    await client.create({ metadata: { name: "g", namespace: "team-a" }, spec: { uuid: "GPU-a" } });
    await client.create(testGpu("g"));
    const updated = await client.updateStatus(
      "g",
      { conditions: [{ type: "Ready", status: "True" }] },
      0,
      "team-a",
    );
    assert.equal(updated.metadata.namespace, "team-a");
    assert.equal((await client.get("g")).status.conditions.length, 0, "default untouched");
    await rejectsWith(client.delete("g", "team-b"), status.NOT_FOUND, /namespace "team-b"/);
    await rejectsWith(client.delete("g", "Team_A"), status.INVALID_ARGUMENT, /^namespace: /);
    await client.delete("g", "team-a");
    const { items } = await client.list();
    assert.deepEqual(items.map((g) => `${g.metadata.namespace}/${g.metadata.name}`), ["default/g"]);
    await client.delete("g", "default");
    assert.equal((await client.list()).items.length, 0);
  } finally {
    client.close();
  }
});

Deno.test(
  "ListGpus and GetGpu answer INVALID_ARGUMENT for a malformed opts.resource_version",
  opts,
  async () => {
    await using server = await startServer({ noTcp: true });
    const client = server.client();
    try {
      await client.create(testGpu("g"));
      for (const rv of ["abc", "-1", "1.5", " 1", "99999999999999999"]) {
        await rejectsWith(
          client.list({ resourceVersion: rv }),
          status.INVALID_ARGUMENT,
          /^opts\.resource_version: /,
        );
        await rejectsWith(
          client.get("g", "", rv),
          status.INVALID_ARGUMENT,
          /^opts\.resource_version: /,
        );
      }
      for (const rv of ["", "0", "1", "123456"]) {
        assert.equal((await client.list({ resourceVersion: rv })).items.length, 1, rv);
        assert.equal((await client.get("g", "", rv)).metadata.name, "g");
      }
    } finally {
      client.close();
    }
  },
);

Deno.test(
  "SetConditions answers INVALID_ARGUMENT for too many or malformed remove_types",
  opts,
  async () => {
    await using server = await startServer({ noTcp: true });
    const client = new ProviderClient(`unix://${server.socket}`, { provider: "mon" });
    try {
      await client.create(testGpu("g"));
      const before = await client.get("g");
      await rejectsWith(
        client.setConditions("g", { remove: Array.from({ length: 33 }, (_, i) => `T${i}`) }),
        status.INVALID_ARGUMENT,
        /^remove: too many types to remove: 33, the limit is 32/,
      );
      await rejectsWith(
        client.setConditions("g", { remove: ["Ok", "not a type"] }),
        status.INVALID_ARGUMENT,
        /^remove\[1\]: invalid condition type/,
      );
      assert.equal((await client.get("g")).resourceVersion, before.resourceVersion, "no change");
      await client.setConditions("g", { remove: Array.from({ length: 32 }, (_, i) => `T${i}`) });
    } finally {
      client.close();
    }
  },
);

Deno.test(
  "WatchGpus with bookmarks ends the initial events with an initial-events-end BOOKMARK",
  opts,
  async () => {
    await using server = await startServer({ noTcp: true });
    const client = server.client();
    try {
      await client.create(testGpu("b"));
      await client.create(testGpu("a"));
      const { resourceVersion } = await client.list();
      const stream = client.watch({ allowWatchBookmarks: true });
      const events: WatchEvent[] = [];
      for await (const e of stream) {
        events.push(e);
        if (events.length === 3) break;
      }
      assert.deepEqual(events.map((e) => e.type), ["ADDED", "ADDED", "BOOKMARK"]);
      assert.equal(events[2]!.object.metadata.resourceVersion, resourceVersion);
      assert.deepEqual(events[2]!.object.metadata.annotations, {
        "k8s.io/initial-events-end": "true",
      });
      const plain = client.watch({});
      const first = await plain.next();
      assert.equal((first.value as WatchEvent).type, "ADDED");
      plain.cancel();
    } finally {
      client.close();
    }
  },
);

Deno.test(
  "DeviceApiClient() connects to DEVICE_API_ENDPOINT when given no target",
  opts,
  async () => {
    await using server = await startServer();
    const previous = Deno.env.get("DEVICE_API_ENDPOINT");
    try {
      for (
        const endpoint of [`unix://${server.socket}`, `unix:${server.socket}`, server.tcpAddress]
      ) {
        Deno.env.set("DEVICE_API_ENDPOINT", endpoint);
        const client = new DeviceApiClient();
        const provider = new ProviderClient(undefined, { provider: "p" });
        try {
          assert.equal((await client.list()).items.length, 0, endpoint);
          assert.equal((await provider.listProviders()).length >= 0, true, endpoint);
        } finally {
          client.close();
          provider.close();
        }
      }
      Deno.env.set("DEVICE_API_ENDPOINT", "tcp://nope");
      assert.throws(
        () => new DeviceApiClient(),
        /DEVICE_API_ENDPOINT: invalid endpoint "tcp:\/\/nope"/,
      );
    } finally {
      if (previous === undefined) Deno.env.delete("DEVICE_API_ENDPOINT");
      else Deno.env.set("DEVICE_API_ENDPOINT", previous);
    }
  },
);
