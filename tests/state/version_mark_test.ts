/** VersionMark and Checkpointer on a real temporary directory. */
import assert from "node:assert/strict";
import {
  CHECKPOINT_INTERVAL_MS,
  Checkpointer,
  VERSION_MARK_FILE,
  VERSION_RESERVATION,
  VersionMark,
} from "../../src/state/mod.ts";
import { waitUntil } from "../reliability/_server.ts";

/** Runs pending microtasks only: a write started at once is done before any timer could fire. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A Checkpointer whose writes succeed at once; `starts` holds the clock at each write's start. */
function recordingCheckpointer(intervalMs: number, now?: () => number) {
  const starts: number[] = [];
  const checkpointer = new Checkpointer({
    intervalMs,
    write: () => {
      starts.push(now?.() ?? performance.now());
      return Promise.resolve();
    },
    onError: (err) => assert.fail(String(err)),
    now,
  });
  return { checkpointer, starts };
}

Deno.test("VersionMark.reserve() persists a mark ahead of the version; read() finds it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await VersionMark.read(dir), { mark: 0 });
    const mark = new VersionMark(dir, 0, (err) => assert.fail(String(err)));
    await mark.reserve(1000);
    assert.equal(mark.value, 1000 + VERSION_RESERVATION);
    assert.deepEqual(await VersionMark.read(dir), { mark: 1000 + VERSION_RESERVATION });
    mark.observe(1001); // far below the mark: nothing to write
    mark.observe(1000 + VERSION_RESERVATION / 2 + 1); // half used: the next reservation
    await mark.flushed();
    assert.equal((await VersionMark.read(dir)).mark, 1001 + VERSION_RESERVATION * 1.5);
    await Deno.writeTextFile(`${dir}/${VERSION_MARK_FILE}`, "garbage");
    const bad = await VersionMark.read(dir);
    assert.equal(bad.mark, 0);
    assert.ok(bad.problem);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Checkpointer coalesces a burst into few writes and writes the rest at close()", async () => {
  const { checkpointer, starts } = recordingCheckpointer(100);
  const writes = () => starts.length;
  for (let i = 0; i < 1000; i++) checkpointer.schedule();
  assert.equal(writes(), 0, "schedule() never writes on the caller's path");
  // Timers run late on a loaded machine: wait for the write, not for a time.
  await waitUntil("the burst's checkpoint is written", () => writes() > 0);
  assert.equal(writes(), 1, "a burst is one checkpoint");
  checkpointer.schedule();
  await checkpointer.close();
  assert.equal(writes(), 2, "close() writes what is pending");
  checkpointer.schedule();
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(writes(), 2, "nothing after close()");
});

Deno.test("Checkpointer starts a change's write at once a whole interval after the last, else on a timer", async () => {
  let clock = 0;
  const { checkpointer, starts } = recordingCheckpointer(100, () => clock);
  const writes = () => starts.length;
  checkpointer.schedule();
  assert.equal(writes(), 0, "never on the caller's path");
  await settle();
  assert.equal(writes(), 1, "the first change starts at once");
  clock = 100;
  checkpointer.schedule();
  await settle();
  assert.equal(writes(), 2, "a change an interval after the last start starts at once");
  clock = 199; // too soon: waits for the interval's end
  checkpointer.schedule();
  await settle();
  assert.equal(writes(), 2, "a change sooner than that waits for a timer");
  await waitUntil("the timer's write", () => writes() === 3);
  await checkpointer.close();
});

Deno.test("Checkpointer: a provider writing ten times a second soon starts each write with its change", async () => {
  const interval = CHECKPOINT_INTERVAL_MS;
  let clock = 0;
  const { checkpointer, starts } = recordingCheckpointer(interval, () => clock);
  checkpointer.schedule();
  await settle();
  const waited: number[] = [];
  for (let k = 0; k < 15; k++) {
    // Each change 4 ms after a round 100 ms, the first just after a write started: the worst
    // phase, in which every change waited nearly a whole interval while the interval was 100 ms.
    const change = 100 * k + 4;
    clock = change;
    const before = starts.length;
    checkpointer.schedule();
    await settle();
    if (starts.length === before) {
      // The timer's write starts when it is due, however late the timer runs on this machine.
      clock = starts.at(-1)! + interval;
      await waitUntil("the change's write", () => starts.length > before);
    }
    waited.push(starts.at(-1)! - change);
  }
  await checkpointer.close();
  assert.ok(waited[0]! > 0, `the first change waits for the timer (waited ${waited})`);
  assert.deepEqual(waited.slice(-5), [0, 0, 0, 0, 0], `later changes start at once (${waited})`);
});

Deno.test("Checkpointer tries again after a failed write", async () => {
  let calls = 0;
  const errors: unknown[] = [];
  const checkpointer = new Checkpointer({
    intervalMs: 10,
    write: () => (++calls === 1 ? Promise.reject(new Error("disk full")) : Promise.resolve()),
    onError: (err) => errors.push(err),
  });
  checkpointer.schedule();
  await waitUntil("the write is tried again", () => calls >= 2);
  assert.equal(errors.length, 1);
  assert.equal(calls, 2, "the state stayed dirty and was written on the next try");
  await checkpointer.close();
});
