import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { encodeGpu } from "../../src/api/mod.ts";
import {
  Broadcaster,
  CapacityError,
  type GpuStore,
  RwLock,
  ShuttingDownError,
  TooOldResourceVersionError,
  type Watcher,
} from "../../src/cache/mod.ts";
import { EventHistory } from "../../src/cache/event_history.ts";
import { toGrpcError } from "../../src/server/status.ts";
import { WatchEvent } from "../../src/cache/watch_event.ts";
import { gpuObject } from "../_helpers/gpu_object.ts";
import {
  CTX,
  decodeEventSparse,
  delivered,
  FakeSink,
  gpuInput,
  newStore,
  ticks,
} from "./_helpers.ts";

type WatchOptions = Partial<Parameters<GpuStore["watch"]>[0]>;

// Opens a watch on `store` into `options.sink`, or a fresh FakeSink.
async function watch(store: GpuStore, options: WatchOptions = {}) {
  const sink = options.sink as FakeSink | undefined ?? new FakeSink();
  const watcher = await store.watch({ fromVersion: null, bookmarks: false, ...options, sink });
  return { sink, watcher };
}

// A committed-looking event for driving a Broadcaster or EventHistory directly.
function event(version: number, name = "g"): WatchEvent {
  const gpu = gpuObject(name, version);
  return new WatchEvent("MODIFIED", gpu, encodeGpu(gpu));
}

Deno.test("GpuStore.watch() from no version sends one ADDED per object, then live events", async () => {
  const store = newStore();
  await store.create(gpuInput("b"), CTX);
  await store.create(gpuInput("a"), CTX);
  await store.create(gpuInput("c", { namespace: "ns" }), CTX);
  const { sink } = await watch(store);
  await delivered();
  assert.deepEqual(sink.summary(), ["ADDED a@102", "ADDED b@101", "ADDED c@103"]);
  await store.update(gpuInput("a", { productName: "x" }), CTX);
  await store.create(gpuInput("d"), CTX);
  await store.delete("", "b", CTX);
  await delivered();
  assert.deepEqual(sink.summary().slice(3), ["MODIFIED a@104", "ADDED d@105", "DELETED b@106"]);
});

Deno.test("GpuStore.watch() has no gap and no duplicate when a write races the subscription", async () => {
  for (const order of ["watch-first", "write-first"]) {
    const store = newStore();
    await store.create(gpuInput("a"), CTX);
    let watching: Promise<{ sink: FakeSink; watcher: Watcher }>;
    let writing: Promise<unknown>;
    if (order === "watch-first") {
      watching = watch(store);
      writing = store.create(gpuInput("b"), CTX);
    } else {
      writing = store.create(gpuInput("b"), CTX);
      watching = watch(store);
    }
    const [{ sink }] = await Promise.all([watching, writing]);
    await store.update(gpuInput("b", { productName: "x" }), CTX);
    await delivered();
    const seen = sink.summary();
    assert.equal(seen.filter((s) => s.startsWith("ADDED b@")).length, 1, `${order}: ${seen}`);
    assert.deepEqual(seen.filter((s) => !s.startsWith("ADDED b@")), [
      "ADDED a@101",
      "MODIFIED b@103",
    ]);
    assert.ok(seen.indexOf("ADDED b@102") < seen.indexOf("MODIFIED b@103"), `${order}: ${seen}`);
  }
});

Deno.test("GpuStore.watch() from version N sends exactly the events after N, in order", async () => {
  const store = newStore();
  await store.create(gpuInput("a"), CTX); // 101
  await store.create(gpuInput("b"), CTX); // 102
  await store.update(gpuInput("a", { productName: "x" }), CTX); // 103
  await store.delete("", "b", CTX); // 104
  const { sink } = await watch(store, { fromVersion: 102 });
  await delivered();
  assert.deepEqual(sink.summary(), ["MODIFIED a@103", "DELETED b@104"]);
  await store.create(gpuInput("c"), CTX);
  await delivered();
  assert.deepEqual(sink.summary().slice(2), ["ADDED c@105"]);
  const { sink: current } = await watch(store, { fromVersion: 105 });
  await delivered();
  assert.deepEqual(current.summary(), [], "from the current version: nothing to replay");
});

