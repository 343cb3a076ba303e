/**
 * The journal across real restarts: after a SIGKILL the journal's records
 * replay onto the checkpoint; a record torn by the crash ends the replay and
 * the records before it are used; a corrupt header or middle record moves
 * the journal aside and the checkpoint alone is used; a journal left from an
 * older checkpoint (a crash between the checkpoint's rename and the new
 * journal) is ignored.
 */
import assert from "node:assert/strict";
import { encodeGpu } from "../../src/api/mod.ts";
import type { Gpu } from "../../src/api/mod.ts";
import { encodeJournalRecord, JOURNAL_HEADER_BYTES } from "../../src/state/mod.ts";
import { type ServerProcess, startServer, testGpu } from "../_helpers/server_process.ts";
import { startWithMetrics } from "../metrics/_metrics_server.ts";
import {
  filesStartingWith,
  initialCheckpoint,
  journalGrew,
  journalHolds,
  recordEnds,
  stateDir,
  storedGpu,
} from "./_state_helpers.ts";

const opts = {};
const JOURNAL = "journal.bin";
const CHECKPOINT = "checkpoint.bin";

type Listed = { resourceVersion: string; items: Gpu[] };

// A server killed after writes that reached the journal only (two records at
// least): the directory, the list before the kill, the checkpoint of the start.
async function killedAfterJournal(): Promise<Killed> {
  const first = await startServer({ noTcp: true });
  const initial = await initialCheckpoint(first.dir);
  const writer = first.client({ provider: "w" });
  const firstVersion = (await writer.create(testGpu("a"))).gpu.resourceVersion;
  for (const name of ["b", "c"]) await writer.create(testGpu(name));
  await journalHolds(first.dir, (await writer.list()).resourceVersion);
  await writer.update({ metadata: { name: "a", labels: { zone: "z1" } }, spec: { uuid: "GPU-a" } });
  await writer.delete("b");
  await journalHolds(first.dir, (await writer.list()).resourceVersion);
  // The last record holds d alone: the tests below cut it.
  await writer.create(testGpu("d"));
  const before = await writer.list();
  await journalHolds(first.dir, before.resourceVersion);
  writer.close();
  await first.stop("SIGKILL");
  return { dir: first.dir, before, initial, firstVersion };
}

interface Killed {
  dir: string;
  before: Listed;
  /** The checkpoint written at the start. */
  initial: Uint8Array;
  /** Version of the first write (after the start's checkpoint). */
  firstVersion: number;
}

function restoredLine(server: ServerProcess): Record<string, unknown> {
  const line = server.logs.find((l) => l.msg === "Restored state");
  assert.ok(line, "logs Restored state");
  return line;
}

