/**
 * ProviderLeases over a real store, with an injected clock and timers: one
 * timer for the earliest deadline, expiry rewriting the silent provider's
 * conditions, recovery, and GPUs that a rewrite cannot fit.
 */
import assert from "node:assert/strict";
import type { Condition, DeepPartial } from "../../src/api/mod.ts";
import { type Commit, GpuStore, type StoreOptions } from "../../src/cache/mod.ts";
import { LEASE_EXPIRED_REASON, ProviderLeases } from "../../src/providers/mod.ts";
import { FakeTime, recordingLogger } from "./_fakes.ts";

function setup(storeOptions: StoreOptions = {}) {
  const time = new FakeTime();
  const log = recordingLogger();
  const commits: Commit[] = [];
  const expired: string[] = [];
  const store = new GpuStore({
    initialVersion: 100,
    now: () => time.now,
    ...storeOptions,
    onCommit: (c) => commits.push(c),
  });
  const leases = new ProviderLeases({
    store,
    logger: log,
    now: () => time.now,
    timers: time,
    onExpire: (p) => expired.push(p),
  });
  // A provider's write as the heartbeat interceptor sees it: once it succeeds, a write under a
  // provider's identity (not an anonymous one) is a heartbeat.
  const write = async (provider: string, name: string, set: DeepPartial<Condition>[]) => {
    await store.setConditions({ name, set, remove: [] }, { provider });
    if (provider !== "") leases.heartbeat(provider);
  };
  return { time, log, commits, expired, store, leases, write };
}

function cond(type: string, status = "True", extra: DeepPartial<Condition> = {}) {
  return { type, status, reason: "Checked", message: "", ...extra };
}

async function addGpu(store: GpuStore, name: string): Promise<void> {
  await store.create({ metadata: { name }, spec: { uuid: `GPU-${name}` } }, { provider: "" });
}

Deno.test("ProviderLeases arms no timer while no provider has a lease", async () => {
  const { time, store, leases, write } = setup();
  await addGpu(store, "gpu-0");
  await write("w", "gpu-0", [cond("A")]);
  leases.register("no-lease", 0);
  assert.deepEqual(time.pending, []);
  assert.deepEqual(leases.list().map((p) => [p.name, p.registered]), [
    ["no-lease", true],
    ["w", false],
  ]);
});

Deno.test("ProviderLeases keeps one timer, for the earliest deadline, re-armed on heartbeat", () => {
  const { time, leases } = setup();
  const t0 = time.now;
  leases.register("slow", 5000);
  assert.deepEqual(time.pending, [t0 + 5000]);
  leases.register("fast", 1000);
  assert.deepEqual(time.pending, [t0 + 1000]);
  time.advance(600);
  leases.heartbeat("fast");
  assert.deepEqual(time.pending, [t0 + 1600]);
  leases.unregister("fast");
  assert.deepEqual(time.pending, [t0 + 5000]);
  leases.close();
  assert.deepEqual(time.pending, []);
  leases.register("after-close", 1000);
  assert.deepEqual(time.pending, [], "no lease expires after close()");
});

Deno.test("ProviderLeases turns only the silent provider's conditions Unknown, one write per GPU", async () => {
  const { time, log, commits, expired, store, leases, write } = setup();
  for (const name of ["gpu-0", "gpu-1", "gpu-2"]) await addGpu(store, name);
  leases.register("mon", 1000);
  await write("mon", "gpu-0", [cond("MonA"), cond("MonB", "False")]);
  await write("mon", "gpu-1", [cond("MonA")]);
  await write("other", "gpu-1", [cond("Other")]);
  await write("other", "gpu-2", [cond("Other")]);
  const lastSeen = time.now;
  const before = commits.length;
  time.advance(999);
  assert.deepEqual(expired, []);
  time.advance(1);
  await leases.idle();
  assert.deepEqual(expired, ["mon"]);
  const rewrites = commits.slice(before);
  assert.deepEqual(rewrites.map((c) => [c.operation, c.type, c.gpu.metadata.name]), [
    ["lease_expired", "MODIFIED", "gpu-0"],
    ["lease_expired", "MODIFIED", "gpu-1"],
  ]);
  const gpu0 = await store.get("", "gpu-0");
  for (const c of gpu0.status.conditions) {
    assert.equal(c.status, "Unknown");
    assert.equal(c.reason, LEASE_EXPIRED_REASON);
    assert.equal(c.owner, "mon");
    assert.match(c.message, /provider "mon" did not renew its lease of 1s/);
    assert.ok(c.message.includes(new Date(lastSeen).toISOString()), c.message);
    assert.equal(c.lastTransitionTime?.seconds, Math.floor(time.now / 1000));
  }
  const gpu1 = await store.get("", "gpu-1");
  assert.deepEqual(gpu1.status.conditions.map((c) => [c.type, c.status]), [
    ["MonA", "Unknown"],
    ["Other", "True"],
  ]);
  assert.equal(leases.get("mon")?.expired, true);
  assert.equal(leases.get("mon")?.conditionsOwned, 3);
  const warning = log.lines.find((l) => l.level === "warning");
  assert.equal(warning?.kv.provider, "mon");
  assert.match(warning?.msg ?? "", /lease expired/);
  assert.deepEqual(time.pending, [], "no other provider has a lease");
});