Deno.test("GpuStore.watch() throws TooOldResourceVersionError for a version older than the history", async () => {
  const store = newStore({ limits: { watchHistorySize: 3 } });
  for (const name of ["a", "b", "c", "d", "e"]) await store.create(gpuInput(name), CTX); // 101..105
  await assert.rejects(watch(store, { fromVersion: 100 }), TooOldResourceVersionError);
  await assert.rejects(watch(store, { fromVersion: 101 }), TooOldResourceVersionError);
  const { sink } = await watch(store, { fromVersion: 102 });
  await delivered();
  assert.deepEqual(sink.summary(), ["ADDED c@103", "ADDED d@104", "ADDED e@105"]);
  assert.equal(store.watcherCount, 1, "the refused watches were not registered");
});

Deno.test("GpuStore.watch() throws TooOldResourceVersionError for a version newer than the current one", async () => {
  const store = newStore();
  await store.create(gpuInput("a"), CTX);
  await assert.rejects(watch(store, { fromVersion: 102 }), (err: unknown) => {
    assert.ok(err instanceof TooOldResourceVersionError);
    assert.match(err.message, /re-list and re-watch/);
    return true;
  });
  assert.equal(store.watcherCount, 0);
});

Deno.test("EventHistory.push() drops the oldest event when full and moves completeAfter", () => {
  const history = new EventHistory(3, 10);
  assert.equal(history.completeAfter, 10);
  for (const v of [11, 12, 13]) history.push(event(v));
  assert.equal(history.size, 3);
  assert.equal(history.completeAfter, 10, "nothing dropped yet");
  history.push(event(14));
  assert.equal(history.size, 3);
  assert.equal(history.completeAfter, 11);
  history.push(event(15));
  assert.equal(history.completeAfter, 12);
  assert.deepEqual([...history.since(12)].map((e) => e.resourceVersion), [13, 14, 15]);
  assert.deepEqual([...history.since(14)].map((e) => e.resourceVersion), [15]);
  assert.deepEqual([...history.since(15)], []);
});

Deno.test("EventHistory.since() gives back each event's fields and bytes as they were pushed", () => {
  // 8 KiB chunks: encodings over 1 KiB get buffers of their own, the others share chunks.
  const history = new EventHistory(100, 0, Number.POSITIVE_INFINITY, 8192);
  const previous = { zone: "a" };
  const pushed: WatchEvent[] = [];
  for (let v = 1; v <= 300; v++) {
    // Sizes that do not divide the log's chunks: some events start a new chunk.
    const gpu = gpuObject(`g${v % 7}`, v, {
      metadata: { namespace: `ns${v % 3}`, labels: { zone: v % 2 ? "a" : "b" } },
      spec: { uuid: "u".repeat(v * 37 % 3000) },
    });
    const type = v % 5 === 0 ? "DELETED" : "MODIFIED";
    const e = new WatchEvent(type, gpu, encodeGpu(gpu), type === "MODIFIED" ? previous : null);
    pushed.push(e);
    history.push(e);
  }
  assert.equal(history.size, 100);
  const kept = history.since(250);
  assert.equal(kept.length, 50);
  kept.forEach((e, i) => {
    const p = pushed[250 + i]!;
    assert.equal(e.resourceVersion, p.resourceVersion);
    assert.equal(e.type, p.type);
    assert.equal(e.namespace, p.namespace);
    assert.equal(e.labels, p.labels, "the label map is shared, not copied");
    assert.equal(e.previousLabels, p.previousLabels);
    assert.deepEqual(e.gpuBytes, Uint8Array.from(p.gpuBytes));
    assert.deepEqual(e.bytes(), p.bytes());
  });
});