async function withDir(fn: (dir: string, before: Listed) => Promise<void>): Promise<void> {
  const { dir, before } = await killedAfterJournal();
  try {
    await fn(dir, before);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test(
  "the journal replays onto the checkpoint after a SIGKILL: every write is back",
  opts,
  async () => {
    const { dir, before, initial, firstVersion } = await killedAfterJournal();
    try {
      // Nothing but the start's checkpoint was written: the writes are in the journal only.
      assert.deepEqual(await Deno.readFile(`${stateDir(dir)}/${CHECKPOINT}`), initial);
      const journal = await Deno.readFile(`${stateDir(dir)}/${JOURNAL}`);
      assert.ok(recordEnds(journal).length >= 2, "two records or more");
      await using second = await startServer({ dir, noTcp: true });
      const restored = restoredLine(second);
      assert.equal(restored.gpus, 3);
      assert.equal(restored.journalEvents, 6);
      const reader = second.client();
      assert.deepEqual(await reader.list(), before, "the same objects at the same version");
      // A watch resumes from the first write: exactly the journal's events follow.
      const watcher = second.client();
      const events: string[] = [];
      for await (const event of watcher.watch({ resourceVersion: `${firstVersion}` })) {
        events.push(`${event.type} ${event.object.metadata.name}`);
        if (event.object.metadata.name === "d") break;
      }
      watcher.close();
      assert.deepEqual(events, ["ADDED b", "ADDED c", "MODIFIED a", "DELETED b", "ADDED d"]);
      const { gpu } = await reader.create(testGpu("e"));
      assert.ok(gpu.resourceVersion > Number(before.resourceVersion));
      reader.close();
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "a record torn by the crash ends the replay; the records before it are used",
  opts,
  async () => {
    await withDir(async (dir, before) => {
      const path = `${stateDir(dir)}/${JOURNAL}`;
      const journal = await Deno.readFile(path);
      const ends = recordEnds(journal);
      // The last record cut in half, as a crash in the middle of its append leaves it.
      const lastStart = ends[ends.length - 2]!;
      const cut = lastStart + Math.floor((ends[ends.length - 1]! - lastStart) / 2);
      await Deno.writeFile(path, journal.subarray(0, cut));
      const { server, scrape } = await startWithMetrics({ dir, noTcp: true });
      await using _server = server;
      assert.ok(server.logs.some((l) => String(l.msg).startsWith("The journal ends in a partial")));
      const m = await scrape();
      assert.equal(
        m.value("device_api_server_journal_load_failures_total", { reason: "torn_tail" }),
        1,
      );
      const client = server.client();
      const names = (await client.list()).items.map((g) => g.metadata.name);
      assert.deepEqual(names, ["a", "c"], "d was in the torn record only");
      assert.deepEqual(
        (await client.get("a")).metadata.labels,
        before.items.find((g) => g.metadata.name === "a")!.metadata.labels,
      );
      // The start's checkpoint replaced the torn journal: later records are read back.
      await initialCheckpointAfter(dir, journal);
      await client.create(testGpu("e"));
      await journalGrew(dir);
      client.close();
      await server.stop("SIGKILL");
      await using third = await startServer({ dir, noTcp: true });
      const reader = third.client();
      assert.deepEqual((await reader.list()).items.map((g) => g.metadata.name), ["a", "c", "e"]);
      reader.close();
    });
  },
);

// Waits until the journal is a new one (not the bytes left by the crash).
async function initialCheckpointAfter(dir: string, old: Uint8Array): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const now = await Deno.readFile(`${stateDir(dir)}/${JOURNAL}`);
    if (now.length === JOURNAL_HEADER_BYTES && !now.every((b, i) => b === old[i])) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("no new journal after the start");
}

Deno.test(
  "a corrupt journal header or middle record moves the journal aside; the checkpoint alone is used",
  opts,
  async (t) => {
    const cases: [string, string, (b: Uint8Array) => void][] = [
      ["middle record", "checksum", (b) => (b[JOURNAL_HEADER_BYTES + 12]! ^= 0x01)],
      ["header", "malformed", (b) => (b[0]! ^= 0x01)],
    ];
    for (const [what, reason, corrupt] of cases) {
      await t.step(what, async () => {
        await withDir(async (dir, before) => {
          const path = `${stateDir(dir)}/${JOURNAL}`;
          const bad = await Deno.readFile(path);
          corrupt(bad);
          await Deno.writeFile(path, bad);
          const { server, scrape } = await startWithMetrics({ dir, noTcp: true });
          await using _server = server;
          const logged = server.logs.find((l) =>
            l.msg === "Cannot use a state file; moved it aside and starting without it"
          );
          assert.match(JSON.stringify(logged ?? {}), new RegExp(reason));
          const m = await scrape();
          assert.equal(m.value("device_api_server_journal_load_failures_total", { reason }), 1);
          const aside = filesStartingWith(dir, `${JOURNAL}.bad-`);
          assert.equal(aside.length, 1, "kept for inspection");
          assert.deepEqual(await Deno.readFile(`${stateDir(dir)}/${aside[0]}`), bad);
          const client = server.client();
          // The checkpoint of the start held no GPU yet.
          assert.equal((await client.list()).items.length, 0);
          const { gpu } = await client.create(testGpu("h"));
          assert.ok(gpu.resourceVersion > Number(before.resourceVersion), "versions stay above");
          client.close();
        });
      });
    }
  },
);

Deno.test(
  "a journal left from an older checkpoint is ignored, even with events above the new one",
  opts,
  async () => {
    const first = await startServer({ noTcp: true });
    const dir = first.dir;
    try {
      await initialCheckpoint(dir);
      const writer = first.client();
      await writer.create(testGpu("a"));
      await journalGrew(dir);
      // The journal of the start's checkpoint, as a crash between the next
      // checkpoint's rename and its new journal leaves it.
      const stale = await Deno.readFile(`${stateDir(dir)}/${JOURNAL}`);
      await writer.create(testGpu("b"));
      const before = await writer.list();
      writer.close();
      assert.equal((await first.stop("SIGTERM")).code, 0);
      // One more valid record that a wrong replay would apply: a GPU above the checkpoint.
      const above = Number(before.resourceVersion) + 1;
      const ghost = encodeGpu(storedGpu("ghost", above));
      const record = encodeJournalRecord({
        version: above,
        mark: 0,
        savedAtMs: 0,
        providers: [],
      }, [{
        resourceVersion: above,
        type: "ADDED",
        labels: {},
        previousLabels: null,
        gpuBytes: ghost,
      }]);
      const tampered = new Uint8Array([...stale, ...record.flatMap((c) => [...c])]);
      await Deno.writeFile(`${stateDir(dir)}/${JOURNAL}`, tampered);
      const { server, scrape } = await startWithMetrics({ dir, noTcp: true });
      await using _server = server;
      assert.ok(
        server.logs.some((l) => l.msg === "Ignoring a journal left from an older checkpoint"),
      );
      const m = await scrape();
      assert.equal(
        m.value("device_api_server_journal_load_failures_total", { reason: "stale" }),
        1,
      );
      const reader = server.client();
      assert.deepEqual(await reader.list(), before, "the checkpoint's state, no ghost");
      reader.close();
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
