/**
 * The cache's byte bounds (issue 13): the history and each watcher's queue
 * bounded in bytes, events that account for what they retain, snapshot
 * encodings shared between watchers, and a store whose full List always fits
 * in one message. Watch delivery runs on the production scheduler.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeGpu } from "../../src/api/mod.ts";
import { CapacityError, type GpuStore } from "../../src/cache/mod.ts";
import { EventHistory } from "../../src/cache/event_history.ts";
import { WatchEvent } from "../../src/cache/watch_event.ts";
import { gpuObject } from "../_helpers/gpu_object.ts";
import { CTX, delivered, FakeSink, gpuInput, newStore } from "./_helpers.ts";

async function watch(store: GpuStore, sink = new FakeSink()) {
  const watcher = await store.watch({ fromVersion: null, bookmarks: false, sink });
  return { sink, watcher };
}

// A GPU whose encoding is about `bytes` long (one annotation fills it).
function sized(name: string, bytes: number) {
  return gpuInput(name, { annotations: { fill: "x".repeat(Math.max(0, bytes - 60)) } });
}

function event(version: number, annotationChars: number): WatchEvent {
  const gpu = gpuObject("g", version, {
    metadata: { labels: { zone: "a" }, annotations: { fill: "x".repeat(annotationChars) } },
  });
  return new WatchEvent("MODIFIED", gpu, encodeGpu(gpu));
}

Deno.test("WatchEvent.bytes() keeps one copy of the object: the Gpu becomes a view of the event", () => {
  const e = event(1, 10_000);
  const before = e.retainedBytes;
  assert.ok(before > 10_000 && before < 11_000, String(before));
  const bytes = e.bytes();
  assert.equal(e.gpuBytes.buffer, bytes.buffer, "the Gpu is the tail of the event encoding");
  const deleted = e.bytes("DELETED");
  assert.equal(e.bytes("DELETED"), deleted, "a variant for filtered watchers is encoded once");
  assert.equal(e.retainedBytes, before, "what the history counts does not follow the live event");
});

Deno.test("EventHistory.push() drops the oldest events beyond the byte bound and moves completeAfter", () => {
  const one = event(1, 1000).retainedBytes;
  // Chunks of 1 byte: every encoding in a buffer of its own, so the bound counts whole events.
  const history = new EventHistory(100, 0, 3 * one + 10, 1);
  for (const v of [1, 2, 3]) history.push(event(v, 1000));
  assert.equal(history.size, 3);
  assert.equal(history.completeAfter, 0);
  history.push(event(4, 1000));
  assert.equal(history.size, 3);
  assert.equal(history.completeAfter, 1);
  assert.ok(history.bytes <= 3 * one + 10);
  history.push(event(5, 5000)); // one big event pushes out several small ones
  assert.deepEqual([...history.since(0)].map((e) => e.resourceVersion), [5]);
  assert.equal(history.completeAfter, 4);
});

Deno.test("EventHistory.push() keeps the newest event even when it alone exceeds the bound", () => {
  const history = new EventHistory(100, 0, 100, 1);
  history.push(event(1, 1000));
  history.push(event(2, 1000));
  assert.deepEqual([...history.since(0)].map((e) => e.resourceVersion), [2]);
  assert.equal(history.completeAfter, 1);
});

Deno.test("EventHistory keeps a copy of the event's Gpu, not the event and the encodings it caches", () => {
  const first = event(1, 1000);
  const history = new EventHistory(100, 0, 2 * first.retainedBytes + 100, 1);
  history.push(first);
  history.push(event(2, 1000));
  const encoded = Uint8Array.from(first.gpuBytes);
  first.bytes("ADDED"); // a filtered watcher's variants, cached on the live event
  first.bytes("DELETED");
  assert.equal(history.size, 2, "the live event's encodings cost the history nothing");
  assert.equal(history.bytes, first.retainedBytes + event(2, 1000).retainedBytes);
  const [kept] = history.since(0);
  assert.notEqual(kept, first);
  assert.deepEqual(kept!.gpuBytes, encoded);
  assert.notEqual(kept!.gpuBytes.buffer, first.gpuBytes.buffer, "its own copy of the bytes");
});

Deno.test("EventHistory counts the chunks it packs small encodings in against the byte bound", () => {
  const small = event(1, 200); // packed: under an eighth of a 4 KiB chunk
  const fields = small.retainedBytes - small.gpuBytes.length;
  const bound = 3 * 4096 + 50 * fields;
  const history = new EventHistory(1000, 0, bound, 4096);
  for (let v = 1; v <= 200; v++) history.push(event(v, 200));
  assert.ok(history.bytes <= bound, `${history.bytes} bytes held`);
  const perChunk = Math.floor(4096 / small.gpuBytes.length);
  assert.ok(history.size >= 2 * perChunk, `${history.size} events: at least two full chunks`);
  assert.ok(history.size < 3 * perChunk + 1, `${history.size} events: no more than three chunks`);
  assert.equal(history.completeAfter, 200 - history.size);
  assert.deepEqual(history.since(199).map((e) => e.resourceVersion), [200]);
});

Deno.test("EventHistory gives a large encoding a buffer of its own and lets it go with its event", () => {
  const history = new EventHistory(2, 0, Number.POSITIVE_INFINITY, 4096);
  const large = event(1, 2000); // over an eighth of a chunk
  history.push(large);
  history.push(event(2, 100));
  const held = history.bytes;
  assert.deepEqual(history.since(0)[0]!.gpuBytes, Uint8Array.from(large.gpuBytes));
  history.push(event(3, 100)); // the count bound drops the large one
  assert.ok(held - history.bytes >= large.gpuBytes.length, `${held} -> ${history.bytes}`);
  assert.deepEqual(history.since(0).map((e) => e.resourceVersion), [2, 3]);
});

Deno.test("Watcher evicts a blocked watcher whose live events exceed watchQueueBytes, naming the bound", async () => {
  const store = newStore({ limits: { watchQueueBytes: 5000, watchQueueSize: 1000 } });
  const slow = await watch(store);
  const fast = await watch(store);
  slow.sink.accepting = false;
  await store.create(sized("a", 1000), CTX); // written, refused: blocked
  await delivered();
  for (const name of ["b", "c", "d", "e"]) await store.create(sized(name, 1000), CTX);
  await delivered();
  assert.equal(slow.watcher.closed, false, "about 4000 bytes wait: within the bound");
  assert.ok(slow.watcher.queuedBytes > 3000 && slow.watcher.queuedBytes <= 5000);
  await store.create(sized("f", 1000), CTX);
  assert.equal(slow.watcher.closed, true);
  const error = slow.sink.failures[0]!;
  assert.ok(error instanceof CapacityError);
  assert.match(error.message, /fell behind by more than 5000 bytes/);
  await delivered();
  assert.equal(fast.sink.writes.length, 6, "the other watcher got every event");
});

Deno.test("Broadcaster counts an event queued by many watchers once against the shared pool", async () => {
  const store = newStore({
    limits: { watchQueueBytes: 1 << 20, watchQueueSize: 1000, watchQueuePoolBytes: 5000 },
  });
  const slow = await Promise.all(Array.from({ length: 10 }, () => watch(store)));
  await delivered();
  for (const w of slow) w.sink.accepting = false;
  for (const name of ["a", "b", "c", "d"]) await store.create(sized(name, 1000), CTX);
  await delivered();
  assert.ok(slow.every((w) => !w.watcher.closed), "10 queues of ~4000 bytes share ~4000 bytes");
  assert.ok(store.watchQueuedBytes > 3000 && store.watchQueuedBytes <= 5000);
  for (const w of slow) w.watcher.close();
  assert.equal(store.watchQueuedBytes, 0, "closed watchers release their events");
});

Deno.test("Broadcaster evicts the watcher holding the most when the shared pool overflows", async () => {
  const store = newStore({
    limits: { watchQueueBytes: 1 << 20, watchQueueSize: 1000, watchQueuePoolBytes: 5000 },
  });
  const late = await watch(store); // blocked from the third event on
  const behind = await watch(store); // blocked from the first event on: holds the most
  const fast = await watch(store);
  behind.sink.accepting = false;
  for (const name of ["a", "b"]) await store.create(sized(name, 1000), CTX);
  await delivered();
  late.sink.accepting = false;
  for (const name of ["c", "d", "e"]) await store.create(sized(name, 1000), CTX);
  await delivered();
  assert.equal(behind.watcher.closed, false, "about 4000 distinct bytes: within the pool");
  await store.create(sized("f", 1000), CTX);
  assert.equal(behind.watcher.closed, true);
  assert.match(behind.sink.failures[0]!.message, /its share of the 5000 bytes all watch queues/);
  assert.ok(behind.sink.failures[0] instanceof CapacityError);
  assert.equal(late.watcher.closed, false, "the one behind by less keeps its stream");
  await delivered();
  assert.equal(fast.sink.writes.length, 6, "the reading watcher got every event");
});

Deno.test("Watcher gives a snapshot its room only while it is queued (production scheduler)", async () => {
  const store = newStore({ limits: { watchQueueBytes: 3000, watchQueueSize: 1000 } });
  for (const name of ["a", "b", "c", "d", "e"]) await store.create(sized(name, 1000), CTX);
  const sink = new FakeSink();
  sink.accepting = false;
  const { watcher } = await watch(store, sink); // about 5000 bytes of snapshot queued
  await delivered();
  assert.equal(sink.writes.length, 1, "the first ADDED was refused");
  await store.create(sized("f", 1000), CTX);
  await store.create(sized("g", 1000), CTX);
  assert.equal(watcher.closed, false, "live events fit behind the snapshot");
  // Two snapshot events go out: their room goes with them, not to live events.
  let room = 2;
  sink.write = function (bytes) {
    this.writes.push(bytes);
    return --room > 0;
  };
  watcher.drained();
  assert.equal(watcher.closed, false);
  await store.create(sized("h", 1000), CTX); // 3 live events, about 3000+ bytes
  assert.equal(watcher.closed, true, "the room of written snapshot events is not reused");
});

Deno.test("Broadcaster shares one ADDED encoding per stored version among snapshots", async () => {
  const store = newStore();
  await store.create(gpuInput("a"), CTX);
  const one = await watch(store);
  const two = await watch(store);
  await delivered();
  assert.equal(one.sink.writes[0], two.sink.writes[0], "the same bytes, not a copy each");
  await store.update(gpuInput("a", { productName: "new" }), CTX);
  const three = await watch(store);
  await delivered();
  assert.notEqual(three.sink.writes[0], one.sink.writes[0], "a new version, a new encoding");
  assert.equal(three.sink.events()[0]!.object.spec.productName, "new");
});

Deno.test("GpuStore refuses a write that would make the full List exceed maxListBytes", async () => {
  const store = newStore({ limits: { maxListBytes: 4000, maxObjectBytes: 4000 } });
  await store.create(sized("a", 1500), CTX);
  await store.create(sized("b", 1500), CTX);
  const version = store.resourceVersion;
  await assert.rejects(store.create(sized("c", 1500), CTX), (err: unknown) => {
    assert.ok(err instanceof CapacityError);
    assert.match(err.message, /over the 4000-byte message limit that a full ListGpus must fit in/);
    return true;
  });
  await assert.rejects(store.update(sized("b", 2600), CTX), CapacityError, "growing counts too");
  assert.equal(store.resourceVersion, version, "nothing changed");
  assert.ok((await store.listEncoded()).length <= 4000);
  await store.update(sized("b", 500), CTX); // shrinking makes room
  await store.create(sized("c", 1500), CTX);
  assert.ok((await store.listEncoded()).length <= 4000);
  await store.delete("", "a", CTX); // a delete is always allowed
  assert.equal(store.size, 2);
});
