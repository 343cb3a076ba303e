/**
 * The retry policy of the clients: exponential backoff with jitter and a cap, a clock that can
 * be injected (tests), and which gRPC codes are worth retrying. Pure, apart from the real clock.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";

/** Waits; injectable so tests control time. */
export interface Clock {
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock: setTimeout, cleared when the signal aborts. */
export const REAL_CLOCK: Clock = {
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    });
  },
};

/** Parameters of exponential backoff. */
export interface BackoffPolicy {
  /** Delay before the first retry, in milliseconds (default 250). */
  initialDelayMs: number;
  /** Upper bound of any delay, in milliseconds (default 30 s). */
  maxDelayMs: number;
  /** Growth factor per consecutive failure (default 2). */
  multiplier: number;
  /** Fraction of each delay taken off at random, 0 to 1 (default 0.5): spreads reconnects. */
  jitter: number;
}

/** The defaults of {@linkcode BackoffPolicy}. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialDelayMs: 250,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
};

/** Consecutive-failure counter that yields the next delay. */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #attempt = 0;

  /**
   * @param policy overrides of {@linkcode DEFAULT_BACKOFF}
   * @param random source of uniform numbers in [0, 1) (injectable for tests)
   * @throws {RangeError} for a policy that makes no sense
   */
  constructor(policy: Partial<BackoffPolicy> = {}, random: () => number = Math.random) {
    this.#policy = { ...DEFAULT_BACKOFF, ...policy };
    const { initialDelayMs, maxDelayMs, multiplier, jitter } = this.#policy;
    if (!(initialDelayMs >= 0 && maxDelayMs >= initialDelayMs && multiplier >= 1)) {
      throw new RangeError("backoff needs 0 <= initialDelayMs <= maxDelayMs and multiplier >= 1");
    }
    if (!(jitter >= 0 && jitter <= 1)) throw new RangeError("backoff jitter must be within [0, 1]");
    this.#random = random;
  }

  /** The delay before the next retry; each call counts one more failure. */
  next(): number {
    const { initialDelayMs, maxDelayMs, multiplier, jitter } = this.#policy;
    const base = Math.min(maxDelayMs, initialDelayMs * multiplier ** this.#attempt);
    if (base < maxDelayMs) this.#attempt++; // stop growing once capped (no overflow)
    return Math.round(base * (1 - jitter * this.#random()));
  }

  /** Starts over after a success. */
  reset(): void {
    this.#attempt = 0;
  }
}

// Codes a retry cannot heal: credentials, authorization, a malformed request, a missing
// method, and OUT_OF_RANGE, which asks the caller to re-list instead.
const NEVER_RETRIED: ReadonlySet<number> = new Set([
  status.UNAUTHENTICATED,
  status.PERMISSION_DENIED,
  status.INVALID_ARGUMENT,
  status.UNIMPLEMENTED,
  status.OUT_OF_RANGE,
  status.FAILED_PRECONDITION,
]);

/** Reports whether a failed watch with this gRPC status code is worth re-watching. */
export function isRetryableCode(code: number): boolean {
  return !NEVER_RETRIED.has(code);
}

/** The gRPC status code of an error, or undefined when it is not a gRPC error. */
export function grpcCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}
