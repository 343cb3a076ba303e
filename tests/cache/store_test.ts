import assert from "node:assert/strict";
import type { Gpu } from "../../src/api/mod.ts";
import {
  AlreadyExistsError,
  CapacityError,
  type Commit,
  ConflictError,
  GpuStore,
  NotFoundError,
  type StoreOptions,
  TooOldResourceVersionError,
} from "../../src/cache/mod.ts";
import { cond, CTX, delivered, FakeSink, gpuInput, newStore } from "./_helpers.ts";
import { same } from "../../src/cache/store_support.ts";

// A store whose commits and watch events are recorded.
async function observed(options: StoreOptions = {}) {
  const commits: Commit[] = [];
  const store = newStore({ ...options, onCommit: (c) => commits.push(c) });
  const sink = new FakeSink();
  await store.watch({ fromVersion: store.resourceVersion, bookmarks: false, sink });
  return { store, commits, sink };
}

Deno.test("GpuStore.create() stores a new GPU with created=true and an ADDED event", async () => {
  const { store, commits, sink } = await observed();
  const { stored, created } = await store.create(
    gpuInput("gpu-0", { labels: { zone: "a" }, annotations: { note: "x" } }),
    { provider: "nvml" },
  );
  assert.equal(created, true);
  const gpu = stored.gpu;
  assert.equal(gpu.metadata.name, "gpu-0");
  assert.equal(gpu.metadata.namespace, "default");
  assert.equal(gpu.metadata.uid, "uid-1");
  assert.equal(gpu.metadata.generation, 1);
  assert.deepEqual(gpu.metadata.creationTimestamp, { seconds: 1000, nanos: 0 });
  assert.deepEqual(gpu.metadata.labels, { zone: "a" });
  assert.equal(gpu.resourceVersion, 101);
  assert.equal(gpu.metadata.resourceVersion, "101");
  assert.equal(store.resourceVersion, 101);
  await delivered();
  assert.deepEqual(sink.summary(), ["ADDED gpu-0@101"]);
  assert.deepEqual(commits.map((c) => [c.operation, c.provider, c.type]), [[
    "create",
    "nvml",
    "ADDED",
  ]]);
});

Deno.test("GpuStore.create() returns the stored GPU with created=false for the same uuid", async () => {
  const { store, commits, sink } = await observed();
  const first = await store.create(gpuInput("gpu-0", { uuid: "GPU-1" }), CTX);
  const again = await store.create(gpuInput("gpu-0", { uuid: "GPU-1", labels: { x: "y" } }), CTX);
  assert.equal(again.created, false);
  assert.equal(again.stored, first.stored, "the stored object itself, untouched");
  assert.equal(store.resourceVersion, 101, "no new version");
  assert.equal(commits.length, 1);
  await delivered();
  assert.deepEqual(sink.summary(), ["ADDED gpu-0@101"], "no event");
});

Deno.test("GpuStore.create() throws AlreadyExistsError for the same name with another uuid", async () => {
  const store = newStore();
  await store.create(gpuInput("gpu-0", { uuid: "GPU-1" }), CTX);
  await assert.rejects(store.create(gpuInput("gpu-0", { uuid: "GPU-2" }), CTX), AlreadyExistsError);
  assert.equal(store.resourceVersion, 101);
  const other = await store.create(gpuInput("gpu-0", { uuid: "GPU-2", namespace: "other" }), CTX);
  assert.equal(other.created, true, "the same name in another namespace is another object");
});

Deno.test("GpuStore.create() maps an empty namespace to default", async () => {
  const store = newStore();
  await store.create(gpuInput("gpu-0", { namespace: "" }), CTX);
  assert.equal((await store.get("default", "gpu-0")).metadata.namespace, "default");
  assert.equal((await store.get("", "gpu-0")).metadata.name, "gpu-0");
  const again = await store.create(gpuInput("gpu-0", { namespace: "default" }), CTX);
  assert.equal(again.created, false);
});