Deno.test("EventHistory grows its slots as events arrive, keeping their order across the wrap", () => {
  const large = (v: number) => {
    const gpu = gpuObject("g", v, { metadata: { annotations: { pad: "x".repeat(2000) } } });
    return new WatchEvent("MODIFIED", gpu, encodeGpu(gpu));
  };
  const bound = 100 * large(1).retainedBytes;
  const history = new EventHistory(1000, 0, bound, 1);
  for (let v = 1; v <= 150; v++) history.push(large(v)); // ~100 kept: the first slots are free
  assert.ok(history.size >= 90 && history.size <= 100, `${history.size} events`);
  // Small events fill the first slots again, then more than the first 256 slots hold.
  for (let v = 151; v <= 700; v++) history.push(event(v));
  const kept = history.since(0);
  assert.equal(kept.length, history.size);
  assert.ok(history.size > 256, `${history.size} events: the slots grew`);
  assert.deepEqual(
    kept.map((e) => e.resourceVersion),
    Array.from({ length: kept.length }, (_, i) => 701 - kept.length + i),
  );
  for (const e of kept.slice(-3)) {
    assert.deepEqual(e.gpuBytes, Uint8Array.from(event(e.resourceVersion).gpuBytes));
  }
});

Deno.test("EventHistory.since() shares events between resuming watches; copiesSince() makes new ones", () => {
  const history = new EventHistory(10, 0);
  for (const v of [1, 2, 3]) history.push(event(v));
  const first = history.since(1);
  const second = history.since(1);
  assert.equal(second[0], first[0], "watches resuming together share one event and its encodings");
  assert.equal(second[1], first[1]);
  const copies = history.copiesSince(1);
  assert.notEqual(copies[0], first[0]);
  assert.deepEqual(copies.map((e) => e.resourceVersion), [2, 3]);
  assert.deepEqual(copies[0]!.gpuBytes, first[0]!.gpuBytes);
  assert.notEqual(copies[0]!.gpuBytes, first[0]!.gpuBytes);
});

Deno.test("Broadcaster.subscribe() resumes from exactly completeAfter but not before it", async () => {
  const broadcaster = new Broadcaster({
    maxWatchers: 10,
    queueSize: 10,
    historySize: 2,
    currentVersion: 5,
  });
  for (const v of [6, 7, 8]) broadcaster.publish(event(v));
  assert.equal(broadcaster.historySize, 2);
  const sub = (fromVersion: number) =>
    broadcaster.subscribe({
      sink: new FakeSink(),
      fromVersion,
      namespace: "",
      matches: () => true,
      bookmarks: false,
    }, () => []);
  assert.throws(() => sub(5), TooOldResourceVersionError);
  const sink = new FakeSink();
  broadcaster.subscribe({
    sink,
    fromVersion: 6,
    namespace: "",
    matches: () => true,
    bookmarks: false,
  }, () => []);
  await delivered();
  assert.deepEqual(sink.summary(), ["MODIFIED g@7", "MODIFIED g@8"]);
  assert.throws(() => sub(9), TooOldResourceVersionError);
});

Deno.test("GpuStore.watch() ends the snapshot with an initial-events-end BOOKMARK only when asked", async () => {
  let tick: (() => void) | undefined; // the bookmark timer, run by hand
  const store = newStore({
    bookmarkTimers: { start: (callback) => (tick = callback), stop: () => (tick = undefined) },
  });
  await store.create(gpuInput("a"), CTX);
  const plain = await watch(store);
  const marked = await watch(store, { bookmarks: true });
  await delivered();
  assert.deepEqual(plain.sink.summary(), ["ADDED a@101"]);
  assert.deepEqual(marked.sink.summary(), ["ADDED a@101", "BOOKMARK@101"]);
  assert.deepEqual(decodeEventSparse(marked.sink.writes[1]!), {
    type: "BOOKMARK",
    object: {
      metadata: { resourceVersion: "101", annotations: { "k8s.io/initial-events-end": "true" } },
    },
  });
  tick!();
  await delivered();
  assert.deepEqual(decodeEventSparse(marked.sink.writes[2]!), {
    type: "BOOKMARK",
    object: { metadata: { resourceVersion: "101" } },
  }, "a periodic bookmark carries no annotation");
});

