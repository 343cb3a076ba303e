/**
 * The read-blocking GPU cache: a writer-preference lock, the store and the
 * watch broadcaster. Pure logic, no I/O.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./limits.ts";
export { type LockHold, type LockKind, RwLock, type RwLockOptions } from "./rw_lock.ts";
export { type LabelMatcher, parseLabelSelector } from "./label_selector.ts";
export {
  type Commit,
  type ConditionPatch,
  GpuStore,
  type ListSelection,
  type RewriteResult,
  type StoreOptions,
  type StoreState,
  type WriteContext,
  type WriteOperation,
} from "./store.ts";
export { Broadcaster, type StoredGpu } from "./broadcaster.ts";
export { Watcher, type WatchSink } from "./watcher.ts";
export type { WatchEvent } from "./watch_event.ts";
export { type RestoredEvent, type RestoredState, validateRestoredState } from "./restore.ts";
export { DEFAULT_NAMESPACE, parseResourceVersion, validateName } from "./validation.ts";
