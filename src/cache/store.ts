/**
 * The GPU store: objects keyed by (namespace, name) behind a writer-preference
 * read-write lock, one server-wide resource version, and the watch fan-out.
 *
 * Invariants (kept by every write, each under the write lock):
 * - every stored object is deep-frozen and carries its protobuf encoding,
 *   produced once by the write that stored it;
 * - `#version` only grows, and every stored object and event carries the
 *   version of the write that produced it;
 * - an event is published for every version bump, in order.
 *
 * @module
 */
import { encodeGpu, encodeGpuList } from "../api/codec.ts";
import type {
  Condition,
  DeepPartial,
  Gpu,
  GpuStatus,
  Timestamp,
  WatchEventType,
} from "../api/types.ts";
import { Broadcaster, type StoredGpu } from "./broadcaster.ts";
import {
  AlreadyExistsError,
  CapacityError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
} from "./errors.ts";
import { MATCH_ALL, parseLabelSelector } from "./label_selector.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
import { deepFreeze, type RestoredState, validateRestoredState } from "./restore.ts";
import { type LockHold, type LockKind, RwLock } from "./rw_lock.ts";
import {
  normalizeAnnotations,
  normalizeCondition,
  normalizeLabels,
  normalizeNamespace,
  normalizeNamespaceFilter,
  normalizeSpec,
  normalizeStatus,
  parseResourceVersion,
  validateName,
} from "./validation.ts";
import { WatchEvent } from "./watch_event.ts";
import type { Watcher, WatchSink } from "./watcher.ts";

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

/** Options of {@linkcode GpuStore}. */
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
}

/** Outcome of {@linkcode GpuStore.rewriteConditions}. */
export interface RewriteResult {
  /** GPUs rewritten, one new resource version and one MODIFIED event each. */
  changed: number;
  /** GPUs left as they were because the rewrite would break a per-object limit. */
  skipped: { namespace: string; name: string; reason: string }[];
}

/** Writer-preference locked store of GPUs with watch fan-out. */
export class GpuStore {
  /** Guards `#entries`, `#keys`, `#version` and `#listCache`. */
  readonly lock: RwLock;
  /** Fan-out of committed changes; publish happens under the write lock. */
  readonly broadcaster: Broadcaster;
  readonly limits: Readonly<Limits>;
  readonly #entries = new Map<string, StoredGpu>();
  #keys: string[] | null = null; // sorted keys, rebuilt after create/delete
  #listCache: { version: number; bytes: Uint8Array } | null = null;
  #version: number;
  #nextVersion = 0; // lowest version the next write may take (after a restore)
  readonly #now: () => number;
  readonly #uid: () => string;
  readonly #onCommit: StoreOptions["onCommit"];