Deno.test("Broadcaster.bookmark() reaches only watchers that asked, at the current version", async () => {
  let tick: (() => void) | undefined; // the bookmark timer, run by hand
  const store = newStore({
    bookmarkTimers: { start: (callback) => (tick = callback), stop: () => (tick = undefined) },
  });
  const plain = await watch(store);
  assert.equal(tick, undefined, "no timer without a bookmark watcher");
  await delivered();
  assert.equal(plain.sink.writes.length, 0);
  const marked = await watch(store, { bookmarks: true });
  const resumed = await watch(store, { bookmarks: true, fromVersion: 100 });
  await delivered();
  assert.deepEqual(resumed.sink.summary(), [], "no bookmark on a resumed watch until bookmark()");
  assert.ok(tick, "the timer runs while a watcher wants bookmarks");
  await store.create(gpuInput("a"), CTX);
  (tick as () => void)();
  await delivered();
  assert.deepEqual(plain.sink.summary(), ["ADDED a@101"]);
  assert.deepEqual(marked.sink.summary(), ["BOOKMARK@100", "ADDED a@101", "BOOKMARK@101"]);
  assert.deepEqual(resumed.sink.summary(), ["ADDED a@101", "BOOKMARK@101"]);
  assert.deepEqual(decodeEventSparse(resumed.sink.writes[1]!), {
    type: "BOOKMARK",
    object: { metadata: { resourceVersion: "101" } },
  });
  assert.equal(marked.sink.writes[2], resumed.sink.writes[1], "one bookmark encoding for all");
});

Deno.test("Watcher.send() evicts with CapacityError when more than queueSize events wait", async () => {
  const evicted: Watcher[] = [];
  const store = newStore({ limits: { watchQueueSize: 3 }, onEvict: (w) => evicted.push(w) });
  const slow = await watch(store);
  const fast = await watch(store);
  slow.sink.accepting = false;
  for (const name of ["a", "b", "c", "d"]) await store.create(gpuInput(name), CTX);
  await delivered();
  assert.equal(slow.sink.writes.length, 1, "the first write was refused, the rest queued");
  assert.equal(slow.watcher.queued, 3);
  assert.equal(slow.watcher.closed, false, "a full queue is still within bounds");
  await store.create(gpuInput("e"), CTX); // never throws nor blocks the writer
  await delivered();
  assert.equal(slow.watcher.closed, true);
  assert.deepEqual(evicted, [slow.watcher]);
  assert.equal(slow.sink.failures.length, 1);
  const error = slow.sink.failures[0]!;
  assert.ok(error instanceof CapacityError);
  assert.match(error.message, /re-list and re-watch/);
  assert.equal(store.watcherCount, 1, "the evicted watcher is unregistered");
  await store.create(gpuInput("f"), CTX);
  await delivered();
  assert.equal(slow.sink.writes.length, 1, "nothing more reaches an evicted watcher");
  assert.deepEqual(fast.sink.summary().map((s) => s.split(" ")[1]), [
    "a@101",
    "b@102",
    "c@103",
    "d@104",
    "e@105",
    "f@106",
  ]);
  assert.equal(fast.watcher.closed, false);
});

