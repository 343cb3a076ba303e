/**
 * What an idle server costs: it sleeps between its few periodic checks
 * instead of waking its event loop many times a second (each wake-up costs
 * CPU on every node of a cluster, all day).
 */
import assert from "node:assert/strict";
import { startServer } from "../_helpers/server_process.ts";
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
