/**
 * The state directory: a checkpoint of the store (GPUs, conditions, owners,
 * versions, the watch history, registered providers) written atomically off
 * the request path and restored at start, and the resource-version
 * high-water mark that keeps versions moving forward across restarts
 * whatever the wall clock does. See docs/operations.md, "What survives a
 * restart".
 *
 * @module
 */
export { readFileIfExists, writeFileAtomic } from "./atomic_file.ts";
export { type BudgetLimits, checkpointBudget } from "./budget.ts";
export {
  CHECKPOINT_FORMAT,
  CheckpointError,
  type CheckpointEvent,
  type CheckpointMeta,
  type CheckpointProblem,
  decodeCheckpoint,
  type DecodedCheckpoint,
  encodeCheckpoint,
  HEADER_BYTES,
} from "./checkpoint_format.ts";
export { Checkpointer, type CheckpointerOptions } from "./checkpointer.ts";
export { createStateMetrics, type StateMetrics } from "./metrics.ts";
export {
  CHECKPOINT_FILE,
  CHECKPOINT_INTERVAL_MS,
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
