/**
 * The byte budget of a checkpoint, from the store's limits. Pure logic.
 *
 * @module
 */
import {
  EVENT_OVERHEAD_BYTES,
  FIXED_OVERHEAD_BYTES,
  GPU_OVERHEAD_BYTES,
  MAX_META_BYTES,
} from "./checkpoint_format.ts";

/** The limits a checkpoint's size follows from. */
export interface BudgetLimits {
  maxGpus: number;
  maxObjectBytes: number;
  /** Events the watch history keeps. */
  watchHistorySize: number;
  /** Bytes the watch history keeps, when it is bounded in bytes too. */
  watchHistoryBytes?: number;
}

/**
 * The largest checkpoint: the header, every GPU at its size limit, and the
 * watch history within the same bound as in memory (its event count times
 * the object limit, or its byte bound when it has one). A checkpoint that
 * would be larger leaves out its oldest events.
 */
export function checkpointBudget(limits: BudgetLimits): number {
  const countBound = limits.watchHistorySize * limits.maxObjectBytes;
  const historyBytes = Math.min(countBound, limits.watchHistoryBytes ?? countBound);
  return FIXED_OVERHEAD_BYTES + MAX_META_BYTES +
    limits.maxGpus * (GPU_OVERHEAD_BYTES + limits.maxObjectBytes) +
    limits.watchHistorySize * EVENT_OVERHEAD_BYTES + historyBytes;
}
