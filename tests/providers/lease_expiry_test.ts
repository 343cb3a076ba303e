/**
 * Leases through the real server: a provider that stops heartbeating sees
 * its conditions turn Unknown (and a watcher sees it), and they come back
 * when it writes again; ListProviders and /metrics tell the same story.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { WatchEvent } from "../../src/client/mod.ts";
import { freePort, startServer, testGpu } from "../_helpers/server_process.ts";
import {
  collectEvents,
  OPTS,
  providerClient,
  rejectsWith,
  samplesByProvider,
  scrape,
} from "./_server.ts";

const LEASE_MS = 1000;

function condition(event: WatchEvent, type: string) {
  return event.object.status.conditions.find((c) => c.type === type);
}

Deno.test(
  "A provider that stops heartbeating sees its conditions go Unknown, and back when it writes",
  OPTS,
  async () => {
    await using server = await startServer();
    const admin = server.client();
    const mon = providerClient(server, "mon");
    const steady = providerClient(server, "steady");
    const watcher = server.client();
    try {
      await admin.create(testGpu("gpu-0"));
      await admin.create(testGpu("gpu-1"));
      const registered = await mon.registerProvider({ leaseMs: LEASE_MS });
      assert.deepEqual(registered.leaseDuration, { seconds: 1, nanos: 0 });
      assert.equal(registered.registered, true);
      await steady.registerProvider();
      const ready = { type: "MonReady", status: "True", reason: "Healthy", message: "all good" };
      await mon.setConditions("gpu-0", { set: [ready] });
      const last = await mon.setConditions("gpu-1", { set: [ready] });
      await steady.setConditions("gpu-0", { set: [{ type: "SteadyReady", status: "True" }] });
      const from = (await admin.list()).resourceVersion;
      assert.ok(Number(from) >= last.resourceVersion);
      const events = collectEvents(watcher.watch({ resourceVersion: from }));

      // mon goes silent: one MODIFIED per GPU turns its condition Unknown.
      const expired = (e: WatchEvent) =>
        condition(e, "MonReady")?.reason === "ProviderLeaseExpired";
      await events.until((e) => expired(e) && e.object.metadata.name === "gpu-1");
      await events.until((e) => expired(e) && e.object.metadata.name === "gpu-0");
      assert.deepEqual(
        events.events.map((e) => [e.type, e.object.metadata.name]).sort(),
        [["MODIFIED", "gpu-0"], ["MODIFIED", "gpu-1"]],
      );
      for (const event of events.events) {
        const c = condition(event, "MonReady")!;
        assert.equal(c.status, "Unknown");
        assert.equal(c.owner, "mon");
        assert.match(
          c.message,
          /provider "mon" did not renew its lease of 1s; last seen at \d{4}-/,
        );
      }
      const gpu0 = events.events.find((e) => e.object.metadata.name === "gpu-0")!;
      assert.equal(condition(gpu0, "SteadyReady")?.status, "True", "other providers are untouched");
      const warning = await server.waitForLog((l) =>
        l.msg === "Provider lease expired; marking its conditions Unknown"
      );
      assert.equal(warning.provider, "mon");

      const providers = await mon.listProviders();
      assert.deepEqual(
        providers.map((p) => [p.name, p.leaseExpired, p.conditionsOwned, p.leaseExpiries]),
        [["mon", true, 2, 1], ["steady", false, 1, 0]],
      );

      // mon writes again: its condition comes back, and it is up.
      const before = events.events.length;
      await mon.setConditions("gpu-0", { set: [ready] });
      await events.until((e) => condition(e, "MonReady")?.status === "True");
      const restored = condition(events.events[before]!, "MonReady")!;
      assert.deepEqual(
        [restored.status, restored.reason, restored.message, restored.owner],
        ["True", "Healthy", "all good", "mon"],
      );
      await server.waitForLog((l) =>
        typeof l.msg === "string" && l.msg.startsWith("Provider is up again")
      );
      const back = (await mon.listProviders()).find((p) => p.name === "mon")!;
      assert.equal(back.leaseExpired, false);
      // gpu-1 stays Unknown: the server does not invent state the provider did not send.
      const gpu1 = await admin.get("gpu-1");
      assert.equal(gpu1.status.conditions[0]?.status, "Unknown");
      await mon.unregisterProvider();
    } finally {
      for (const c of [admin, mon, steady, watcher]) c.close();
    }
  },
);

Deno.test("ListProviders and /metrics agree on which providers are up", OPTS, async () => {
  await using server = await startServer({ args: [`--metrics-port=${freePort()}`] });
  const admin = providerClient(server);
  const silent = providerClient(server, "silent");
  const alive = providerClient(server, "alive");
  const writer = providerClient(server, "writer-only");
  try {
    await admin.create(testGpu("gpu-0"));
    await silent.registerProvider({ leaseMs: LEASE_MS });
    await alive.registerProvider({ leaseMs: 60_000 });
    await silent.setConditions("gpu-0", { set: [{ type: "SilentReady", status: "True" }] });
    // A full-status write under an identity makes the writer known (without a lease).
    await writer.updateStatus("gpu-0", {
      conditions: [
        ...(await admin.get("gpu-0")).status.conditions,
        { type: "WriterReady", status: "True" },
      ],
    });
    await server.waitForLog((l) =>
      l.msg === "Marked the conditions of an expired provider Unknown"
    );

    const providers = await admin.listProviders();
    assert.deepEqual(providers.map((p) => [p.name, p.leaseExpired, p.registered]), [
      ["alive", false, true],
      ["silent", true, true],
      ["writer-only", false, false],
    ]);
    const text = await scrape(server);
    const up = samplesByProvider(text, "device_api_server_provider_up");
    const expiries = samplesByProvider(text, "device_api_server_provider_lease_expiries_total");
    // Only registered providers have series: a name known from writes adds none.
    const registered = providers.filter((p) => p.registered);
    for (const p of registered) {
      assert.equal(up.get(p.name), p.leaseExpired ? 0 : 1, `provider_up of ${p.name}`);
      assert.equal(expiries.get(p.name) ?? 0, p.leaseExpiries, `lease expiries of ${p.name}`);
    }
    assert.equal(up.size, registered.length);
    assert.equal(up.has("writer-only"), false);
    assert.equal(expiries.get("silent"), 1);

    // Heartbeat of a provider the server does not know: register again.
    await rejectsWith(providerClient(server, "ghost").heartbeat(), status.NOT_FOUND, "Heartbeat");
    await silent.heartbeat();
    const after = samplesByProvider(await scrape(server), "device_api_server_provider_up");
    assert.equal(after.get("silent"), 1);
    await alive.unregisterProvider();
    const gone = samplesByProvider(await scrape(server), "device_api_server_provider_up");
    assert.equal(gone.has("alive"), false);
  } finally {
    for (const c of [admin, silent, alive, writer]) c.close();
  }
});
