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
import {
  type Condition,
  type DeepPartial,
  encodeGpu,
  encodeGpuList,
  type Gpu,
  type GpuStatus,
  type Timestamp,
  timestampFromMs,
  type WatchEventType,
} from "../api/mod.ts";
import { Broadcaster } from "./broadcaster.ts";
import {
  AlreadyExistsError,
  type CacheError,
  CapacityError,
  InvalidArgumentError,
  ShuttingDownError,
} from "./errors.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
import { type LockHold, RwLock } from "./rw_lock.ts";
import { compileSelection } from "./selection.ts";
import { GpuEntries } from "./store_entries.ts";
import {
  deepFreeze,
  mergeConditions,
  normalizeConditionPatch,
  same,
  settleConditions,
} from "./store_support.ts";
import type {
  ConditionPatch,
  ListSelection,
  RewriteResult,
  StoredGpu,
  StoreOptions,
  StoreState,
  WriteContext,
  WriteOperation,
} from "./store_types.ts";
import {
  nonNegativeVersion,
  normalizeAnnotations,
  normalizeLabels,
  normalizeNamespace,
  normalizeSpec,
  normalizeStatus,
  updatePrecondition,
  validateName,
} from "./validation.ts";
import { type RestoredState, validateRestoredState } from "./restore.ts";
import { WatchEvent } from "./watch_event.ts";
import type { Watcher, WatchSink } from "./watcher.ts";

