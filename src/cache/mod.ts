/**
 * The read-blocking GPU cache: a writer-preference lock, the store and the
 * watch broadcaster. Pure logic, no I/O.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./limits.ts";
export { type LockHold, type LockKind, RwLock, type RwLockOptions } from "./rw_lock.ts";
export {
  type LabelMatcher,
  MAX_SELECTOR_CHARS,
  MAX_SELECTOR_REQUIREMENTS,
  MAX_SELECTOR_VALUES,
  parseLabelSelector,
} from "./label_selector.ts";
export { GpuStore } from "./store.ts";
export type {
  Commit,
  ConditionPatch,
  ListSelection,
  RewriteResult,
  StoredGpu,
  StoreOptions,
  StoreState,
  WriteContext,
  WriteOperation,
} from "./store_types.ts";
export { Broadcaster } from "./broadcaster.ts";
export { Watcher, type WatchSink } from "./watcher.ts";
export type { WatchEvent } from "./watch_event.ts";
export { type RestoredEvent, type RestoredState, validateRestoredState } from "./restore.ts";
export { DEFAULT_NAMESPACE, parseResourceVersion, validateName } from "./validation.ts";
export {
  type BudgetLimits,
  type BudgetTerms,
  IN_FLIGHT_MESSAGES,
  type MemoryBudget,
  parseCgroupMemoryLimit,
  planMemory,
  worstCaseTerms,
} from "./memory_budget.ts";
