import assert from "node:assert/strict";
import { DUPLICATE_WINDOW_MS, onShutdownSignals } from "../../src/server/mod.ts";

Deno.test("onShutdownSignals() starts a graceful stop, ignores a duplicate and forces on a later signal", async () => {
  let now = 1000;
  const calls: string[] = [];
  let notify = () => {};
  const remove = onShutdownSignals({
    graceful: (s) => {
      calls.push(`graceful:${s}`);
      notify();
    },
    force: (s) => {
      calls.push(`force:${s}`);
      notify();
    },
  }, () => now);
  const next = () => new Promise<void>((r) => (notify = r));
  // Signal listeners do not keep the event loop alive on their own.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    let handled = next();
    Deno.kill(Deno.pid, "SIGTERM");
    await handled;
    // The same signal delivered twice (process group + launcher): ignored.
    now += DUPLICATE_WINDOW_MS - 1;
    Deno.kill(Deno.pid, "SIGTERM");
    // Let it be delivered and ignored (it calls nothing to wait for).
    await new Promise((r) => setTimeout(r, 100));
    // Then an operator's deliberate second signal.
    now += 2;
    handled = next();
    Deno.kill(Deno.pid, "SIGTERM");
    await handled;
    assert.deepEqual(calls, ["graceful:SIGTERM", "force:SIGTERM"]);
  } finally {
    clearInterval(keepAlive);
    remove();
  }
});