  /** Creates an empty store. */
  constructor(options: StoreOptions = {}) {
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits });
    this.#now = options.now ?? Date.now;
    this.#uid = options.uid ?? (() => crypto.randomUUID());
    this.#version = options.initialVersion ?? Date.now() * 1000;
    this.#onCommit = options.onCommit;
    this.lock = new RwLock({ onAcquire: options.onLockAcquire });
    this.broadcaster = new Broadcaster({
      maxWatchers: this.limits.maxWatchers,
      queueSize: this.limits.watchQueueSize,
      historySize: this.limits.watchHistorySize,
      currentVersion: this.#version,
      onEvict: options.onEvict,
      schedule: options.schedule,
    });
  }

  /** The current resource version (of the last write). */
  get resourceVersion(): number {
    return this.#version;
  }

  /** Number of stored GPUs. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * What a checkpoint keeps, captured synchronously so that it is consistent:
   * every object and the watch history, as the shared immutable encodings.
   */
  exportState(): StoreState {
    return { version: this.#version, gpus: this.snapshot(), ...this.broadcaster.exportHistory() };
  }

  /**
   * Loads a checkpoint's state into this empty store, validated as live
   * writes are; the next write takes at least `nextVersion`, and resuming a
   * watch from a version between the state's and `nextVersion` (writes that
   * were lost) is refused as too old.
   *
   * @throws {InvalidArgumentError} when the state breaks a rule or a limit
   * @throws {Error} when the store was written to or watched already
   */
  restoreState(state: RestoredState, nextVersion: number): void {
    if (this.#entries.size > 0 || this.broadcaster.size > 0 || this.broadcaster.historySize > 0) {
      throw new Error("Cannot restore a store that was written to or watched");
    }
    const { entries, events } = validateRestoredState(state, this.limits);
    for (const [key, stored] of entries) this.#entries.set(key, stored);
    this.#keys = null;
    this.#listCache = null;
    this.#version = state.version;
    this.#nextVersion = Math.max(nextVersion, state.version + 1);
    this.broadcaster.restore(events, state.version, state.completeAfter, this.#nextVersion);
  }

  /** Every stored object sorted by (namespace, name); a consistent view, no lock needed. */
  snapshot(): StoredGpu[] {
    return this.#sortedKeys().map((k) => this.#entries.get(k)!);
  }

  /** Reads one object, encoded; waits for any write that began before. */
  async getEncoded(namespace: string, name: string): Promise<Uint8Array> {
    const key = this.#key("namespace", namespace, "name", name);
    using _read = await this.#read();
    return this.#require(key).bytes;
  }

  /** Reads one object as a private copy. */
  async get(namespace: string, name: string): Promise<Gpu> {
    const key = this.#key("namespace", namespace, "name", name);
    using _read = await this.#read();
    return structuredClone(this.#require(key).gpu) as Gpu;
  }

  /** Lists objects as private copies, with the version the list is consistent at. */
  async list(selection: ListSelection = {}): Promise<{ resourceVersion: number; items: Gpu[] }> {
    const select = this.#selector(selection);
    using _read = await this.#read();
    const items = this.snapshot().filter((s) => select(s.gpu)).map((s) =>
      structuredClone(s.gpu) as Gpu
    );
    return { resourceVersion: this.#version, items };
  }

  /** Lists objects as an encoded ListGpusResponse; the unfiltered list is cached per version. */
  async listEncoded(selection: ListSelection = {}): Promise<Uint8Array> {
    const select = this.#selector(selection);
    using _read = await this.#read();
    const unfiltered = !selection.namespace && !selection.labelSelector;
    if (unfiltered && this.#listCache?.version === this.#version) return this.#listCache.bytes;
    const items = this.snapshot().filter((s) => select(s.gpu)).map((s) => s.bytes);
    const bytes = encodeGpuList(this.#version, items);
    if (unfiltered) this.#listCache = { version: this.#version, bytes };
    return bytes;
  }

  /**
   * Starts a watch: atomically with the snapshot (fromVersion null) or from
   * the history (fromVersion N).
   */
  async watch(
    selection: ListSelection & { fromVersion: number | null; bookmarks: boolean; sink: WatchSink },
  ): Promise<Watcher> {
    const namespace = normalizeNamespaceFilter("opts.namespace", selection.namespace);
    const matches = selection.labelSelector
      ? parseLabelSelector(selection.labelSelector)
      : MATCH_ALL;
    using _read = await this.#read();
    return this.broadcaster.subscribe(
      {
        sink: selection.sink,
        fromVersion: selection.fromVersion,
        namespace,
        matches,
        bookmarks: selection.bookmarks,
      },
      () => this.snapshot(),
    );
  }

  /** Creates a GPU; an existing one with the same uuid is returned with created=false. */
  async create(
    input: DeepPartial<Gpu> | null,
    ctx: WriteContext,
  ): Promise<{ stored: StoredGpu; created: boolean }> {
    const meta = input?.metadata;
    const name = validateName("gpu.metadata.name", meta?.name);
    const namespace = normalizeNamespace("gpu.metadata.namespace", meta?.namespace);
    const spec = normalizeSpec("gpu.spec", input?.spec);
    const labels = normalizeLabels("gpu.metadata.labels", meta?.labels);
    const annotations = normalizeAnnotations("gpu.metadata.annotations", meta?.annotations);
    const status = normalizeStatus("gpu.status", input?.status, this.limits.maxConditions);
    using _write = await this.lock.acquireWrite();
    const key = `${namespace}/${name}`;
    const existing = this.#entries.get(key);
    if (existing) {
      if (existing.gpu.spec.uuid === spec.uuid) return { stored: existing, created: false };
      throw new AlreadyExistsError(
        `gpu ${JSON.stringify(name)} already exists in namespace ${JSON.stringify(namespace)} ` +
          `with uuid ${JSON.stringify(existing.gpu.spec.uuid)}`,
      );
    }
    if (this.#entries.size >= this.limits.maxGpus) {
      throw new CapacityError(
        `cannot create gpu: the server holds the maximum of ${this.limits.maxGpus} GPUs`,
      );
    }
    const now = this.#timestamp();
    const stored = this.#commitLocked("create", "ADDED", ctx, null, {
      metadata: {
        name,
        resourceVersion: "",
        namespace,
        uid: this.#uid(),
        generation: 1,
        creationTimestamp: now,
        labels,
        annotations,
      },
      spec,
      status: { ...status, conditions: this.#settleConditions(status.conditions, [], ctx, now) },
      resourceVersion: 0,
    });
    return { stored, created: true };
  }

  /** Replaces spec, labels and annotations; status is ignored (it is a subresource). */
  async update(input: DeepPartial<Gpu> | null, ctx: WriteContext): Promise<StoredGpu> {
    const meta = input?.metadata;
    const name = validateName("gpu.metadata.name", meta?.name);
    const namespace = normalizeNamespace("gpu.metadata.namespace", meta?.namespace);
    const precondition = versionPrecondition(
      "gpu.metadata.resource_version",
      meta?.resourceVersion,
      input?.resourceVersion,
    );
    const spec = normalizeSpec("gpu.spec", input?.spec);
    const labels = normalizeLabels("gpu.metadata.labels", meta?.labels);
    const annotations = normalizeAnnotations("gpu.metadata.annotations", meta?.annotations);
    using _write = await this.lock.acquireWrite();
    const old = this.#requireForWrite(`${namespace}/${name}`, precondition);
    const unchanged = same(old.gpu.spec, spec) && same(old.gpu.metadata.labels, labels) &&
      same(old.gpu.metadata.annotations, annotations);
    if (unchanged) return old;
    return this.#commitLocked("update", "MODIFIED", ctx, old, {
      ...old.gpu,
      metadata: {
        ...old.gpu.metadata,
        generation: old.gpu.metadata.generation + 1,
        labels,
        annotations,
      },
      spec,
    });
  }

  /** Replaces the whole status; unchanged conditions keep their transition time. */
  async updateStatus(
    request: {
      namespace?: string;
      name: string;
      status: DeepPartial<GpuStatus> | null;
      resourceVersion?: number;
    },
    ctx: WriteContext,
  ): Promise<StoredGpu> {
    const name = validateName("name", request.name);
    const namespace = normalizeNamespace("namespace", request.namespace);
    const precondition = nonNegative("resource_version", request.resourceVersion);
    const status = normalizeStatus("status", request.status, this.limits.maxConditions);
    using _write = await this.lock.acquireWrite();
    const old = this.#requireForWrite(`${namespace}/${name}`, precondition);
    const conditions = this.#settleConditions(
      status.conditions,
      old.gpu.status.conditions,
      ctx,
      this.#timestamp(),
    );
    const next: GpuStatus = { conditions, recommendedAction: status.recommendedAction };
    if (same(old.gpu.status, next)) return old;
    return this.#commitLocked("update_status", "MODIFIED", ctx, old, { ...old.gpu, status: next });
  }

  /** Sets and removes only the named conditions; other conditions are untouched. */
  async setConditions(patch: ConditionPatch, ctx: WriteContext): Promise<StoredGpu> {
    const name = validateName("name", patch.name);
    const namespace = normalizeNamespace("namespace", patch.namespace);
    const precondition = nonNegative("resource_version", patch.resourceVersion);
    const set = patch.set.map((c, i) => normalizeCondition(`set[${i}]`, c));
    const types = new Set(set.map((c) => c.type));
    if (types.size !== set.length) {
      throw new InvalidArgumentError("set", "duplicate condition type");
    }
    for (const [i, type] of patch.remove.entries()) {
      if (types.has(type)) {
        throw new InvalidArgumentError(
          `remove[${i}]`,
          `condition ${JSON.stringify(type)} is also set`,
        );
      }
    }
    using _write = await this.lock.acquireWrite();
    const old = this.#requireForWrite(`${namespace}/${name}`, precondition);
    const removed = new Set(patch.remove);
    const current = old.gpu.status.conditions;
    const merged = current.filter((c) => !removed.has(c.type)).map((c) =>
      set.find((s) => s.type === c.type) ?? c
    );
    for (const c of set) if (!current.some((o) => o.type === c.type)) merged.push(c);
    if (merged.length > this.limits.maxConditions) {
      throw new InvalidArgumentError(
        "set",
        `too many conditions: the GPU would have ${merged.length}, the limit is ${this.limits.maxConditions}`,
      );
    }
    const conditions = this.#settleConditions(merged, current, ctx, this.#timestamp());
    const next: GpuStatus = { ...old.gpu.status, conditions };
    if (same(old.gpu.status, next)) return old;
    return this.#commitLocked("set_conditions", "MODIFIED", ctx, old, { ...old.gpu, status: next });
  }

  /**
   * Rewrites conditions of every GPU in one write each, for server-side
   * changes such as an expired provider lease. `rewrite` returns null to
   * leave a condition alone. A GPU that the rewrite would push over a
   * per-object limit is skipped and reported; the others are still written.
   */
  async rewriteConditions(
    operation: WriteOperation,
    ctx: WriteContext,
    rewrite: (c: Readonly<Condition>) => Condition | null,
  ): Promise<RewriteResult> {
    using _write = await this.lock.acquireWrite();
    let changed = 0;
    const skipped: RewriteResult["skipped"] = [];
    for (const key of this.#sortedKeys()) {
      const old = this.#entries.get(key)!;
      let touched = false;
      const conditions = old.gpu.status.conditions.map((c) => {
        const next = rewrite(c);
        if (!next || same(next, c)) return c;
        touched = true;
        return next;
      });
      if (!touched) continue;
      try {
        this.#commitLocked(operation, "MODIFIED", ctx, old, {
          ...old.gpu,
          status: { ...old.gpu.status, conditions },
        });
      } catch (err) {
        // #commitLocked checks the limits before it changes anything.
        if (!(err instanceof InvalidArgumentError)) throw err;
        const { namespace, name } = old.gpu.metadata;
        skipped.push({ namespace, name, reason: err.message });
        continue;
      }
      changed++;
    }
    return { changed, skipped };
  }

  /** Deletes a GPU; the DELETED event carries its last state at the delete's version. */
  async delete(namespace: string, name: string, ctx: WriteContext): Promise<StoredGpu> {
    const key = this.#key("namespace", namespace, "name", name);
    using _write = await this.lock.acquireWrite();
    const old = this.#require(key);
    return this.#commitLocked("delete", "DELETED", ctx, old, old.gpu);
  }

  // Stamps the next version on `gpu`, encodes it once, checks its size,
  // stores it and publishes the event. The write lock must be held.
  #commitLocked(
    operation: WriteOperation,
    type: WatchEventType,
    ctx: WriteContext,
    old: StoredGpu | null,
    gpu: Gpu,
  ): StoredGpu {
    const version = Math.max(this.#version + 1, this.#nextVersion);
    const stamped: Gpu = {
      ...gpu,
      metadata: { ...gpu.metadata, resourceVersion: String(version) },
      resourceVersion: version,
    };
    const bytes = encodeGpu(stamped);
    // A delete adds nothing: only a longer version string could push it over.
    if (type !== "DELETED" && bytes.length > this.limits.maxObjectBytes) {
      throw new InvalidArgumentError(
        "gpu",
        `object too large: ${bytes.length} bytes encoded, the limit is ${this.limits.maxObjectBytes}`,
      );
    }
    this.#version = version;
    const frozen = deepFreeze(stamped);
    const stored: StoredGpu = { gpu: frozen, bytes };
    const key = `${frozen.metadata.namespace}/${frozen.metadata.name}`;
    if (type === "DELETED") {
      this.#entries.delete(key);
      this.#keys = null;
    } else {
      if (!old) this.#keys = null;
      this.#entries.set(key, stored);
    }
    const previousLabels = type === "MODIFIED" && old ? old.gpu.metadata.labels : null;
    this.broadcaster.publish(new WatchEvent(type, frozen, bytes, previousLabels));
    this.#onCommit?.({ operation, provider: ctx.provider, type, gpu: frozen });
    return stored;
  }

  // Keeps lastTransitionTime for conditions whose status did not change and
  // the owner of conditions whose content did not change.
  #settleConditions(
    next: Condition[],
    previous: readonly Condition[],
    ctx: WriteContext,
    now: Timestamp,
  ): Condition[] {
    return next.map((c) => {
      const old = previous.find((p) => p.type === c.type);
      const statusSame = old?.status === c.status;
      const contentSame = statusSame && old.reason === c.reason && old.message === c.message &&
        old.observedGeneration === c.observedGeneration;
      return {
        ...c,
        lastTransitionTime: statusSame ? old.lastTransitionTime : (c.lastTransitionTime ?? now),
        owner: contentSame ? old.owner : ctx.provider,
      };
    });
  }

  #read(): LockHold | Promise<LockHold> {
    return this.lock.tryAcquireRead() ?? this.lock.acquireRead();
  }

  #key(nsField: string, namespace: string, nameField: string, name: string): string {
    return `${normalizeNamespace(nsField, namespace)}/${validateName(nameField, name)}`;
  }

  #require(key: string): StoredGpu {
    const stored = this.#entries.get(key);
    if (!stored) {
      const [namespace, name] = key.split("/");
      throw new NotFoundError(
        `gpu ${JSON.stringify(name)} not found in namespace ${JSON.stringify(namespace)}`,
      );
    }
    return stored;
  }

  #requireForWrite(key: string, precondition: number): StoredGpu {
    const stored = this.#require(key);
    if (precondition > 0 && stored.gpu.resourceVersion !== precondition) {
      throw new ConflictError(
        `resource version conflict on gpu ${JSON.stringify(stored.gpu.metadata.name)}: ` +
          `expected ${precondition}, stored ${stored.gpu.resourceVersion}; read it again and retry`,
      );
    }
    return stored;
  }

  #selector(selection: ListSelection): (gpu: Readonly<Gpu>) => boolean {
    const namespace = normalizeNamespaceFilter("opts.namespace", selection.namespace);
    const matches = selection.labelSelector
      ? parseLabelSelector(selection.labelSelector)
      : MATCH_ALL;
    return (gpu) =>
      (namespace === "" || gpu.metadata.namespace === namespace) && matches(gpu.metadata.labels);
  }

  #sortedKeys(): string[] {
    this.#keys ??= [...this.#entries.keys()].sort(byNamespaceThenName);
    return this.#keys;
  }

  #timestamp(): Timestamp {
    const ms = this.#now();
    return { seconds: Math.floor(ms / 1000), nanos: Math.round((ms % 1000) * 1e6) };
  }
}

// UpdateGpu's precondition: metadata.resource_version, else the int64 copy.
function versionPrecondition(field: string, metaVersion: unknown, intVersion: unknown): number {
  return parseResourceVersion(field, metaVersion) ??
    nonNegative("gpu.resource_version", intVersion);
}

function nonNegative(field: string, value: unknown): number {
  const n = typeof value === "number" ? value : 0;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(
      field,
      `invalid resource version ${n}: must be a non-negative integer below 2^53`,
    );
  }
  return n;
}

// Orders "namespace/name" keys by (namespace, name): a plain string sort
// would put "a-b/x" before "a/x", since '-' sorts before '/'.
function byNamespaceThenName(a: string, b: string): number {
  const [an, bn] = [a.slice(0, a.indexOf("/")), b.slice(0, b.indexOf("/"))];
  if (an !== bn) return an < bn ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

// Normalized objects are built with a fixed key order and sorted maps, so
// their JSON is a canonical form.
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
