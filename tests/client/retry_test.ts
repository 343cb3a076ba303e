/**
 * The client retry policy: Backoff grows exponentially with jitter up to its cap,
 * isRetryableCode() refuses codes a retry cannot heal, and watchResumable() follows both
 * through the real server with an injected clock: backoff while the server is down, no retry of
 * INVALID_ARGUMENT, and an abort during the wait ends it at once.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import {
  Backoff,
  type Clock,
  DeviceApiClient,
  isRetryableCode,
  REAL_CLOCK,
  type WatchEvent,
} from "../../src/client/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";

const opts = {};

Deno.test("Backoff.next() doubles from the initial delay up to the cap and reset() starts over", () => {
  const b = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 }, () => 0);
  assert.deepEqual(Array.from({ length: 7 }, () => b.next()), [
    100,
    200,
    400,
    800,
    1000,
    1000,
    1000,
  ]);
  b.reset();
  assert.equal(b.next(), 100);
});

Deno.test("Backoff.next() takes at most the jitter fraction off each delay", () => {
  const high = new Backoff({ initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0.5 }, () => 0.999999);
  assert.equal(high.next(), 500);
  const mid = new Backoff({ initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0.2 }, () => 0.5);
  assert.equal(mid.next(), 900);
  const none = new Backoff({ initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0 }, Math.random);
  assert.equal(none.next(), 1000);
});

Deno.test("Backoff() throws RangeError for a policy that makes no sense", () => {
  assert.throws(() => new Backoff({ initialDelayMs: 10, maxDelayMs: 5 }), RangeError);
  assert.throws(() => new Backoff({ multiplier: 0.5 }), RangeError);
  assert.throws(() => new Backoff({ jitter: 1.5 }), RangeError);
});

Deno.test("isRetryableCode() refuses the codes a retry cannot heal", () => {
  for (
    const code of [
      status.UNAUTHENTICATED,
      status.PERMISSION_DENIED,
      status.INVALID_ARGUMENT,
      status.UNIMPLEMENTED,
      status.OUT_OF_RANGE,
    ]
  ) assert.equal(isRetryableCode(code), false, status[code]);
  for (
    const code of [
      status.UNAVAILABLE,
      status.CANCELLED,
      status.RESOURCE_EXHAUSTED,
      status.INTERNAL,
      status.DEADLINE_EXCEEDED,
    ]
  ) assert.equal(isRetryableCode(code), true, status[code]);
});

Deno.test("REAL_CLOCK.sleep() resolves as soon as the signal aborts", async () => {
  const controller = new AbortController();
  const sleeping = REAL_CLOCK.sleep(3_600_000, controller.signal);
  controller.abort();
  await sleeping; // would hang (and leak the timer) without the abort
});

// A clock that records each wait and lets the test decide when it ends.
class ManualClock implements Clock {
  readonly waits: number[] = [];
  #wake: (() => void) | undefined;
  #waiting: ((n: number) => void)[] = [];
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.waits.push(ms);
    for (const w of this.#waiting.splice(0)) w(this.waits.length);
    return new Promise((resolve) => {
      this.#wake = resolve;
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
  }
  /** Ends the current wait. */
  tick(): void {
    this.#wake?.();
  }
  /** Resolves once `n` waits have started. */
  waitsStarted(n: number): Promise<void> {
    if (this.waits.length >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (count: number) => count >= n ? resolve() : this.#waiting.push(check);
      this.#waiting.push(check);
    });
  }
}

Deno.test(
  "watchResumable() backs off exponentially up to the cap while the server is down",
  opts,
  async () => {
    const first = await startServer({ noTcp: true });
    const dir = first.dir;
    const client = first.client();
    const clock = new ManualClock();
    const backoff = { initialDelayMs: 100, maxDelayMs: 400, jitter: 0 };
    try {
      await client.create(testGpu("g"));
      const stream = client.watchResumable({}, { clock, backoff });
      assert.equal(((await stream.next()).value as WatchEvent).type, "ADDED");
      const pending = stream.next();
      assert.equal((await first.stop()).code, 0);
      for (let n = 1; n <= 5; n++) {
        await clock.waitsStarted(n);
        clock.tick();
      }
      await clock.waitsStarted(6);
      assert.deepEqual(clock.waits.slice(0, 5), [100, 200, 400, 400, 400]);
      // The server comes back without its state (a new run: the old version is gone, so
      // OUT_OF_RANGE is surfaced; tests/state covers the restart that keeps the history).
      await using _second = await startServer({ dir, noTcp: true, args: ["--state-dir="] });
      let settled = false;
      const outcome = pending.then(() => undefined, (e: { code: number }) => e)
        .finally(() => settled = true);
      // grpc-js may need a few more attempts before its channel reconnects (bounded: 30 s).
      for (let i = 0; !settled && i < 1500; i++) {
        clock.tick();
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await outcome)?.code, status.OUT_OF_RANGE);
      assert.ok(clock.waits.every((ms) => ms <= 400), "never beyond the cap");
    } finally {
      client.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test("watchResumable() throws INVALID_ARGUMENT at once, without waiting", opts, async () => {
  await using server = await startServer({ noTcp: true });
  const client = server.client();
  const clock = new ManualClock();
  try {
    const stream = client.watchResumable({ labelSelector: "a in (" }, { clock });
    await assert.rejects(
      stream.next(),
      (e: { code: number }) => e.code === status.INVALID_ARGUMENT,
    );
    assert.deepEqual(clock.waits, [], "no retry");
  } finally {
    client.close();
  }
});

Deno.test("watchResumable() ends when the signal aborts during a backoff wait", opts, async () => {
  // Nothing listens on this socket: every attempt fails with UNAVAILABLE.
  const dir = await Deno.makeTempDir();
  const client = new DeviceApiClient(`unix://${dir}/none.sock`);
  const controller = new AbortController();
  try {
    const stream = client.watchResumable({}, {
      signal: controller.signal,
      backoff: { initialDelayMs: 3_600_000 },
    });
    const done = stream.next();
    // REAL_CLOCK: the first wait is an hour; the abort must end it.
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    assert.deepEqual(await done, { value: undefined, done: true });
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true });
  }
});