Deno.test("GpuStore.create() throws CapacityError beyond limits.maxGpus", async () => {
  const store = newStore({ limits: { maxGpus: 2 } });
  await store.create(gpuInput("a"), CTX);
  await store.create(gpuInput("b"), CTX);
  await assert.rejects(store.create(gpuInput("c"), CTX), CapacityError);
  assert.equal(store.size, 2);
  assert.equal(store.resourceVersion, 102);
  assert.equal(
    (await store.create(gpuInput("a"), CTX)).created,
    false,
    "an idempotent create still works",
  );
  await store.delete("", "a", CTX);
  assert.equal((await store.create(gpuInput("c"), CTX)).created, true);
});

Deno.test("GpuStore.update() replaces spec, labels and annotations and ignores status", async () => {
  const { store, sink } = await observed();
  await store.create(
    gpuInput("g", {
      labels: { a: "1", b: "2" },
      annotations: { n: "1" },
      conditions: [cond("Ready", "True")],
    }),
    CTX,
  );
  const input = gpuInput("g", {
    uuid: "GPU-new",
    productName: "H100",
    labels: { c: "3" },
    conditions: [cond("Ready", "False")],
  });
  const { gpu } = await store.update(input, CTX);
  assert.equal(gpu.spec.uuid, "GPU-new");
  assert.equal(gpu.spec.productName, "H100");
  assert.deepEqual(gpu.metadata.labels, { c: "3" });
  assert.deepEqual(gpu.metadata.annotations, {});
  assert.equal(gpu.status.conditions[0]?.status, "True", "status is a subresource");
  assert.equal(gpu.metadata.generation, 2);
  assert.equal(gpu.metadata.uid, "uid-1");
  assert.equal(gpu.resourceVersion, 102);
  await delivered();
  assert.deepEqual(sink.summary(), ["ADDED g@101", "MODIFIED g@102"]);
});

Deno.test("GpuStore.update() throws ConflictError for a stale resource version", async () => {
  const store = newStore();
  await store.create(gpuInput("g"), CTX);
  await store.update(gpuInput("g", { productName: "v2" }), CTX);
  const stale = gpuInput("g", { productName: "v3" });
  stale.metadata!.resourceVersion = "101";
  await assert.rejects(store.update(stale, CTX), ConflictError);
  stale.metadata!.resourceVersion = "0";
  await assert.rejects(store.update(stale, CTX), ConflictError, '"0" is a precondition too');
  assert.equal((await store.get("", "g")).spec.productName, "v2");
  stale.metadata!.resourceVersion = "102";
  assert.equal((await store.update(stale, CTX)).gpu.spec.productName, "v3");
});

Deno.test("GpuStore.update() writes unconditionally when metadata.resource_version is empty", async () => {
  const store = newStore();
  await store.create(gpuInput("g"), CTX);
  await store.update(gpuInput("g", { productName: "v2" }), CTX);
  const input = gpuInput("g", { productName: "v3" });
  // The int64 copy is no precondition: a client that clears the string writes unconditionally.
  const written = await store.update({ ...input, resourceVersion: 101 }, CTX);
  assert.equal(written.gpu.spec.productName, "v3");
  assert.equal(written.gpu.resourceVersion, 103);
});

Deno.test("GpuStore.update() makes no version and no event when nothing changes", async () => {
  const { store, commits, sink } = await observed();
  const input = gpuInput("g", { labels: { b: "2", a: "1" }, annotations: { z: "", y: "text" } });
  const { stored } = await store.create(input, CTX);
  const same = gpuInput("g", { labels: { a: "1", b: "2" }, annotations: { y: "text", z: "" } });
  assert.equal(await store.update(same, CTX), stored);
  assert.equal(store.resourceVersion, 101);
  assert.equal(commits.length, 1);
  await delivered();
  assert.equal(sink.writes.length, 1);
  assert.equal((await store.get("", "g")).metadata.generation, 1);
});

Deno.test("GpuStore.update() throws NotFoundError for a missing GPU", async () => {
  const store = newStore();
  await assert.rejects(store.update(gpuInput("g"), CTX), NotFoundError);
});

Deno.test("GpuStore.updateStatus() replaces the whole status", async () => {
  const store = newStore();
  await store.create(gpuInput("g", { conditions: [cond("A", "True"), cond("B", "True")] }), CTX);
  const { gpu } = await store.updateStatus(
    { name: "g", status: { conditions: [cond("B", "False")], recommendedAction: "drain" } },
    { provider: "p2" },
  );
  assert.deepEqual(gpu.status.conditions.map((c) => [c.type, c.status, c.owner]), [[
    "B",
    "False",
    "p2",
  ]]);
  assert.equal(gpu.status.recommendedAction, "drain");
  assert.equal(gpu.metadata.generation, 1, "status writes do not bump generation");
  assert.equal(gpu.resourceVersion, 102);
});