Deno.test("Watcher.send() bounds live events by queueSize when the snapshot was written through", async () => {
  const store = newStore({ limits: { watchQueueSize: 2 } });
  for (const name of ["a", "b", "c", "d", "e"]) await store.create(gpuInput(name), CTX);
  const slow = await watch(store, { bookmarks: true });
  await delivered();
  assert.equal(slow.sink.writes.length, 6, "five ADDED and a bookmark, accepted");
  slow.sink.accepting = false;
  await store.create(gpuInput("f"), CTX); // written, refused
  await store.create(gpuInput("g"), CTX); // queued 1
  await store.create(gpuInput("h"), CTX); // queued 2
  await delivered();
  assert.equal(slow.watcher.closed, false);
  await store.create(gpuInput("i"), CTX); // queued 3 > 2
  await delivered();
  assert.equal(slow.watcher.closed, true, "the snapshot's room does not outlive the snapshot");
});

Deno.test("Watcher.send() keeps a snapshot larger than queueSize, then applies the bound", async () => {
  const store = newStore({ limits: { watchQueueSize: 2 } });
  for (const name of ["a", "b", "c", "d", "e"]) await store.create(gpuInput(name), CTX);
  const sink = new FakeSink();
  sink.accepting = false;
  const { watcher } = await watch(store, { sink });
  await delivered();
  assert.equal(watcher.closed, false, "the snapshot burst is not an overflow");
  assert.equal(watcher.queued, 4);
  await store.create(gpuInput("f"), CTX);
  await store.create(gpuInput("g"), CTX);
  await delivered();
  assert.equal(watcher.closed, false, "queueSize live events fit behind the snapshot");
  sink.accepting = true;
  watcher.drained();
  await delivered();
  assert.deepEqual(sink.summary().map((s) => s.split("@")[0]), [
    "ADDED a",
    "ADDED b",
    "ADDED c",
    "ADDED d",
    "ADDED e",
    "ADDED f",
    "ADDED g",
  ]);
  sink.accepting = false;
  for (const name of ["h", "i", "j"]) await store.create(gpuInput(name), CTX);
  await delivered();
  assert.equal(watcher.closed, false);
  await store.create(gpuInput("k"), CTX);
  await delivered();
  assert.equal(watcher.closed, true);
});

Deno.test("GpuStore.watch() from version N replays more than queueSize events to a slow sink", async () => {
  const store = newStore({ limits: { watchQueueSize: 2 } });
  for (const name of ["a", "b", "c", "d", "e", "f"]) await store.create(gpuInput(name), CTX);
  const sink = new FakeSink();
  sink.accepting = false;
  const { watcher } = await watch(store, { sink, fromVersion: 100 });
  await delivered();
  assert.equal(watcher.closed, false, "the replay burst is not an overflow");
  sink.accepting = true;
  watcher.drained();
  await delivered();
  assert.deepEqual(sink.summary().map((s) => s.split(" ")[1]), [
    "a@101",
    "b@102",
    "c@103",
    "d@104",
    "e@105",
    "f@106",
  ]);
  sink.accepting = false;
  for (const name of ["g", "h", "i"]) await store.create(gpuInput(name), CTX);
  await delivered();
  assert.equal(watcher.closed, false);
  await store.create(gpuInput("j"), CTX);
  await delivered();
  assert.equal(watcher.closed, true, "after the replay the usual bound applies");
});

Deno.test("Watcher.drained() flushes queued events in order and stops at the next push-back", async () => {
  const store = newStore();
  const { sink, watcher } = await watch(store);
  sink.accepting = false;
  for (const name of ["a", "b", "c", "d", "e"]) await store.create(gpuInput(name), CTX);
  await delivered();
  assert.equal(watcher.queued, 4);
  // Accept two writes, then push back again.
  let budget = 2;
  sink.write = function (bytes: Uint8Array) {
    this.writes.push(bytes);
    return --budget > 0;
  };
  watcher.drained();
  await delivered();
  assert.equal(watcher.queued, 2);
  await store.create(gpuInput("f"), CTX);
  await delivered();
  assert.equal(sink.writes.length, 3, "still blocked: f is queued behind c..e");
  budget = Infinity;
  watcher.drained();
  await delivered();
  assert.equal(watcher.queued, 0);
  assert.deepEqual(sink.summary().map((s) => s.split(" ")[1]), [
    "a@101",
    "b@102",
    "c@103",
    "d@104",
    "e@105",
    "f@106",
  ]);
  await store.create(gpuInput("g"), CTX);
  await delivered();
  assert.equal(sink.writes.length, 7, "written straight through once drained");
});

