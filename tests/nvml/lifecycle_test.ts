import assert from "node:assert/strict";
import { until } from "../_helpers/poll.ts";
import { startHarness } from "./harness.ts";

Deno.test("startNvmlProvider() keeps timers firing while an event wait is pending", async () => {
  await using h = await startHarness({ provider: { waitTimeoutMs: 5000 } });
  await until("a pending wait", () => h.control.waiters() === 1, { intervalMs: 1 });
  const calls = h.control.waitCalls();
  let ticks = 0;
  let pendingAtEveryTick = true;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      ticks++;
      pendingAtEveryTick &&= h.control.waiters() === 1 && h.control.waitCalls() === calls;
      if (ticks === 20) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  assert.equal(ticks, 20);
  assert.equal(pendingAtEveryTick, true, "the same wait stayed pending through every tick");
  // End the 5 s wait early so the test need not wait it out.
  const stopped = h.provider.stop();
  h.control.wake();
  await stopped;
});

Deno.test("NvmlProvider.stop() waits for a pending wait before closing the library", async () => {
  await using h = await startHarness({ provider: { waitTimeoutMs: 200 } });
  await until("a pending wait", () => h.control.waiters() === 1, { intervalMs: 1 });
  // Closing the library while the wait runs would crash the process: stop() must not.
  await h.provider.stop();
  assert.equal(h.control.waiters(), 0);
  assert.equal(h.control.liveSets(), 0);
  assert.equal(h.control.initCount(), 0);
});

Deno.test("NvmlProvider.stop() cuts short the pause between probes of a lost GPU", async () => {
  await using h = await startHarness({ provider: { waitTimeoutMs: 5000 } });
  await until("a pending wait", () => h.control.waiters() === 1, { intervalMs: 1 });
  h.control.setLost(-1, true);
  await until(
    "GpuLost",
    () => h.writer.ready([...h.writer.gpus.keys()][0]!)?.reason === "GpuLost",
    { intervalMs: 1 },
  );
  // The loop now sleeps between probes; stop() cuts the pause short.
  await h.provider.stop();
  assert.equal(h.control.initCount(), 0);
});
