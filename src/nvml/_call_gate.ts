/**
 * Time limits on NVML calls. Each call runs on a thread of its own (the symbols are
 * `nonblocking`), so a hung call never blocks the event loop; the gate turns "no answer within
 * the limit" into an {@linkcode NvmlCallTimeout}, refuses further calls about the same GPU until
 * the hung one returns (so hung calls cannot pile up threads), and counts calls in flight (the
 * library must not be closed under one: the process would crash).
 *
 * @module
 */

import { NvmlCallTimeout } from "./errors.ts";

/**
 * Waits for a promise at most `ms`.
 *
 * @returns True when it settled in time, false otherwise (it goes on; its result is dropped).
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a call is about: a GPU handle, or "system" for calls not tied to one GPU. */
export type CallScope = bigint | "system";

/** Limits and tracks NVML calls; one per loaded library. */
export class CallGate {
  readonly timeoutMs: number;
  #inflight = 0;
  #hung = new Map<CallScope, string>();
  #idle: (() => void)[] = [];

  /** @param timeoutMs Per-call limit in milliseconds. */
  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Calls in flight right now, hung ones included. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Whether a call about `scope` passed its limit and has not returned yet. */
  isHung(scope: CallScope): boolean {
    return this.#hung.has(scope);
  }

  /**
   * Runs one native call under the limit.
   *
   * @param scope The GPU the call is about, or "system".
   * @param action What is attempted, for the error message.
   * @param invoke Starts the native call.
   * @param limited False for calls with a bound of their own (nvmlInit, the event wait).
   * @throws {NvmlCallTimeout} When no answer came within the limit, or an earlier call about
   *   the same scope is still hung.
   */
  async run(
    scope: CallScope,
    action: string,
    invoke: () => Promise<number>,
    limited = true,
  ): Promise<number> {
    const hung = this.#hung.get(scope);
    if (limited && hung !== undefined) {
      throw new NvmlCallTimeout(action, this.timeoutMs, `an earlier call is still hung: ${hung}`);
    }
    this.#inflight++;
    const call = invoke().finally(() => {
      this.#inflight--;
      if (this.#hung.get(scope) === action) this.#hung.delete(scope);
      if (this.#inflight === 0) { for (const wake of this.#idle.splice(0)) wake(); }
    });
    if (!limited) return await call;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#hung.set(scope, action);
        reject(new NvmlCallTimeout(action, this.timeoutMs));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
      // The call may still settle later: nobody awaits it any more, so swallow its rejection.
      call.catch(() => {});
    }
  }

  /**
   * Waits until no call is in flight, at most `ms`.
   *
   * @returns True when idle, false when calls are still in flight after `ms`.
   */
  async whenIdle(ms: number): Promise<boolean> {
    if (this.#inflight === 0) return true;
    const idle = new Promise<void>((resolve) => this.#idle.push(resolve));
    return await settlesWithin(idle, ms) || this.#inflight === 0;
  }
}
