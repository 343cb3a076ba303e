/** GpuStore.exportState() and restoreState(): a checkpoint's state, validated as live writes. */
import assert from "node:assert/strict";
import { decodeGpu } from "../../src/api/mod.ts";
import {
  GpuStore,
  InvalidArgumentError,
  type RestoredState,
  TooOldResourceVersionError,
} from "../../src/cache/mod.ts";
import { CTX, newStore } from "./_helpers.ts";

const sink = { write: () => true, fail: () => {} };

async function exported(): Promise<RestoredState> {
  const store = newStore({ initialVersion: 100 });
  await store.create({ metadata: { name: "a", labels: { x: "1" } }, spec: { uuid: "GPU-a" } }, CTX);
  await store.create({ metadata: { name: "b" }, spec: { uuid: "GPU-b" } }, CTX);
  await store.updateStatus({
    name: "a",
    status: { conditions: [{ type: "Ready", status: "True" }] },
  }, CTX);
  await store.delete("", "b", CTX);
  const s = store.exportState();
  return {
    version: s.version,
    completeAfter: s.completeAfter,
    gpus: s.gpus.map((g) => decodeGpu(g.bytes)),
    history: s.history.map((e) => ({
      type: e.type,
      gpu: decodeGpu(e.gpuBytes),
      previousLabels: e.previousLabels as Record<string, string> | null,
    })),
  };
}

Deno.test("restoreState() reproduces the exported objects, versions and history", async () => {
  const state = await exported();
  assert.equal(state.version, 104);
  const store = newStore();
  store.restoreState(state, state.version + 1);
  assert.equal(store.resourceVersion, 104);
  const list = await store.list();
  assert.deepEqual(list.items.map((g) => [g.metadata.name, g.resourceVersion]), [["a", 103]]);
  (await store.watch({ fromVersion: 101, bookmarks: false, sink })).close();
  assert.deepEqual(store.exportState().history.map((e) => e.resourceVersion), [101, 102, 103, 104]);
  const next = await store.create({ metadata: { name: "c" }, spec: { uuid: "GPU-c" } }, CTX);
  assert.equal(next.stored.gpu.resourceVersion, 105);
});

Deno.test("restoreState() refuses a resume from versions lost between the state and nextVersion", async () => {
  const state = await exported();
  const store = newStore();
  store.restoreState(state, 500);
  await assert.rejects(
    store.watch({ fromVersion: 300, bookmarks: false, sink }),
    TooOldResourceVersionError,
  );
  const created = await store.create({ metadata: { name: "c" }, spec: { uuid: "GPU-c" } }, CTX);
  assert.equal(created.stored.gpu.resourceVersion, 500, "versions continue at nextVersion");
  await assert.rejects(
    store.watch({ fromVersion: 300, bookmarks: false, sink }),
    TooOldResourceVersionError,
    "still lost once new writes exist",
  );
  (await store.watch({ fromVersion: 104, bookmarks: false, sink })).close();
});

Deno.test("restoreState() validates like a live write and changes nothing when it refuses", async () => {
  const good = await exported();
  const cases: [string, (s: RestoredState) => RestoredState][] = [
    [
      "bad name",
      (s) => ({
        ...s,
        gpus: [{ ...s.gpus[0]!, metadata: { ...s.gpus[0]!.metadata, name: "-bad" } }],
      }),
    ],
    ["duplicate", (s) => ({ ...s, gpus: [s.gpus[0]!, s.gpus[0]!] })],
    ["version above the state's", (s) => ({ ...s, version: 50 })],
    ["events out of order", (s) => ({ ...s, history: [...s.history].reverse() })],
  ];
  for (const [what, mutate] of cases) {
    const store = newStore();
    assert.throws(() => store.restoreState(mutate(good), 1000), InvalidArgumentError, what);
    assert.equal(store.size, 0, what);
  }
  const small = new GpuStore({ limits: { maxGpus: 1 } });
  assert.throws(
    () =>
      small.restoreState({
        ...good,
        gpus: [good.gpus[0]!, {
          ...good.gpus[0]!,
          metadata: { ...good.gpus[0]!.metadata, name: "z" },
        }],
      }, 1000),
    InvalidArgumentError,
  );
});
