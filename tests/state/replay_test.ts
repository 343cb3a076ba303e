/** replay(): the checkpoint's state with the journal's records applied, pure. */
import assert from "node:assert/strict";
import { encodeGpu, type Gpu, type WatchEventType } from "../../src/api/mod.ts";
import {
  CheckpointError,
  type DecodedCheckpoint,
  type DecodedEvent,
  type JournalMeta,
  type JournalRecord,
  replay,
} from "../../src/state/mod.ts";
import { storedGpu } from "./_state_helpers.ts";

const BOUND = { watchHistorySize: 100 };

function ev(type: WatchEventType, name: string, rv: number, pad = 0): DecodedEvent {
  const labels: Record<string, string> = pad > 0 ? { pad: "x".repeat(pad) } : {};
  return {
    type,
    previousLabels: type === "MODIFIED" ? "same" : null,
    gpuBytes: encodeGpu(storedGpu(name, rv, labels)),
  };
}

function meta(version: number, extra: Partial<JournalMeta> = {}): JournalMeta {
  return { version, mark: 1000, savedAtMs: 0, providers: [], ...extra };
}

// A checkpoint at version 12: a (10) and b (12) stored, b's history only.
function checkpoint(): DecodedCheckpoint {
  return {
    meta: {
      version: 12,
      completeAfter: 10,
      mark: 1000,
      savedAtMs: 0,
      gpus: 2,
      providers: [{ name: "p", leaseMs: 1000 }],
    },
    crc: 0,
    gpus: [encodeGpu(storedGpu("a", 10)), encodeGpu(storedGpu("b", 12))],
    events: [ev("ADDED", "b", 11), ev("MODIFIED", "b", 12)],
  };
}

const names = (gpus: readonly Gpu[]) => gpus.map((g) => `${g.metadata.name}@${g.resourceVersion}`);

Deno.test("replay() applies ADDED, MODIFIED and DELETED above the checkpoint's version", () => {
  const records: JournalRecord[] = [
    // 12 is in the checkpoint already (a record written before it); only 13 and up apply.
    { meta: meta(13), events: [ev("MODIFIED", "b", 12), ev("ADDED", "c", 13)] },
    { meta: meta(15), events: [ev("MODIFIED", "a", 14), ev("DELETED", "b", 15)] },
  ];
  const out = replay(checkpoint(), records, BOUND);
  assert.equal(out.state.version, 15);
  assert.equal(out.state.completeAfter, 10);
  assert.deepEqual(names(out.state.gpus).sort(), ["a@14", "c@13"]);
  assert.deepEqual(
    out.state.history.map((e) => `${e.type} ${e.gpu.metadata.name}@${e.gpu.resourceVersion}`),
    ["ADDED b@11", "MODIFIED b@12", "ADDED c@13", "MODIFIED a@14", "DELETED b@15"],
  );
  assert.deepEqual(out.state.history[3]!.previousLabels, {}, "same as the labels after");
  assert.equal(out.journalEvents, 3);
});

Deno.test("replay() takes the last record's providers and the highest mark", () => {
  const providers = [{ name: "q", leaseMs: 2000 }];
  const out = replay(checkpoint(), [
    { meta: meta(13, { mark: 5000 }), events: [ev("ADDED", "c", 13)] },
    { meta: meta(13, { mark: 4000, providers }), events: [] },
  ], BOUND);
  assert.deepEqual(out.providers, providers);
  assert.equal(out.mark, 5000);
  const alone = replay(checkpoint(), [], BOUND);
  assert.deepEqual(alone.providers, [{ name: "p", leaseMs: 1000 }]);
  assert.deepEqual(names(alone.state.gpus), ["a@10", "b@12"]);
  assert.equal(alone.state.version, 12);
});

Deno.test("replay() trims the history to the count bound, moving completeAfter up", () => {
  const events = [13, 14, 15, 16, 17].map((rv) => ev("MODIFIED", "a", rv));
  const out = replay(checkpoint(), [{ meta: meta(17), events }], { watchHistorySize: 3 });
  assert.deepEqual(out.state.history.map((e) => e.gpu.resourceVersion), [15, 16, 17]);
  assert.equal(out.state.completeAfter, 14, "every event after 14 is kept");
  assert.deepEqual(names(out.state.gpus).sort(), ["a@17", "b@12"]);
});

Deno.test("replay() trims the history to the byte bound, keeping at least the newest event", () => {
  const big = (rv: number) => ev("MODIFIED", "a", rv, 1000);
  const size = big(13).gpuBytes.length + 5;
  const events = [13, 14, 15, 16].map(big);
  const out = replay(checkpoint(), [{ meta: meta(16), events }], {
    watchHistorySize: 100,
    watchHistoryBytes: 2 * size + 10,
  });
  assert.deepEqual(out.state.history.map((e) => e.gpu.resourceVersion), [15, 16]);
  assert.equal(out.state.completeAfter, 14);
  const tiny = replay(checkpoint(), [{ meta: meta(16), events }], {
    watchHistorySize: 100,
    watchHistoryBytes: 1,
  });
  assert.deepEqual(tiny.state.history.map((e) => e.gpu.resourceVersion), [16]);
});

Deno.test("replay() refuses a record whose version runs ahead of its events", () => {
  assert.throws(
    () => replay(checkpoint(), [{ meta: meta(20), events: [ev("ADDED", "c", 13)] }], BOUND),
    (err) => err instanceof CheckpointError && err.problem === "malformed",
  );
  const garbage = { ...ev("ADDED", "c", 13), gpuBytes: new Uint8Array([0xff, 0xff, 0xff]) };
  assert.throws(
    () => replay(checkpoint(), [{ meta: meta(13), events: [garbage] }], BOUND),
    (err) => err instanceof CheckpointError && /does not decode/.test(err.message),
  );
});
