/**
 * Waiting for what a test cannot await directly: an effect seen from
 * outside (a server's reply, a file, a fake driver's event). The bound is
 * for liveness only and generous, since a loaded 2-core CI machine is slow;
 * a test never asserts how long the wait took.
 *
 * @example Usage
 * ```ts
 * import { until } from "./poll.ts";
 *
 * let ready = false;
 * setTimeout(() => (ready = true), 10);
 * await until("the flag to be set", () => ready);
 * ```
 *
 * @module
 */

/** How {@linkcode until} polls. */
export interface PollOptions {
  /** Give up after this many milliseconds (default 15 s). */
  timeoutMs?: number;
  /** Milliseconds between probes (default 20). */
  intervalMs?: number;
}

/**
 * Probes until `probe` gives a value other than `undefined` or `false`, and
 * resolves with it.
 *
 * @param what what is awaited, for the error
 * @param probe asked once at once, then every `intervalMs`
 * @throws {Error} naming `what` when no value comes within `timeoutMs`
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 15_000, intervalMs = 20 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`Cannot observe ${what}: gave up after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
