/** GpuStore.exportChanges(): what a journal record captures, without copying the history. */
import assert from "node:assert/strict";
import { GpuStore } from "../../src/cache/mod.ts";

const CTX = { provider: "" };

async function storeWith(historySize: number): Promise<{ store: GpuStore; versions: number[] }> {
  const store = new GpuStore({ initialVersion: 100, limits: { watchHistorySize: historySize } });
  const versions: number[] = [];
  for (const name of ["a", "b", "c", "d"]) {
    const { stored } = await store.create(
      { metadata: { name }, spec: { uuid: `GPU-${name}` } },
      CTX,
    );
    versions.push(stored.gpu.resourceVersion);
  }
  return { store, versions };
}

Deno.test("GpuStore.exportChanges() returns the events after a version, oldest first", async () => {
  const { store, versions } = await storeWith(10);
  const changes = store.exportChanges(versions[1]!);
  assert.equal(changes?.version, versions[3]);
  assert.deepEqual(changes?.events.map((e) => e.resourceVersion), versions.slice(2));
  assert.deepEqual(store.exportChanges(versions[3]!)?.events, [], "nothing after the last");
  assert.deepEqual(store.exportChanges(100)?.events.length, 4, "all after the start");
});

Deno.test("GpuStore.exportChanges() is null once the history dropped an event after the version", async () => {
  const { store, versions } = await storeWith(2);
  assert.equal(store.exportChanges(versions[0]!), null, "the event after it was dropped");
  assert.equal(store.exportChanges(100), null);
  assert.deepEqual(
    store.exportChanges(versions[1]!)?.events.map((e) => e.resourceVersion),
    versions.slice(2),
  );
});
