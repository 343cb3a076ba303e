/**
 * The store's entry type and the shapes of its options, selections and
 * write results, shared by the store, the broadcaster and the callers.
 *
 * @module
 */
import type { Condition, DeepPartial, Gpu, WatchEventType } from "../api/mod.ts";
import type { Limits } from "./limits.ts";
import type { BookmarkTimers } from "./broadcaster.ts";
import type { LockKind, RwLock } from "./rw_lock.ts";
import type { WatchEvent } from "./watch_event.ts";
import type { Watcher } from "./watcher.ts";

/** A stored object and its encoding, as the store holds it. */
export interface StoredGpu {
  readonly gpu: Readonly<Gpu>;
  readonly bytes: Uint8Array;
}

/** Who is writing: the provider identity, or "" for an anonymous writer. */
export interface WriteContext {
  provider: string;
}

/** The kinds of write, as counted by metrics. */
export type WriteOperation =
  | "create"
  | "update"
  | "update_status"
  | "set_conditions"
  | "delete"
  | "lease_expired";

/** A committed write, reported to {@linkcode StoreOptions.onCommit}. */
export interface Commit {
  operation: WriteOperation;
  provider: string;
  type: WatchEventType;
  gpu: Readonly<Gpu>;
}

/** Options of the GPU store. */
export interface StoreOptions {
  limits?: Partial<Limits>;
  /** First resource version; defaults to the clock in microseconds so versions survive restarts. */
  initialVersion?: number;
  /** Wall clock in milliseconds, for timestamps. */
  now?: () => number;
  /** Generates object uids. */
  uid?: () => string;
  /** Observes every lock acquisition and its wait. */
  onLockAcquire?: (kind: LockKind, waitedMs: number) => void;
  /** Observes every committed write. */
  onCommit?: (commit: Commit) => void;
  /** Observes every watcher evicted for falling behind. */
  onEvict?: (watcher: Watcher) => void;
  /** Schedules the fan-out of committed events (see BroadcasterOptions.schedule). */
  schedule?: (flush: () => void) => void;
  /** The timer behind periodic BOOKMARK events (see BroadcasterOptions.timers). */
  bookmarkTimers?: BookmarkTimers;
  /** The store's lock; a test passes its own to hold it from outside. */
  lock?: RwLock;
}

/** Selection of List and Watch. */
export interface ListSelection {
  /** One namespace, or "" for every namespace. */
  namespace?: string;
  /** Kubernetes label selector, or "". */
  labelSelector?: string;
}

/** A condition-level write: set some conditions, remove others, touch nothing else. */
export interface ConditionPatch {
  namespace?: string;
  name: string;
  set: DeepPartial<Condition>[];
  remove: string[];
  /** Precondition: the stored version must equal this one; 0 for none. */
  resourceVersion?: number;
  /**
   * In-process writers only (the NVML provider): the recommended action to store with the
   * conditions, in the same write, from the stored one; undefined leaves it as it is. Called
   * under the write lock, so it must be pure and quick.
   */
  recommendedAction?: (current: string) => string | undefined;
}

/** Outcome of the store's `rewriteConditions`. */
export interface RewriteResult {
  /** GPUs rewritten, one new resource version and one MODIFIED event each. */
  changed: number;
  /** GPUs left as they were because the rewrite would break a per-object limit. */
  skipped: { namespace: string; name: string; reason: string }[];
}

/** A store's content for a checkpoint: shared immutable objects and events. */
export interface StoreState {
  /** Version of the last write. */
  version: number;
  /** Every event after this version is in `history`. */
  completeAfter: number;
  /** Every object, sorted by (namespace, name). */
  gpus: readonly StoredGpu[];
  /** The watch history, oldest first. */
  history: readonly WatchEvent[];
}