Deno.test("GpuStore.watch() with a label selector turns selector transitions into ADDED and DELETED", async () => {
  const store = newStore();
  await store.create(gpuInput("in", { labels: { pool: "a" } }), CTX); // 101
  await store.create(gpuInput("out", { labels: { pool: "b" } }), CTX); // 102
  const { sink } = await watch(store, { labelSelector: "pool=a" });
  await store.update(gpuInput("in", { labels: { pool: "a" }, productName: "x" }), CTX); // 103 MODIFIED
  await store.update(gpuInput("in", { labels: { pool: "b" }, productName: "x" }), CTX); // 104 leaves
  await store.update(gpuInput("in", { labels: { pool: "c" }, productName: "x" }), CTX); // 105 still out
  await store.update(gpuInput("out", { labels: { pool: "a" } }), CTX); // 106 enters
  await store.delete("", "in", CTX); // 107 never seen again
  await store.delete("", "out", CTX); // 108 deleted while matching
  await delivered();
  assert.deepEqual(sink.summary(), [
    "ADDED in@101",
    "MODIFIED in@103",
    "DELETED in@104",
    "ADDED out@106",
    "DELETED out@108",
  ]);
  const leaving = sink.events()[2]!;
  assert.deepEqual(leaving.object.metadata.labels, { pool: "b" }, "DELETED carries the new state");
  const { sink: resumed } = await watch(store, { labelSelector: "pool=a", fromVersion: 102 });
  await delivered();
  assert.deepEqual(
    resumed.summary(),
    sink.summary().slice(1),
    "a resumed watch applies the same transitions",
  );
});

Deno.test("GpuStore.watch() with a namespace filter sees only that namespace", async () => {
  const store = newStore();
  await store.create(gpuInput("a", { namespace: "one" }), CTX);
  await store.create(gpuInput("b", { namespace: "two" }), CTX);
  const { sink } = await watch(store, { namespace: "two" });
  await store.create(gpuInput("c", { namespace: "one" }), CTX);
  await store.create(gpuInput("d", { namespace: "two" }), CTX);
  await store.delete("one", "a", CTX);
  await delivered();
  assert.deepEqual(sink.summary(), ["ADDED b@102", "ADDED d@104"]);
});

Deno.test("Broadcaster.publish() encodes each event once and hands every watcher the same bytes", async () => {
  const store = newStore();
  const watchers = [
    await watch(store),
    await watch(store),
    await watch(store, { labelSelector: "pool" }),
  ];
  await store.create(gpuInput("a", { labels: { pool: "x" } }), CTX);
  await store.update(gpuInput("a", { labels: {} }), CTX); // MODIFIED, DELETED for the filtered one
  await delivered();
  const [one, two, filtered] = watchers.map((w) => w.sink.writes);
  assert.equal(one![0], two![0]);
  assert.equal(one![0], filtered![0]);
  assert.equal(one![1], two![1]);
  assert.notEqual(one![1], filtered![1], "a DELETED transition is another encoding");
  await delivered();
  assert.deepEqual(watchers.map((w) => w.sink.summary()[1]), [
    "MODIFIED a@102",
    "MODIFIED a@102",
    "DELETED a@102",
  ]);
});

Deno.test("Broadcaster.publish() shares a transition encoding among filtered watchers", async () => {
  const store = newStore();
  await store.create(gpuInput("a", { labels: { pool: "x" } }), CTX);
  const first = await watch(store, { labelSelector: "pool=x" });
  const second = await watch(store, { labelSelector: "pool in (x)" });
  await store.update(gpuInput("a", { labels: { pool: "y" } }), CTX);
  await delivered();
  assert.equal(first.sink.summary()[1], "DELETED a@102");
  assert.equal(first.sink.writes[1], second.sink.writes[1]);
});

