/**
 * Compaction against the real server: a checkpoint replaces the journal when
 * the history no longer holds every event since the last write and when the
 * journal outgrows its bound, and nothing is lost across it; the journal and
 * the state directory stay within their documented budgets; a graceful stop
 * leaves a checkpoint and an empty journal.
 *
 * The budget test ends without a graceful stop: after a few hundred calls
 * on one connection, Deno 2.9.6 can abort while shutting down
 * ("free(): invalid pointer", exit 134, with or without a state
 * directory; see docs/operations.md on the runtime's HTTP/2 aborts).
 */
import assert from "node:assert/strict";
import {
  CHECKPOINT_INTERVAL_MS,
  checkpointBudget,
  decodeCheckpoint,
  JOURNAL_HEADER_BYTES,
  JOURNAL_MIN_BYTES,
  journalBudget,
  stateDirBudget,
} from "../../src/state/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { startWithMetrics } from "../metrics/_metrics_server.ts";
import { until } from "../_helpers/poll.ts";
import { DISK_WAIT, durable, initialCheckpoint, journalGrew, stateDir } from "./_state_helpers.ts";

const opts = {};

Deno.test(
  "a burst past the history is compacted into a checkpoint and nothing is lost after a SIGKILL",
  opts,
  async () => {
    const { server, scrape } = await startWithMetrics({
      noTcp: true,
      args: ["--watch-history-size=4"],
    });
    const dir = server.dir;
    try {
      await initialCheckpoint(dir);
      const writer = server.client();
      for (const name of ["a", "b", "c"]) await writer.create(testGpu(name));
      await journalGrew(dir);
      const writes = async () =>
        (await scrape()).value("device_api_server_checkpoint_writes_total", {});
      assert.equal(await writes(), 1, "the start's checkpoint only");
      // More changes in one interval than the history keeps: only a checkpoint has them all.
      await Promise.all(Array.from({ length: 30 }, (_, i) =>
        writer.update({
          metadata: { name: ["a", "b", "c"][i % 3]!, labels: { round: `r${i}` } },
          spec: { uuid: `GPU-${["a", "b", "c"][i % 3]}` },
        })));
      await until("a compaction", async () => (await writes()) >= 2, DISK_WAIT);
      // And the journal goes on after it.
      const appends = async () =>
        (await scrape()).value("device_api_server_journal_appends_total", {});
      const appended = await appends();
      await writer.delete("b");
      const { gpu } = await writer.create(testGpu("d"));
      await durable(dir, gpu.resourceVersion);
      await until(
        "an append after the compaction",
        async () => (await appends()) > appended,
        DISK_WAIT,
      );
      const before = await writer.list();
      writer.close();
      await server.stop("SIGKILL");
      await using second = await startServer({
        dir,
        noTcp: true,
        args: ["--watch-history-size=4"],
      });
      const reader = second.client();
      assert.deepEqual(await reader.list(), before);
      reader.close();
    } finally {
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "the journal and the state directory stay within their budgets",
  opts,
  async () => {
    const limits = { maxGpus: 3, maxObjectBytes: 4096, watchHistorySize: 64 };
    await using server = await startServer({
      noTcp: true,
      args: ["--max-gpus=3", "--max-object-bytes=4096", "--watch-history-size=64"],
    });
    const state = stateDir(server.dir);
    await initialCheckpoint(server.dir);
    const client = server.client();
    for (let i = 0; i < 3; i++) await client.create(testGpu(`g${i}`));
    let largest = 0;
    let shrank = 0;
    let previous = 0;
    // About 1.4 MiB of changes: more than the journal may hold (1 MiB here).
    for (let round = 0; round < 400; round++) {
      const name = `g${round % 3}`;
      await client.update({
        metadata: {
          name,
          labels: { round: `r${round}` },
          annotations: { pad: "x".repeat(3400 + (round % 7) * 10) },
        },
        spec: { uuid: `GPU-${name}` },
      });
      // The journal is fed from the 64-event history once per interval: a pause every 32
      // updates lets each write reach it, so that it is the journal's bound that a checkpoint
      // answers here, not events that left the history first (the test above).
      if (round % 32 === 31) await new Promise((r) => setTimeout(r, 2 * CHECKPOINT_INTERVAL_MS));
      if (round % 10 === 9) {
        const sizes = await fileSizes(state);
        const journal = sizes.get("journal.bin") ?? 0;
        largest = Math.max(largest, journal);
        if (journal < previous) shrank++;
        previous = journal;
        assert.ok(journal <= journalBudget(limits), `journal of ${journal} bytes`);
        const total = [...sizes.values()].reduce((a, b) => a + b, 0);
        assert.ok(total <= stateDirBudget(limits), `state directory of ${total} bytes`);
      }
    }
    assert.ok(largest > JOURNAL_MIN_BYTES / 2, `the journal grew to ${largest} bytes`);
    assert.ok(shrank > 0, "a checkpoint replaced the journal");
    const checkpoint = (await fileSizes(state)).get("checkpoint.bin")!;
    assert.ok(checkpoint <= checkpointBudget(limits), `checkpoint of ${checkpoint} bytes`);
    client.close();
  },
);

Deno.test(
  "a graceful stop leaves a checkpoint of everything and an empty journal",
  opts,
  async () => {
    await using server = await startServer({ noTcp: true });
    await initialCheckpoint(server.dir);
    const client = server.client();
    for (const name of ["a", "b"]) await client.create(testGpu(name));
    await journalGrew(server.dir);
    const { gpu } = await client.create(testGpu("c"));
    client.close();
    assert.equal((await server.stop("SIGTERM")).code, 0);
    const state = stateDir(server.dir);
    const sizes = await fileSizes(state);
    assert.equal(sizes.get("journal.bin"), JOURNAL_HEADER_BYTES, "an empty journal");
    const checkpoint = decodeCheckpoint(await Deno.readFile(`${state}/checkpoint.bin`));
    assert.equal(checkpoint.meta.version, gpu.resourceVersion);
    assert.equal(checkpoint.gpus.length, 3);
  },
);

async function fileSizes(dir: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const entry of Deno.readDir(dir)) {
    try {
      sizes.set(entry.name, (await Deno.stat(`${dir}/${entry.name}`)).size);
    } catch {
      // A temporary file renamed in the meantime: counted under its new name.
    }
  }
  return sizes;
}
