/**
 * The one clock every benchmark process uses, so that times taken in
 * different processes can be compared.
 *
 * @module
 */

/**
 * Milliseconds since the Unix epoch with sub-millisecond resolution:
 * `performance.timeOrigin` (wall clock read once at process start, with
 * microseconds) plus `performance.now()` (monotonic since then). Residual
 * offsets between processes are measured and corrected by a ping-pong over
 * each worker's control pipe (see `_worker_pool.ts`).
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