Deno.test("GpuStore.close() fails every watcher and unregisters it", async () => {
  const store = newStore();
  const all = [await watch(store), await watch(store, { bookmarks: true }), await watch(store)];
  assert.equal(store.watcherCount, 3);
  const error = new ShuttingDownError("Cannot serve watches: the server is shutting down");
  store.close(error);
  assert.equal(store.watcherCount, 0);
  for (const { sink, watcher } of all) {
    await delivered();
    assert.deepEqual(sink.failures, [error]);
    assert.equal(watcher.closed, true);
  }
  const before = all.map((w) => w.sink.writes.length);
  await store.create(gpuInput("a"), CTX);
  await delivered();
  assert.deepEqual(all.map((w) => w.sink.writes.length), before);
  store.close(error);
  await delivered();
  assert.equal(all[0]!.sink.failures.length, 1, "failing twice is a no-op");
});

Deno.test("GpuStore.watch() throws CapacityError beyond limits.maxWatchers", async () => {
  const store = newStore({ limits: { maxWatchers: 2 } });
  const first = await watch(store);
  await watch(store);
  await assert.rejects(watch(store), CapacityError);
  assert.equal(store.watcherCount, 2);
  first.watcher.close();
  assert.equal(store.watcherCount, 1);
  await delivered();
  assert.deepEqual(first.sink.failures, [], "close() does not tell the sink");
  await watch(store);
  assert.equal(store.watcherCount, 2);
});

Deno.test("Broadcaster.publish() does not block writers when a sink never drains", async () => {
  const store = newStore({ limits: { watchQueueSize: 1000 } });
  const stuck = await watch(store);
  stuck.sink.accepting = false;
  const writes = [];
  for (let i = 0; i < 50; i++) writes.push(store.create(gpuInput(`gpu-${i}`), CTX));
  await Promise.all(writes);
  await ticks();
  assert.equal(store.size, 50);
  await delivered();
  assert.equal(stuck.watcher.queued, 49);
});

Deno.test("Broadcaster runs one bookmark timer only while a watcher wants bookmarks", async () => {
  const running = new Set<number>();
  let next = 0;
  let tick = () => {};
  const broadcaster = new Broadcaster({
    maxWatchers: 10,
    queueSize: 10,
    historySize: 10,
    currentVersion: 100,
    bookmarkIntervalMs: 1000,
    timers: {
      start: (callback, ms) => {
        assert.equal(ms, 1000);
        tick = callback;
        running.add(++next);
        return next;
      },
      stop: (handle) => running.delete(handle as number),
    },
  });
  const subscribe = (bookmarks: boolean) => {
    const sink = new FakeSink();
    const watcher = broadcaster.subscribe(
      { sink, fromVersion: 100, namespace: "", matches: () => true, bookmarks },
      () => [],
    );
    return { sink, watcher };
  };
  const plain = subscribe(false);
  assert.equal(running.size, 0, "no timer without a bookmark watcher");
  const a = subscribe(true);
  const b = subscribe(true);
  assert.equal(running.size, 1, "one timer for every bookmark watcher");
  tick();
  await delivered();
  assert.deepEqual(a.sink.summary(), ["BOOKMARK@100"]);
  assert.deepEqual(plain.sink.summary(), []);
  a.watcher.close();
  assert.equal(running.size, 1);
  b.watcher.fail(new ShuttingDownError("bye"));
  assert.equal(running.size, 0, "the timer stops with the last bookmark watcher");
  plain.watcher.close();
});

