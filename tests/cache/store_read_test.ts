import assert from "node:assert/strict";
import { encodeGpu, encodeGpuList } from "../../src/api/mod.ts";
import { type GpuStore, RwLock } from "../../src/cache/mod.ts";
import { cond, CTX, gpuInput, newStore, ticks, track } from "./_helpers.ts";

// The bytes a fresh encoding of the current state gives, for comparison.
async function expectedList(store: GpuStore): Promise<Uint8Array> {
  const { resourceVersion, items } = await store.list();
  return Uint8Array.from(encodeGpuList(resourceVersion, items.map(encodeGpu)));
}

async function assertEncodingsFresh(store: GpuStore, step: string): Promise<void> {
  assert.deepEqual(Uint8Array.from(await store.listEncoded()), await expectedList(store), step);
  for (const { metadata } of (await store.list()).items) {
    const bytes = await store.getEncoded(metadata.namespace, metadata.name);
    const fresh = encodeGpu(await store.get(metadata.namespace, metadata.name));
    assert.deepEqual(Uint8Array.from(bytes), Uint8Array.from(fresh), `${step}: ${metadata.name}`);
  }
}

Deno.test("GpuStore.listEncoded() and getEncoded() match a fresh encoding after every kind of write", async () => {
  const store = newStore();
  await assertEncodingsFresh(store, "empty");
  await store.create(
    gpuInput("b", { labels: { a: "1" }, conditions: [cond("Ready", "True")] }),
    CTX,
  );
  await store.create(gpuInput("a", { namespace: "ns" }), CTX);
  await assertEncodingsFresh(store, "create");
  await store.update(gpuInput("b", { labels: { a: "2" }, productName: "H100" }), CTX);
  await assertEncodingsFresh(store, "update");
  await store.updateStatus({ name: "b", status: { conditions: [cond("Ready", "False")] } }, CTX);
  await assertEncodingsFresh(store, "updateStatus");
  await store.setConditions(
    { namespace: "ns", name: "a", set: [cond("X", "True")], remove: [] },
    CTX,
  );
  await assertEncodingsFresh(store, "setConditions");
  await store.rewriteConditions("lease_expired", CTX, (c) => ({ ...c, status: "Unknown" }));
  await assertEncodingsFresh(store, "rewriteConditions");
  await store.delete("", "b", CTX);
  await assertEncodingsFresh(store, "delete");
});

Deno.test("GpuStore.listEncoded() reuses the cached bytes until the next write", async () => {
  const store = newStore();
  await store.create(gpuInput("a"), CTX);
  const first = await store.listEncoded();
  assert.equal(await store.listEncoded(), first, "same version: the same bytes object");
  assert.equal(await store.listEncoded({}), first);
  await store.create(gpuInput("b"), CTX);
  const second = await store.listEncoded();
  assert.notEqual(second, first);
  assert.deepEqual(Uint8Array.from(second), await expectedList(store));
  assert.equal(await store.listEncoded(), second);
  await store.update(gpuInput("b", { productName: "x" }), CTX); // same keys, new version
  const third = await store.listEncoded();
  assert.notEqual(third, second);
  assert.deepEqual(Uint8Array.from(third), await expectedList(store));
});

Deno.test("GpuStore.listEncoded() encodes filtered lists at the current version", async () => {
  const store = newStore();
  await store.create(gpuInput("a", { labels: { pool: "x" } }), CTX);
  await store.create(gpuInput("b", { namespace: "ns", labels: { pool: "y" } }), CTX);
  const items = (await store.list()).items;
  const byLabel = await store.listEncoded({ labelSelector: "pool=y" });
  assert.deepEqual(
    Uint8Array.from(byLabel),
    Uint8Array.from(encodeGpuList(102, [encodeGpu(items[1]!)])),
  );
  const byNamespace = await store.listEncoded({ namespace: "default" });
  assert.deepEqual(
    Uint8Array.from(byNamespace),
    Uint8Array.from(encodeGpuList(102, [encodeGpu(items[0]!)])),
  );
  const unfiltered = await store.listEncoded();
  assert.deepEqual(
    Uint8Array.from(unfiltered),
    await expectedList(store),
    "a filter never poisons the cache",
  );
});

Deno.test("GpuStore reads wait for a write that holds the lock", async () => {
  const lock = new RwLock();
  const store = newStore({ lock });
  await store.create(gpuInput("g"), CTX);
  const write = await lock.acquireWrite();
  const get = track(store.get("", "g"));
  const others = [
    track(store.getEncoded("", "g")),
    track(store.list()),
    track(store.listEncoded()),
  ];
  await ticks(20);
  assert.equal(get.done, false);
  assert.deepEqual(others.map((r) => r.done), [false, false, false]);
  write.release();
  assert.equal((await get.promise).metadata.name, "g");
  await Promise.all(others.map((r) => r.promise));
});

Deno.test("GpuStore reads issued after a write began observe that write", async () => {
  const lock = new RwLock();
  const store = newStore({ lock });
  await store.create(gpuInput("g"), CTX);
  const reader = await lock.acquireRead(); // a long read keeps the update waiting
  const update = track(store.update(gpuInput("g", { productName: "new" }), CTX));
  await ticks();
  assert.equal(update.done, false);
  const get = track(store.get("", "g"));
  const list = track(store.list());
  await ticks(20);
  assert.equal(get.done, false, "the read queues behind the waiting write");
  reader.release();
  assert.equal((await get.promise).spec.productName, "new");
  assert.equal((await list.promise).resourceVersion, 102);
  await update.promise;
});