Deno.test("GpuStore.updateStatus() throws ConflictError for a stale resource version", async () => {
  const store = newStore();
  await store.create(gpuInput("g"), CTX);
  await store.updateStatus({ name: "g", status: { recommendedAction: "a" } }, CTX);
  const stale = { name: "g", status: { recommendedAction: "b" }, resourceVersion: 101 };
  await assert.rejects(store.updateStatus(stale, CTX), ConflictError);
  assert.equal((await store.get("", "g")).status.recommendedAction, "a");
  const fresh = await store.updateStatus({ ...stale, resourceVersion: 102 }, CTX);
  assert.equal(fresh.gpu.status.recommendedAction, "b");
});

Deno.test("GpuStore.updateStatus() keeps lastTransitionTime only while a condition's status is unchanged", async () => {
  let clock = 1_000_000;
  const store = newStore({ now: () => clock });
  await store.create(
    gpuInput("g", { conditions: [cond("Ready", "True"), cond("Xid", "False")] }),
    CTX,
  );
  clock = 5_000_250;
  const { gpu } = await store.updateStatus({
    name: "g",
    status: {
      conditions: [
        cond("Ready", "True", { message: "still fine", lastTransitionTime: { seconds: 42 } }),
        cond("Xid", "True", { reason: "Xid79" }),
        cond("Thermal", "False"),
      ],
    },
  }, CTX);
  const [ready, xid, thermal] = gpu.status.conditions;
  assert.deepEqual(
    ready?.lastTransitionTime,
    { seconds: 1000, nanos: 0 },
    "unchanged status keeps its time",
  );
  assert.equal(ready?.message, "still fine");
  assert.deepEqual(
    xid?.lastTransitionTime,
    { seconds: 5000, nanos: 250_000_000 },
    "changed status: now",
  );
  assert.deepEqual(thermal?.lastTransitionTime, { seconds: 5000, nanos: 250_000_000 }, "new: now");
});

Deno.test("GpuStore.updateStatus() makes no version and no event for an identical status", async () => {
  const { store, commits, sink } = await observed();
  const conditions = [cond("Ready", "True", { reason: "Ok", message: "m" })];
  await store.create(gpuInput("g", { conditions }), { provider: "a" });
  const status = { conditions, recommendedAction: "" };
  const before = await store.get("", "g");
  const result = await store.updateStatus({ name: "g", status }, { provider: "b" });
  assert.equal(result.gpu.resourceVersion, 101);
  assert.equal(store.resourceVersion, 101);
  assert.equal(commits.length, 1);
  await delivered();
  assert.equal(sink.writes.length, 1);
  assert.deepEqual(await store.get("", "g"), before, "not even the owner changes");
});

Deno.test("GpuStore.setConditions() sets and removes only the named conditions", async () => {
  let clock = 1_000_000;
  const store = newStore({ now: () => clock });
  await store.create(
    gpuInput("g", { conditions: [cond("A", "True"), cond("B", "True"), cond("C", "True")] }),
    { provider: "p1" },
  );
  await store.updateStatus({
    name: "g",
    status: {
      conditions: [cond("A", "True"), cond("B", "True"), cond("C", "True")],
      recommendedAction: "none",
    },
  }, { provider: "p1" });
  const before = await store.get("", "g");
  clock = 9_000_000;
  const { gpu } = await store.setConditions(
    {
      name: "g",
      set: [cond("B", "False", { reason: "Broken" }), cond("D", "True")],
      remove: ["C", "Z"],
    },
    { provider: "p2" },
  );
  assert.deepEqual(gpu.status.conditions.map((c) => c.type), ["A", "B", "D"]);
  assert.deepEqual(gpu.status.conditions[0], before.status.conditions[0], "A untouched");
  assert.equal(gpu.status.conditions[1]?.owner, "p2");
  assert.equal(gpu.status.conditions[1]?.reason, "Broken");
  assert.deepEqual(gpu.status.conditions[1]?.lastTransitionTime, { seconds: 9000, nanos: 0 });
  assert.equal(gpu.status.conditions[2]?.owner, "p2");
  assert.equal(gpu.status.recommendedAction, "none", "the rest of the status is untouched");
  assert.equal(before.status.conditions[0]?.owner, "p1");
});

