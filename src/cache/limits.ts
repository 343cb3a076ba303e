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
  /** Most concurrent watch streams (RESOURCE_EXHAUSTED beyond). */
  maxWatchers: number;
  /** Events queued for one watcher before it is evicted. */
  watchQueueSize: number;
  /** Events kept for watch resume. */
  watchHistorySize: number;
}

/** The contract's defaults. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxGpus: 1024,
  maxConditions: 32,
  maxObjectBytes: 64 * 1024,
  maxWatchers: 1024,
  watchQueueSize: 1024,
  watchHistorySize: 10_000,
});
