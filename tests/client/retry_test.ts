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
} from "../../src/client/mod.ts";
import { startServer } from "../_helpers/server_process.ts";

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
    // Nothing listens on this socket: every attempt fails with UNAVAILABLE. (Stopping a server
    // under an open watch instead makes Deno 2.9.6's HTTP/2 client crash the test process now
    // and then, denoland/deno#36788; watch_resumable_test.ts covers a server that goes away.)
    const dir = await Deno.makeTempDir();
    const client = new DeviceApiClient(`unix://${dir}/none.sock`);
    const clock = new ManualClock();
    const backoff = { initialDelayMs: 100, maxDelayMs: 400, jitter: 0 };
    const controller = new AbortController();
    try {
      const stream = client.watchResumable({}, { clock, backoff, signal: controller.signal });
      const pending = stream.next();
      for (let n = 1; n <= 5; n++) {
        await clock.waitsStarted(n);
        clock.tick();
      }
      await clock.waitsStarted(6);
      assert.deepEqual(clock.waits.slice(0, 6), [100, 200, 400, 400, 400, 400]);
      controller.abort();
      assert.deepEqual(await pending, { done: true, value: undefined });
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