Deno.test("GpuStore.setConditions() sets the recommended action in the same write", async () => {
  const { store, commits, sink } = await observed();
  await store.create(gpuInput("g"), CTX);
  await store.updateStatus({ name: "g", status: { recommendedAction: "RESTART_APP" } }, CTX);
  const seen: string[] = [];
  const { gpu } = await store.setConditions({
    name: "g",
    set: [cond("NVMLReady", "False")],
    remove: [],
    recommendedAction: (current) => {
      seen.push(current);
      return "RESET_GPU";
    },
  }, CTX);
  assert.deepEqual(seen, ["RESTART_APP"], "called once, with the stored action");
  assert.equal(gpu.status.recommendedAction, "RESET_GPU");
  assert.equal(gpu.status.conditions[0]?.status, "False");
  assert.equal(commits.length, 3, "create, the action, then conditions and action together");
  await delivered();
  assert.equal(sink.writes.length, 3);
  const kept = await store.setConditions(
    { name: "g", set: [cond("NVMLReady", "True")], remove: [], recommendedAction: () => undefined },
    CTX,
  );
  assert.equal(kept.gpu.status.recommendedAction, "RESET_GPU", "undefined keeps the action");
});

Deno.test("GpuStore.setConditions() checks the resource version precondition", async () => {
  const store = newStore();
  await store.create(gpuInput("g"), CTX);
  await store.setConditions({ name: "g", set: [cond("A", "True")], remove: [] }, CTX);
  const patch = { name: "g", set: [cond("A", "False")], remove: [], resourceVersion: 101 };
  await assert.rejects(store.setConditions(patch, CTX), ConflictError);
  assert.equal(
    (await store.setConditions({ ...patch, resourceVersion: 102 }, CTX)).gpu.resourceVersion,
    103,
  );
  await assert.rejects(
    store.setConditions({ name: "nope", set: [], remove: [] }, CTX),
    NotFoundError,
  );
});

Deno.test("GpuStore.setConditions() makes no version when nothing changes", async () => {
  const store = newStore();
  await store.create(gpuInput("g", { conditions: [cond("A", "True")] }), CTX);
  const result = await store.setConditions(
    { name: "g", set: [cond("A", "True")], remove: ["B"] },
    CTX,
  );
  assert.equal(result.gpu.resourceVersion, 101);
  assert.equal(store.resourceVersion, 101);
});

Deno.test("GpuStore.delete() throws NotFoundError when the GPU is absent", async () => {
  const store = newStore();
  await assert.rejects(store.delete("", "gpu-0", CTX), NotFoundError);
  await store.create(gpuInput("gpu-0"), CTX);
  await assert.rejects(store.delete("other", "gpu-0", CTX), NotFoundError);
  assert.equal(store.resourceVersion, 101);
});

Deno.test("GpuStore.delete() emits DELETED with the last state stamped with the delete's version", async () => {
  const { store, sink } = await observed();
  await store.create(
    gpuInput("g", { labels: { zone: "a" }, conditions: [cond("Ready", "True")] }),
    CTX,
  );
  await store.updateStatus({ name: "g", status: { conditions: [cond("Ready", "False")] } }, CTX);
  const last = await store.get("", "g");
  const deleted = await store.delete("", "g", CTX);
  assert.equal(deleted.gpu.resourceVersion, 103);
  assert.equal(store.resourceVersion, 103);
  await delivered();
  const event = sink.events().at(-1)!;
  assert.equal(event.type, "DELETED");
  assert.deepEqual(event.object, {
    ...last,
    metadata: { ...last.metadata, resourceVersion: "103" },
    resourceVersion: 103,
  });
  await assert.rejects(store.get("", "g"), NotFoundError);
  assert.equal(store.size, 0);
});

