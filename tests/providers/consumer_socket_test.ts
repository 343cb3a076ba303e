/**
 * The read-only consumer socket through the real server: every write of the
 * GpuService and of the ProviderService is PERMISSION_DENIED, while reads,
 * watch, ListProviders and health work.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../../src/api/mod.ts";
import { ProviderClient } from "../../src/client/mod.ts";
import { HEALTH_SERVICE } from "../../src/health/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { OPTS, providerClient, rejectsWith } from "./_server.ts";

const HealthClient = grpc.makeGenericClientConstructor(serviceDefinition(HEALTH_SERVICE), "Health");

type CheckFn = (
  req: { service: string },
  callback: (err: grpc.ServiceError | null, res?: { status: string }) => void,
) => void;

function healthCheck(target: string): Promise<{ status: string } | undefined> {
  const client = new HealthClient(target, grpc.credentials.createInsecure());
  const check = (client as unknown as { Check: CheckFn }).Check.bind(client);
  return new Promise<{ status: string } | undefined>((resolve, reject) =>
    check({ service: "" }, (err, res) => (err ? reject(err) : resolve(res)))
  ).finally(() => client.close());
}

Deno.test(
  "The consumer socket (mode 0666) denies every write and serves reads, watch and health",
  OPTS,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "das-consumer-" });
    try {
      await checkConsumerSocket(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

async function checkConsumerSocket(dir: string): Promise<void> {
  const consumerSocket = `${dir}/consumer.sock`;
  await using server = await startServer({ dir, args: [`--consumer-socket=${consumerSocket}`] });
  const main = providerClient(server, "mon");
  const consumer = new ProviderClient(`unix://${consumerSocket}`, { provider: "intruder" });
  try {
    assert.equal((await Deno.stat(consumerSocket)).mode! & 0o777, 0o666);
    await main.create(testGpu("gpu-0"));
    await main.registerProvider({ leaseMs: 60_000 });
    await main.setConditions("gpu-0", { set: [{ type: "MonReady", status: "True" }] });

    const writes: [string, () => Promise<unknown>][] = [
      ["CreateGpu", () => consumer.create(testGpu("gpu-1"))],
      [
        "UpdateGpu",
        () =>
          consumer.update(
            testGpu("gpu-0", "GPU-gpu-0", { metadata: { name: "gpu-0", labels: { a: "b" } } }),
          ),
      ],
      ["UpdateGpuStatus", () => consumer.updateStatus("gpu-0", { conditions: [] })],
      ["DeleteGpu", () => consumer.delete("gpu-0")],
      ["RegisterProvider", () => consumer.registerProvider({ leaseMs: 1000 })],
      ["Heartbeat", () => consumer.heartbeat("mon")],
      ["UnregisterProvider", () => consumer.unregisterProvider("mon")],
      ["SetConditions", () => consumer.setConditions("gpu-0", { remove: ["MonReady"] })],
    ];
    for (const [method, call] of writes) {
      await rejectsWith(call(), grpc.status.PERMISSION_DENIED, method);
    }

    // Nothing changed, and the denied writes made no provider known.
    const gpu = await consumer.get("gpu-0");
    assert.deepEqual(gpu.status.conditions.map((c) => [c.type, c.owner]), [["MonReady", "mon"]]);
    assert.deepEqual(gpu.metadata.labels, {});
    const list = await consumer.list();
    assert.deepEqual(list.items.map((g) => g.metadata.name), ["gpu-0"]);
    assert.deepEqual((await consumer.listProviders()).map((p) => p.name), ["mon"]);

    // Watch on the consumer socket sees writes made on the main socket.
    const watch = consumer.watch({ resourceVersion: list.resourceVersion });
    await main.setConditions("gpu-0", { set: [{ type: "MonReady", status: "False" }] });
    const next = await watch.next();
    assert.equal(next.value?.type, "MODIFIED");
    assert.equal(next.value?.object.status.conditions[0]?.status, "False");
    watch.cancel();

    assert.deepEqual(await healthCheck(`unix://${consumerSocket}`), { status: "SERVING" });
  } finally {
    main.close();
    consumer.close();
  }
}
