/**
 * The byte budgets of the state directory's files, from the store's
 * limits. Pure logic.
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

/** The least bytes a journal may grow to before a checkpoint replaces it. */
export const JOURNAL_MIN_BYTES = 1024 * 1024;

/**
 * The largest journal: a new checkpoint starts a new journal before an
 * append would take it past the larger of {@linkcode JOURNAL_MIN_BYTES} and
 * the last checkpoint's size, which is itself within
 * {@linkcode checkpointBudget}.
 */
export function journalBudget(limits: BudgetLimits): number {
  return Math.max(JOURNAL_MIN_BYTES, checkpointBudget(limits));
}

/** Bytes the version mark and a new journal's header take at most. */
const SMALL_FILES_BYTES = 4096;

/**
 * The most bytes the state directory's files take together: the
 * checkpoint, the next one being written beside it (its temporary file),
 * the journal, and the small files (the version mark, a journal header).
 */
export function stateDirBudget(limits: BudgetLimits): number {
  return 2 * checkpointBudget(limits) + journalBudget(limits) + SMALL_FILES_BYTES;
}
