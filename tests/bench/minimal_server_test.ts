/**
 * The floor server of `deno task bench --reference` (bench/minimal_server.ts)
 * must serve the contract the benchmark drives, or a side-by-side run would
 * compare against a server that skips work: seeding, reads, status writes and
 * the watch fan-out, through the project's own client, with the fields the
 * contract has a server set (so its messages weigh what the server's do).
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { serveMinimal } from "../../bench/minimal_server.ts";
import { benchGpu, benchStatus, rawClient } from "../../bench/_wire.ts";
import { disconnected } from "../_helpers/server_process.ts";
import { take } from "../_helpers/grpc_helpers.ts";

// A missing event fails the test instead of hanging it.
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within 10 s`)), 10_000);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("the minimal server serves create, get, list, status writes and watches", async () => {
  const dir = await Deno.makeTempDir({ prefix: "das-minimal-test-" });
  const before = Date.now();
  const server = await serveMinimal(`${dir}/minimal.sock`);
  const client = new DeviceApiClient(`unix://${dir}/minimal.sock`);
  const raw = rawClient(`${dir}/minimal.sock`);
  const watch = client.watch();
  try {
    const { gpu: first, created } = await client.create(benchGpu(0));
    assert.equal(created, true);
    const { gpu: second } = await client.create(benchGpu(1));
    assert.deepEqual(await client.get(first.metadata.name), first);
    // What the server and the Go reference set: namespace, uid, generation, times, versions
    // from the clock in microseconds.
    assert.equal(first.metadata.namespace, "default");
    assert.match(
      first.metadata.uid,
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    assert.notEqual(first.metadata.uid, second.metadata.uid);
    assert.equal(first.metadata.generation, 1);
    assert.ok(first.metadata.creationTimestamp!.seconds >= Math.floor(before / 1000));
    for (const c of first.status.conditions) {
      assert.deepEqual(c.lastTransitionTime, first.metadata.creationTimestamp);
    }
    assert.ok(first.resourceVersion > before * 1000, `version ${first.resourceVersion}`);
    assert.equal(second.resourceVersion, first.resourceVersion + 1);

    const list = await client.list();
    assert.deepEqual(list.items.map((g) => g.metadata.name), ["gpu-0", "gpu-1"]);
    assert.equal(list.resourceVersion, String(second.resourceVersion));

    const events = await within(take(watch, 2), "snapshot");
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [
      ["ADDED", "gpu-0"],
      ["ADDED", "gpu-1"],
    ]);

    const status = benchStatus(7);
    const updated = await client.updateStatus(first.metadata.name, status);
    assert.equal(updated.resourceVersion, second.resourceVersion + 1);
    assert.equal(updated.metadata.uid, first.metadata.uid);
    assert.ok(updated.status.conditions[0]!.lastTransitionTime !== null);
    assert.equal(updated.status.conditions[0]!.message, status.conditions![0]!.message);
    const [next] = await within(take(watch, 1), "MODIFIED event");
    assert.equal(next!.type, "MODIFIED");
    assert.deepEqual(next!.object, updated);
    assert.deepEqual(await client.get(first.metadata.name), updated);

    await assert.rejects(client.get("absent"), { code: grpc.status.NOT_FOUND });
    const malformed = await new Promise<grpc.ServiceError | null>((resolve) =>
      raw.unary("GetGpu")(Uint8Array.of(0x0a, 0x10), new grpc.Metadata(), (err) => resolve(err))
    );
    assert.equal(malformed?.code, grpc.status.INVALID_ARGUMENT);
  } finally {
    watch.cancel();
    client.close();
    raw.client.close();
    // Both ends are in this process: close the clients before the server stops (docs/development.md).
    await disconnected({ dir });
    server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