Deno.test("GpuStore.delete() succeeds for an object at the size limit", async () => {
  // Version 99 → 100 makes the stamped encoding one byte longer.
  const probe = newStore({ initialVersion: 98 });
  const input = gpuInput("g", {
    conditions: [cond("Ready", "True", { message: "m".repeat(100) })],
  });
  const size = (await probe.create(input, CTX)).stored.bytes.length;
  const store = newStore({ initialVersion: 98, limits: { maxObjectBytes: size } });
  await store.create(input, CTX);
  const deleted = await store.delete("", "g", CTX);
  assert.equal(deleted.gpu.resourceVersion, 100);
  assert.equal(deleted.bytes.length, size + 1);
  assert.equal(store.size, 0);
});

Deno.test("GpuStore resource versions strictly increase across every kind of write", async () => {
  const { store, commits } = await observed();
  const versions = [store.resourceVersion];
  const note = (gpu: Readonly<Gpu>) => versions.push(gpu.resourceVersion);
  note((await store.create(gpuInput("a"), CTX)).stored.gpu);
  note((await store.create(gpuInput("b"), CTX)).stored.gpu);
  note((await store.update(gpuInput("a", { productName: "x" }), CTX)).gpu);
  note(
    (await store.updateStatus({ name: "a", status: { conditions: [cond("R", "True")] } }, CTX)).gpu,
  );
  note((await store.setConditions({ name: "b", set: [cond("R", "False")], remove: [] }, CTX)).gpu);
  note((await store.delete("", "a", CTX)).gpu);
  note((await store.create(gpuInput("a", { conditions: [cond("R", "True")] }), CTX)).stored.gpu);
  await store.rewriteConditions("lease_expired", CTX, (c) => ({ ...c, status: "Unknown" }));
  versions.push(...commits.slice(-2).map((c) => c.gpu.resourceVersion));
  assert.equal(versions.length, 10);
  for (let i = 1; i < versions.length; i++) assert.equal(versions[i], versions[i - 1]! + 1);
  assert.equal(store.resourceVersion, versions.at(-1));
  assert.equal(
    (await store.get("", "a")).resourceVersion,
    108,
    "a re-created object gets a new version",
  );
  assert.deepEqual(commits.map((c) => c.operation), [
    "create",
    "create",
    "update",
    "update_status",
    "set_conditions",
    "delete",
    "create",
    "lease_expired",
    "lease_expired",
  ]);
});

Deno.test("GpuStore initialVersion defaults to the clock in microseconds", () => {
  const before = Date.now() * 1000;
  const store = new GpuStore({});
  const after = Date.now() * 1000;
  assert.ok(store.resourceVersion >= before && store.resourceVersion <= after);
});

Deno.test("GpuStore versions do not go backwards across a restart", async () => {
  const realNow = Date.now;
  let first: GpuStore;
  let second: GpuStore;
  try {
    Date.now = () => 1_700_000_000_000;
    first = new GpuStore({ now: () => 0 });
    assert.equal(first.resourceVersion, 1_700_000_000_000_000);
    for (let i = 0; i < 5; i++) await first.create(gpuInput(`gpu-${i}`), CTX);
    Date.now = () => 1_700_000_000_001; // one millisecond later: a restart
    second = new GpuStore({ now: () => 0 });
  } finally {
    Date.now = realNow;
  }
  assert.ok(second.resourceVersion > first.resourceVersion);
  const sink = new FakeSink();
  const resume = second.watch({ fromVersion: first.resourceVersion, bookmarks: false, sink });
  await assert.rejects(
    resume,
    TooOldResourceVersionError,
    "a version of the last run is out of range",
  );
});

Deno.test("GpuStore.get() and list() return copies that do not alias stored state", async () => {
  const store = newStore();
  await store.create(
    gpuInput("g", { labels: { a: "1" }, conditions: [cond("Ready", "True")] }),
    CTX,
  );
  const copy = await store.get("", "g");
  copy.metadata.labels.a = "changed";
  copy.spec.uuid = "changed";
  copy.status.conditions.push({ ...copy.status.conditions[0]!, type: "Extra" });
  const [listed] = (await store.list()).items;
  listed!.metadata.name = "changed";
  listed!.status.conditions[0]!.status = "False";
  const fresh = await store.get("", "g");
  assert.deepEqual(fresh.metadata.labels, { a: "1" });
  assert.equal(fresh.spec.uuid, "GPU-g");
  assert.deepEqual(fresh.status.conditions.map((c) => [c.type, c.status]), [["Ready", "True"]]);
  assert.equal((await store.list()).items[0]?.metadata.name, "g");
});

