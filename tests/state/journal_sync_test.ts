/**
 * Group commit of the journal (src/state/state_writer.ts): each coalesced
 * write appends a record, but the journal is flushed to the disk
 * (fdatasync) at most once per sync interval: inline by the append that
 * comes after the interval has passed, otherwise by a timer at the end of
 * the interval, so that the last record of a burst is flushed too. The
 * writer's clock is injected; the files and the timer are real.
 */
import assert from "node:assert/strict";
import { GpuStore } from "../../src/cache/mod.ts";
import { createStateMetrics, type StateMetrics } from "../../src/state/mod.ts";
import { StateWriter } from "../../src/state/state_writer.ts";
import { Registry } from "prom-client";
import { testGpu } from "../_helpers/server_process.ts";
import { until } from "../_helpers/poll.ts";
import { DISK_WAIT } from "./_state_helpers.ts";

Deno.test("the journal is flushed once per sync interval, the last record by a timer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "das-journal-sync-" });
  const store = new GpuStore();
  let clock = 0;
  let syncs = 0;
  const metrics: StateMetrics = {
    ...createStateMetrics(new Registry()),
    synced: () => void syncs++,
  };
  const writer = new StateWriter({
    dir,
    store,
    providers: () => [],
    mark: () => 0,
    checkpointBudget: 1 << 20,
    journalBudget: 1 << 20,
    metrics,
    syncIntervalMs: 300,
    now: () => clock,
  });
  const ctx = { provider: "test" };
  try {
    await writer.write(); // the checkpoint: durable by itself, the interval starts here
    await store.create(testGpu("a"), ctx);
    clock = 100;
    await writer.write();
    assert.equal(writer.journalRecords, 1);
    assert.equal(syncs, 0, "an append within the interval must not flush");
    await store.create(testGpu("b"), ctx);
    clock = 200;
    await writer.write();
    assert.equal(syncs, 0);
    // No append follows: the timer at the end of the interval flushes both records, once.
    await until("the flush at the end of the interval", () => syncs === 1, DISK_WAIT);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(syncs, 1, "one flush for the two records");
    // An append after the interval has passed flushes at once.
    await store.create(testGpu("c"), ctx);
    clock = 700;
    await writer.write();
    assert.equal(syncs, 2);
  } finally {
    writer.close();
    await Deno.remove(dir, { recursive: true });
  }
});
