/**
 * What an idle server costs: it sleeps between its few periodic checks
 * instead of waking its event loop many times a second (each wake-up costs
 * CPU on every node of a cluster, all day), and it does not keep the garbage
 * of its start resident.
 */
import assert from "node:assert/strict";
import { LAUNCHER, startServer } from "../_helpers/server_process.ts";
import { threadWakeups } from "../../bench/_proc.ts";

// The idle server's own timers: the lag sampler (LAG_SAMPLE_MS, two wake-ups per sample) and the
// socket check every 2 s. prom-client's lag sampler at 100 ms alone woke it 20 times a second.
const MAX_WAKEUPS_PER_SECOND = 10;
const WINDOW_MS = 3_000;

Deno.test({
  name: "an idle server's event loop wakes fewer than 10 times a second",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await startServer({ args: ["--metrics-port=0"] });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // past the start's own work
    // The main thread's (the event loop's) wake-ups; Linux counts them per thread.
    const main = async () => (await threadWakeups(server.child.pid)).get(`${server.child.pid}`)!;
    const before = await main();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const perSecond = (await main() - before) /
      (WINDOW_MS / 1000);
    assert.ok(
      perSecond < MAX_WAKEUPS_PER_SECOND,
      `the idle server woke ${perSecond} times a second`,
    );
  },
});

// "12.3MiB -> 4.5MiB" as the compaction's log line writes sizes.
function sizes(field: unknown): [number, number] {
  const m = /^([\d.]+)MiB -> ([\d.]+)MiB$/.exec(String(field));
  assert.ok(m, `sizes as "A -> B": ${field}`);
  return [Number(m[1]), Number(m[2])];
}

Deno.test("a server started as the start task starts it compacts its heap once, after it is ready", async () => {
  await using server = await startServer({ command: [...LAUNCHER], noTcp: true });
  const line = await server.waitForLog((l) => l.msg === "Compacted the heap after start");
  const [heapBefore, heapAfter] = sizes(line.heap);
  assert.ok(heapAfter < heapBefore, `V8's heap shrinks: ${line.heap}`);
  const [rssBefore, rssAfter] = sizes(line.rss);
  assert.ok(rssAfter < rssBefore, `the resident set shrinks: ${line.rss}`);
  const ready = server.logs.findIndex((l) => l.msg === "Server is ready");
  assert.ok(ready >= 0 && ready < server.logs.indexOf(line), "after ready");
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.equal(server.logs.filter((l) => l.msg === line.msg).length, 1, "once");
});