Deno.test("GpuStore stores deep-frozen objects", async () => {
  const store = newStore();
  const { stored } = await store.create(
    gpuInput("g", { labels: { a: "1" }, conditions: [cond("Ready", "True")] }),
    CTX,
  );
  const gpu = stored.gpu as Gpu;
  for (
    const part of [
      gpu,
      gpu.metadata,
      gpu.metadata.labels,
      gpu.spec,
      gpu.status,
      gpu.status.conditions,
      gpu.status.conditions[0],
    ]
  ) {
    assert.ok(Object.isFrozen(part));
  }
  assert.throws(() => {
    gpu.metadata.labels.a = "2";
  }, TypeError);
  assert.equal(store.snapshot()[0]?.gpu.metadata.labels.a, "1");
});

async function seed(store: GpuStore): Promise<void> {
  const objects: [string, string, Record<string, string>][] = [
    ["gpu-2", "default", { pool: "a" }],
    ["gpu-10", "default", { pool: "b" }],
    ["gpu-1", "a-b", { pool: "a", drained: "true" }],
    ["gpu-0", "a", {}],
    ["gpu-0", "kube", { pool: "a" }],
  ];
  for (const [name, namespace, labels] of objects) {
    await store.create(gpuInput(name, { namespace, labels }), CTX);
  }
}

Deno.test("GpuStore.list() sorts by (namespace, name) and reports the list's version", async () => {
  const store = newStore();
  await seed(store);
  const { resourceVersion, items } = await store.list();
  assert.equal(resourceVersion, 105);
  assert.deepEqual(items.map((g) => `${g.metadata.namespace}/${g.metadata.name}`), [
    "a/gpu-0",
    "a-b/gpu-1",
    "default/gpu-10",
    "default/gpu-2",
    "kube/gpu-0",
  ]);
});

Deno.test("GpuStore.list() filters by namespace and label selector", async () => {
  const store = newStore();
  await seed(store);
  const names = async (sel: { namespace?: string; labelSelector?: string }) =>
    (await store.list(sel)).items.map((g) => `${g.metadata.namespace}/${g.metadata.name}`);
  assert.deepEqual(await names({ namespace: "default" }), ["default/gpu-10", "default/gpu-2"]);
  assert.deepEqual(await names({ namespace: "nothing" }), []);
  assert.deepEqual(await names({ labelSelector: "pool=a" }), [
    "a-b/gpu-1",
    "default/gpu-2",
    "kube/gpu-0",
  ]);
  assert.deepEqual(await names({ labelSelector: "pool=a,!drained" }), [
    "default/gpu-2",
    "kube/gpu-0",
  ]);
  assert.deepEqual(await names({ namespace: "default", labelSelector: "pool in (a,b)" }), [
    "default/gpu-10",
    "default/gpu-2",
  ]);
  assert.deepEqual(await names({ labelSelector: "!pool" }), ["a/gpu-0"]);
});

Deno.test("same() compares normalized values structurally: nesting, arrays, key sets, types", () => {
  const status = () => ({
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: { seconds: 1, nanos: 0 } }],
    recommendedAction: "",
  });
  assert.equal(same(status(), status()), true);
  assert.equal(same({ a: 1, b: 2 }, { b: 2, a: 1 }), true, "key order does not matter");
  const changed = status();
  changed.conditions[0]!.lastTransitionTime.nanos = 1;
  assert.equal(same(status(), changed), false, "a difference deep inside");
  assert.equal(same({ a: 1 }, { a: 1, b: 2 }), false, "an extra key");
  assert.equal(same({ a: 1, b: 2 }, { a: 1 }), false, "a missing key");
  assert.equal(same({ a: 1, b: 2 }, { a: 1, c: 2 }), false, "same count, other key");
  assert.equal(same([1, 2], [1, 2, 3]), false);
  assert.equal(same([], {}), false, "an array is not an object");
  assert.equal(same({}, []), false);
  assert.equal(same({ a: null }, { a: {} }), false);
  assert.equal(same({ a: "1" }, { a: 1 }), false, "types count");
  assert.equal(same({ labels: {} }, { labels: {} }), true);
});
