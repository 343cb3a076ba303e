/**
 * The state directory: a checkpoint of the store (GPUs, conditions, owners,
 * versions, the watch history, registered providers) written atomically off
 * the request path, a journal of the changes since it (one record per
 * coalescing interval), both restored at start, and the resource-version
 * high-water mark that keeps versions moving forward across restarts
 * whatever the wall clock does. See docs/operations.md, "What survives a
 * restart".
 *
 * @module
 */
export { readFileIfExists, writeFileAtomic } from "./atomic_file.ts";
export {
  type BudgetLimits,
  checkpointBudget,
  JOURNAL_MIN_BYTES,
  journalBudget,
  stateDirBudget,
} from "./budget.ts";
export {
  CHECKPOINT_FORMAT,
  type CheckpointMeta,
  decodeCheckpoint,
  type DecodedCheckpoint,
  encodeCheckpoint,
  HEADER_BYTES,
} from "./checkpoint_format.ts";
export {
  type DecodedJournal,
  decodeJournal,
  encodeJournalHeader,
  encodeJournalRecord,
  JOURNAL_FORMAT,
  JOURNAL_HEADER_BYTES,
  type JournalBase,
  type JournalMeta,
  type JournalRecord,
} from "./journal_format.ts";
export {
  CheckpointError,
  type CheckpointEvent,
  type CheckpointProblem,
  type DecodedEvent,
} from "./record_codec.ts";
export { type HistoryBound, replay, type Replayed } from "./replay.ts";
export { Checkpointer, type CheckpointerOptions } from "./checkpointer.ts";
export { createStateMetrics, type JournalProblem, type StateMetrics } from "./metrics.ts";
export {
  CHECKPOINT_FILE,
  CHECKPOINT_INTERVAL_MS,
  JOURNAL_FILE,
  type ProviderState,
  StatePersistence,
  type StatePersistenceOptions,
} from "./persistence.ts";
export {
  clockVersion,
  parseVersionMark,
  seedVersion,
  VERSION_MARK_FILE,
  VERSION_RESERVATION,
  VersionMark,
} from "./version_mark.ts";