Deno.test("ProviderLeases lets the provider's next write restore its conditions", async () => {
  const { time, log, store, leases, write } = setup();
  await addGpu(store, "gpu-0");
  leases.register("mon", 1000);
  await write("mon", "gpu-0", [cond("MonA"), cond("MonB")]);
  time.advance(1000);
  await leases.idle();
  // A heartbeat brings the provider back but invents no state.
  assert.ok(leases.renew("mon"));
  assert.equal(leases.get("mon")?.expired, false);
  assert.ok(log.lines.some((l) => l.level === "info" && /up again/.test(l.msg)));
  assert.deepEqual((await store.get("", "gpu-0")).status.conditions.map((c) => c.status), [
    "Unknown",
    "Unknown",
  ]);
  await write("mon", "gpu-0", [cond("MonA")]);
  const conditions = (await store.get("", "gpu-0")).status.conditions;
  assert.deepEqual(conditions.map((c) => [c.type, c.status, c.reason]), [
    ["MonA", "True", "Checked"],
    ["MonB", "Unknown", LEASE_EXPIRED_REASON],
  ]);
  assert.deepEqual(time.pending, [time.now + 1000], "the lease runs again");
});

Deno.test("ProviderLeases publishes nothing when an already-marked provider expires again", async () => {
  const { time, commits, expired, store, leases, write } = setup();
  await addGpu(store, "gpu-0");
  leases.register("mon", 1000);
  await write("mon", "gpu-0", [cond("MonA")]);
  time.advance(1000);
  await leases.idle();
  leases.renew("mon");
  const before = commits.length;
  time.advance(1000);
  await leases.idle();
  assert.deepEqual(expired, ["mon", "mon"]);
  assert.equal(commits.length, before);
  assert.equal(leases.get("mon")?.expiries, 2);
});

Deno.test("ProviderLeases keeps the conditions of a provider heard from after its expiry was decided", async () => {
  const { time, commits, store, leases, write } = setup();
  await addGpu(store, "gpu-0");
  leases.register("mon", 1000);
  await write("mon", "gpu-0", [cond("MonA", "False")]);
  time.advance(1000); // expiry decided; the rewrite has not taken the store's write lock yet
  leases.heartbeat("mon"); // heard from (a heartbeat, or a write RPC that completed) first
  const fresh = write("mon", "gpu-0", [cond("MonA")]);
  await Promise.all([fresh, leases.idle()]);
  const [c] = (await store.get("", "gpu-0")).status.conditions;
  assert.equal(c?.status, "True");
  assert.equal(commits.filter((x) => x.operation === "lease_expired").length, 0);
});

Deno.test("ProviderLeases.heartbeat() adds an unknown provider without a lease; an anonymous write is none", async () => {
  const { store, leases, write } = setup();
  await addGpu(store, "gpu-0");
  await write("", "gpu-0", [cond("Anon")]);
  assert.deepEqual(leases.list(), []);
  leases.heartbeat("w");
  assert.deepEqual(leases.list().map((p) => [p.name, p.registered]), [["w", false]]);
  assert.deepEqual(leases.list()[0]!.leaseMs, 0);
});

Deno.test("ProviderLeases skips and logs a GPU the rewrite would push over the size limit", async () => {
  const limit = 1024;
  const { time, log, store, leases } = setup({ limits: { maxObjectBytes: limit } });
  await addGpu(store, "gpu-a");
  await addGpu(store, "gpu-b");
  await addGpu(store, "gpu-c");
  leases.register("mon", 1000);
  for (const name of ["gpu-a", "gpu-b", "gpu-c"]) {
    await store.setConditions({ name, set: [cond("MonA")], remove: [] }, { provider: "mon" });
  }
  // Pad gpu-b to just under the limit: the longer Unknown message cannot fit.
  const pad = async (length: number) =>
    await store.update({
      metadata: { name: "gpu-b", annotations: { pad: "x".repeat(length) } },
      spec: { uuid: "GPU-gpu-b" },
    }, { provider: "" });
  await pad(200);
  const size = (await store.getEncoded("", "gpu-b")).length;
  await pad(200 + limit - 30 - size);
  assert.equal((await store.getEncoded("", "gpu-b")).length, limit - 30);
  leases.heartbeat("mon");
  time.advance(1000);
  await leases.idle();
  const status = async (name: string) => (await store.get("", name)).status.conditions[0]?.status;
  assert.equal(await status("gpu-a"), "Unknown");
  assert.equal(await status("gpu-b"), "True", "left as it was");
  assert.equal(await status("gpu-c"), "Unknown", "the GPUs after the skipped one are still marked");
  const error = log.lines.find((l) => l.level === "error");
  assert.equal(error?.kv.gpu, "gpu-b");
  assert.match(String(error?.err), /object too large/);
});