/** Writer-preference locked store of GPUs with watch fan-out. */
export class GpuStore {
  /** Guards `#entries`, `#version` and `#listCache`. */
  private readonly lock: RwLock;
  /** Fan-out of committed changes; publish happens under the write lock. */
  private readonly broadcaster: Broadcaster;
  readonly limits: Readonly<Limits>;
  readonly #entries = new GpuEntries();
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
    this.lock = options.lock ?? new RwLock({ onAcquire: options.onLockAcquire });
    this.broadcaster = new Broadcaster({
      maxWatchers: this.limits.maxWatchers,
      queueSize: this.limits.watchQueueSize,
      queueBytes: this.limits.watchQueueBytes,
      queuePoolBytes: this.limits.watchQueuePoolBytes,
      historySize: this.limits.watchHistorySize,
      historyBytes: this.limits.watchHistoryBytes,
      currentVersion: this.#version,
      onEvict: options.onEvict,
      schedule: options.schedule,
      timers: options.bookmarkTimers,
    });
  }

  /** Number of open watches. */
  get watcherCount(): number {
    return this.broadcaster.size;
  }

  /** Bytes of the distinct live events waiting in watch queues. */
  get watchQueuedBytes(): number {
    return this.broadcaster.queuedBytes;
  }

  /**
   * Ends every watch with `error` (UNAVAILABLE by default) and refuses every
   * later watch the same way, including one already waiting for the lock:
   * the store is closed for watching (shutdown). Idempotent.
   */
  close(
    error: CacheError = new ShuttingDownError(
      "server is shutting down; reconnect and re-watch from your last resource version",
    ),
  ): void {
    this.broadcaster.close(error);
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
   * What changed after `version`, for an incremental checkpoint (a journal
   * record): the current version and the events after `version`, captured
   * synchronously; null when the history no longer holds all of them. Its
   * cost follows the events returned, not the history's size.
   */
  exportChanges(version: number): { version: number; events: WatchEvent[] } | null {
    const events = this.broadcaster.historyAfter(version);
    return events && { version: this.#version, events };
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
    this.#listCache = null;
    this.#version = state.version;
    this.#nextVersion = Math.max(nextVersion, state.version + 1);
    this.broadcaster.restore(events, state.version, state.completeAfter, this.#nextVersion);
  }

  /** Every stored object sorted by (namespace, name); a consistent view, no lock needed. */
  snapshot(): StoredGpu[] {
    return this.#entries.sorted();
  }

  /** Reads one object, encoded; waits for any write that began before. */
  async getEncoded(namespace: string, name: string): Promise<Uint8Array> {
    const key = this.#key("namespace", namespace, "name", name);
    using _read = await this.#read();
    return this.#entries.require(key).bytes;
  }

  /** Reads one object as a private copy. */
  async get(namespace: string, name: string): Promise<Gpu> {
    const key = this.#key("namespace", namespace, "name", name);
    using _read = await this.#read();
    return structuredClone(this.#entries.require(key).gpu) as Gpu;
  }

  /** Lists objects as private copies, with the version the list is consistent at. */
  async list(selection: ListSelection = {}): Promise<{ resourceVersion: number; items: Gpu[] }> {
    const { select } = compileSelection(selection);
    using _read = await this.#read();
    const items = this.snapshot().filter((s) => select(s.gpu)).map((s) =>
      structuredClone(s.gpu) as Gpu
    );
    return { resourceVersion: this.#version, items };
  }

  /** Lists objects as an encoded ListGpusResponse; the unfiltered list is cached per version. */
  async listEncoded(selection: ListSelection = {}): Promise<Uint8Array> {
    const { select } = compileSelection(selection);
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
    const { namespace, matches } = compileSelection(selection);
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
      status: { ...status, conditions: settleConditions(status.conditions, [], ctx.provider, now) },
      resourceVersion: 0,
    });
    return { stored, created: true };
  }

  /** Replaces spec, labels and annotations; status is ignored (it is a subresource). */
  async update(input: DeepPartial<Gpu> | null, ctx: WriteContext): Promise<StoredGpu> {
    const meta = input?.metadata;
    const name = validateName("gpu.metadata.name", meta?.name);
    const namespace = normalizeNamespace("gpu.metadata.namespace", meta?.namespace);
    const precondition = updatePrecondition(
      "gpu.metadata.resource_version",
      meta?.resourceVersion,
      input?.resourceVersion,
    );
    const spec = normalizeSpec("gpu.spec", input?.spec);
    const labels = normalizeLabels("gpu.metadata.labels", meta?.labels);
    const annotations = normalizeAnnotations("gpu.metadata.annotations", meta?.annotations);
    using _write = await this.lock.acquireWrite();
    const old = this.#entries.requireForWrite(`${namespace}/${name}`, precondition);
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
    const precondition = nonNegativeVersion("resource_version", request.resourceVersion) || null; // 0: none
    const status = normalizeStatus("status", request.status, this.limits.maxConditions);
    using _write = await this.lock.acquireWrite();
    const old = this.#entries.requireForWrite(`${namespace}/${name}`, precondition);
    const conditions = settleConditions(
      status.conditions,
      old.gpu.status.conditions,
      ctx.provider,
      this.#timestamp(),
    );
    const next: GpuStatus = { conditions, recommendedAction: status.recommendedAction };
    if (same(old.gpu.status, next)) return old;
    return this.#commitLocked("update_status", "MODIFIED", ctx, old, { ...old.gpu, status: next });
  }

  /**
   * Sets and removes only the named conditions; other conditions are untouched. The patch may
   * also set the recommended action, in the same write.
   */
  async setConditions(patch: ConditionPatch, ctx: WriteContext): Promise<StoredGpu> {
    const name = validateName("name", patch.name);
    const namespace = normalizeNamespace("namespace", patch.namespace);
    const precondition = nonNegativeVersion("resource_version", patch.resourceVersion) || null; // 0: none
    const normalized = normalizeConditionPatch(patch.set, patch.remove, this.limits.maxConditions);
    using _write = await this.lock.acquireWrite();
    const old = this.#entries.requireForWrite(`${namespace}/${name}`, precondition);
    const current = old.gpu.status.conditions;
    const merged = mergeConditions(current, normalized, this.limits.maxConditions);
    const conditions = settleConditions(merged, current, ctx.provider, this.#timestamp());
    const recommendedAction = patch.recommendedAction?.(old.gpu.status.recommendedAction) ??
      old.gpu.status.recommendedAction;
    const next: GpuStatus = { ...old.gpu.status, conditions, recommendedAction };
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
    for (const key of this.#entries.sortedKeys()) {
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
        if (!(err instanceof InvalidArgumentError || err instanceof CapacityError)) throw err;
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
    const old = this.#entries.require(key);
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
    const key = `${stamped.metadata.namespace}/${stamped.metadata.name}`;
    // The full List must fit in one message, or ListGpus would fail for everyone.
    const list = type === "DELETED" ? 0 : this.#entries.listBytesWith(key, bytes.length);
    if (list > this.limits.maxListBytes) {
      throw new CapacityError(
        `cannot store gpu ${JSON.stringify(stamped.metadata.name)}: every GPU together would ` +
          `encode to ${list} bytes, over the ${this.limits.maxListBytes}-byte message limit ` +
          "that a full ListGpus must fit in",
      );
    }
    this.#version = version;
    const frozen = deepFreeze(stamped);
    const stored: StoredGpu = { gpu: frozen, bytes };
    if (type === "DELETED") this.#entries.delete(key);
    else this.#entries.set(key, stored);
    const previousLabels = type === "MODIFIED" && old ? old.gpu.metadata.labels : null;
    this.broadcaster.publish(new WatchEvent(type, frozen, bytes, previousLabels));
    this.#onCommit?.({ operation, provider: ctx.provider, type, gpu: frozen });
    return stored;
  }

  #read(): LockHold | Promise<LockHold> {
    return this.lock.tryAcquireRead() ?? this.lock.acquireRead();
  }

  #key(nsField: string, namespace: string, nameField: string, name: string): string {
    return `${normalizeNamespace(nsField, namespace)}/${validateName(nameField, name)}`;
  }

  #timestamp(): Timestamp {
    return timestampFromMs(this.#now());
  }
}
