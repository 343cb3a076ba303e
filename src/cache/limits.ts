/**
 * Limits of the wire contract, configurable with these defaults.
 *
 * @module
 */

/** Server-wide and per-object limits enforced by the cache. */
export interface Limits {
  /** Most GPUs stored at once (RESOURCE_EXHAUSTED beyond). */
  maxGpus: number;
  /** Most conditions per GPU (INVALID_ARGUMENT beyond). */
  maxConditions: number;
  /** Largest encoded GPU object in bytes (INVALID_ARGUMENT beyond). */
  maxObjectBytes: number;
  /**
   * Largest encoded ListGpusResponse of every stored GPU (the message limit):
   * a write that would make the full list larger is RESOURCE_EXHAUSTED, so a
   * full ListGpus always fits in one message.
   */
  maxListBytes: number;
  /** Most concurrent watch streams (RESOURCE_EXHAUSTED beyond). */
  maxWatchers: number;
  /** Live events queued for one watcher before it is evicted. */
  watchQueueSize: number;
  /** Bytes of live events queued for one watcher before it is evicted. */
  watchQueueBytes: number;
  /**
   * Bytes of distinct live events queued for all watchers together; beyond
   * it the watcher holding the most is evicted.
   */
  watchQueuePoolBytes: number;
  /** Events kept for watch resume. */
  watchHistorySize: number;
  /** Bytes the events kept for watch resume may retain. */
  watchHistoryBytes: number;
}

/**
 * The contract's defaults. The three byte bounds are what
 * `planMemory()` (memory_budget.ts) sizes for the other defaults (with the
 * Unix socket and TCP listeners at the default `--max-connections`) and the
 * chart's 256 MiB memory limit; a test keeps them in step.
 */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxGpus: 1024,
  maxConditions: 32,
  maxObjectBytes: 64 * 1024,
  maxListBytes: 4 * 1024 * 1024,
  maxWatchers: 1024,
  watchQueueSize: 1024,
  watchQueueBytes: 472 * 4096, // ≈ 1.8 MiB, an eighth of the pool
  watchQueuePoolBytes: 3776 * 4096, // ≈ 14.8 MiB
  watchHistorySize: 10_000,
  watchHistoryBytes: 14 * 1024 * 1024,
});