Deno.test("GpuStore writes reach watchers in one batched flush after the write, in order", async () => {
  const flushes: (() => void)[] = [];
  const store = newStore({ schedule: (flush) => flushes.push(flush) });
  const early = await watch(store);
  await store.create(gpuInput("a"), CTX);
  await store.create(gpuInput("b"), CTX);
  await delivered();
  assert.deepEqual(early.sink.summary(), [], "nothing is written inside the write itself");
  assert.equal(flushes.length, 1, "one flush for every pending watcher");
  // A watcher that subscribes before the flush sees both objects once, in its snapshot.
  const late = await watch(store);
  flushes.splice(0).forEach((flush) => flush());
  await delivered();
  assert.deepEqual(early.sink.summary(), ["ADDED a@101", "ADDED b@102"]);
  assert.deepEqual(
    late.sink.summary(),
    ["ADDED a@101", "ADDED b@102"],
    "no duplicate from the pending flush",
  );
});

Deno.test("GpuStore.close() refuses later watches with UNAVAILABLE (ShuttingDownError), also one waiting for the lock", async () => {
  const lock = new RwLock();
  const store = newStore({ lock });
  await store.create(gpuInput("a"), CTX);
  const write = await lock.acquireWrite(); // a write in progress keeps the next watch waiting
  const waiting = watch(store);
  await ticks();
  store.close(); // the default: UNAVAILABLE with a re-watch hint
  write.release();
  const unavailable = (err: unknown) => {
    assert.ok(err instanceof ShuttingDownError);
    assert.match(err.message, /shutting down/);
    assert.equal(toGrpcError(err).code, status.UNAVAILABLE, "answered UNAVAILABLE");
    return true;
  };
  await assert.rejects(waiting, unavailable);
  await assert.rejects(watch(store, { fromVersion: 101 }), unavailable);
  await assert.rejects(watch(store), unavailable);
  assert.equal(store.watcherCount, 0, "nothing stays registered after close");
  assert.equal((await store.get("", "a")).metadata.name, "a", "reads still work");
});

Deno.test("Watcher.writtenVersion trails queuedVersion while the transport pushes back", async () => {
  const store = newStore();
  const { sink, watcher } = await watch(store);
  await delivered();
  assert.equal(watcher.writtenVersion, 100, "nothing written: the version it started from");
  sink.accepting = false;
  await store.create(gpuInput("a"), CTX); // 101: written, refused
  await store.create(gpuInput("b"), CTX); // 102: queued
  await delivered();
  assert.equal(watcher.queuedVersion, 102);
  assert.equal(watcher.writtenVersion, 101, "the last version handed to the transport");
  sink.accepting = true;
  watcher.drained();
  assert.equal(watcher.writtenVersion, 102);
});

Deno.test("Watcher keeps order and bounds through many partial flushes (compacting queue)", async () => {
  const store = newStore({ limits: { watchQueueSize: 10_000, watchQueueBytes: 1 << 30 } });
  await store.create(gpuInput("g"), CTX); // 101
  const sink = new FakeSink();
  let room = 0;
  sink.write = function (bytes) {
    this.writes.push(bytes);
    return --room > 0;
  };
  const { watcher } = await watch(store, { sink });
  await delivered(); // the snapshot's ADDED is written, and refused: the transport is full
  let written = 1;
  let version = 101;
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 100; i++) {
      await store.update(gpuInput("g", { productName: String(++version) }), CTX);
    }
    await delivered();
    room = 70; // fewer than arrive: the queue grows while its front is consumed
    watcher.drained();
    written += 70;
    assert.equal(sink.writes.length, written);
    assert.equal(watcher.queued, 1 + (round + 1) * 100 - written);
    assert.equal(watcher.closed, false);
  }
  room = Infinity;
  watcher.drained();
  const versions = sink.events().map((e) => e.object.resourceVersion);
  assert.equal(versions.length, 3001);
  assert.ok(versions.every((v, i) => v === 101 + i), "every event once, in order");
  assert.equal(watcher.queuedBytes, 0);
});
