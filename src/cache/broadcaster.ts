/**
 * Fans committed changes out to watch streams.
 *
 * The store calls {@linkcode Broadcaster.publish} inside its write critical
 * section and {@linkcode Broadcaster.subscribe} inside a read critical
 * section, so a subscription and its initial snapshot are taken atomically:
 * there is no gap and no duplicate between the snapshot and live events.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { encodeBookmark, encodeWatchEvent } from "../api/mod.ts";
import { type CacheError, CapacityError, TooOldResourceVersionError } from "./errors.ts";
import { EventHistory } from "./event_history.ts";
import { QueuePool } from "./queue_pool.ts";
import type { StoredGpu } from "./store_types.ts";
import type { WatchEvent } from "./watch_event.ts";
import { Watcher, type WatchFilter, type WatchSink } from "./watcher.ts";

/** Options of {@linkcode Broadcaster}. */
export interface BroadcasterOptions {
  maxWatchers: number;
  queueSize: number;
  /** Most bytes of live events queued per watcher (default: unbounded). */
  queueBytes?: number;
  /** Most bytes of distinct live events queued for all watchers together (default: unbounded). */
  queuePoolBytes?: number;
  historySize: number;
  /** Most bytes the history retains (default: unbounded). */
  historyBytes?: number;
  /** The store's resource version when the broadcaster starts. */
  currentVersion: number;
  /** Called when a watcher is evicted for falling behind. */
  onEvict?: (watcher: Watcher) => void;
  /** Period of BOOKMARK events for watchers that asked for them (default 60 s). */
  bookmarkIntervalMs?: number;
  /** Timer functions, injectable for tests. */
  timers?: BookmarkTimers;
  /**
   * Runs the batched flush of watcher queues after the current critical
   * section (default: `setImmediate`, so the writer's response goes out
   * before the fan-out). Tests pass `(fn) => fn()` for synchronous delivery.
   */
  schedule?: (flush: () => void) => void;
}

/** The timer the broadcaster runs while some watcher wants bookmarks. */
export interface BookmarkTimers {
  start(callback: () => void, ms: number): unknown;
  stop(handle: unknown): void;
}

const REAL_TIMERS: BookmarkTimers = {
  start: (callback, ms) => {
    const id = setInterval(callback, ms);
    Deno.unrefTimer(id); // never keeps the process alive
    return id;
  },
  stop: (handle) => clearInterval(handle as number),
};

/** What a new watch asks for. */
export interface SubscribeRequest extends WatchFilter {
  sink: WatchSink;
  /** Resume after this version; null for a snapshot of every object first. */
  fromVersion: number | null;
}

/** Fan-out of watch events with a bounded resume history. */
export class Broadcaster {
  readonly #options: BroadcasterOptions;
  #history: EventHistory;
  // Versions lost in a crash before a restore: (after, before), both exclusive.
  #lost: { after: number; before: number } | null = null;
  readonly #watchers = new Set<Watcher>();
  readonly #pool: QueuePool;
  #currentVersion: number;
  // One timer for every bookmark watcher, running only while there is one:
  // no idle cost, no per-stream timers.
  #bookmarkWatchers = 0;
  #bookmarkTimer: unknown = undefined;
  // Watchers with queued events, flushed together once per event-loop turn. An
  // array, not a Set: a watcher asks only when its queue turns non-empty, so
  // it is rarely listed twice, and flushing it again then writes nothing.
  #pending: Watcher[] = [];
  #flushScheduled = false;
  readonly #added = new WeakMap<StoredGpu, Uint8Array>();
  #closedWith: CacheError | undefined;

  /** Creates a broadcaster with no watchers and an empty history. */
  constructor(options: BroadcasterOptions) {
    this.#options = options;
    this.#currentVersion = options.currentVersion;
    this.#pool = new QueuePool(options.queuePoolBytes ?? Number.POSITIVE_INFINITY);
    this.#history = new EventHistory(
      options.historySize,
      options.currentVersion,
      options.historyBytes,
    );
  }

  /** Number of registered watchers. */
  get size(): number {
    return this.#watchers.size;
  }

  /** Number of events retained for resume. */
  get historySize(): number {
    return this.#history.size;
  }

  /** Bytes the events retained for resume keep alive. */
  get historyBytes(): number {
    return this.#history.bytes;
  }

  /** Bytes of the distinct live events queued for watchers. */
  get queuedBytes(): number {
    return this.#pool.bytes;
  }

  /** Records a committed change and offers it to every watcher; never blocks. */
  publish(event: WatchEvent): void {
    this.#currentVersion = event.resourceVersion;
    this.#history.push(event);
    for (const watcher of this.#watchers) watcher.offer(event);
  }

  /**
   * Registers a watcher: with `fromVersion` null, one ADDED per object of the
   * snapshot first; otherwise every retained event after `fromVersion`.
   *
   * @throws {CacheError} the close error once {@linkcode Broadcaster.close} was called
   * @throws {CapacityError} when the watcher limit is reached
   * @throws {TooOldResourceVersionError} when `fromVersion` is outside the history
   */
  subscribe(request: SubscribeRequest, snapshot: () => Iterable<StoredGpu>): Watcher {
    if (this.#closedWith) throw this.#closedWith;
    if (this.#watchers.size >= this.#options.maxWatchers) {
      throw new CapacityError(
        `too many concurrent watchers: the limit is ${this.#options.maxWatchers}`,
      );
    }
    const from = request.fromVersion;
    if (from !== null && from > this.#currentVersion) {
      throw new TooOldResourceVersionError(
        `resource version ${from} is newer than the server's current version ` +
          `${this.#currentVersion}; re-list and re-watch from the list's resource version`,
      );
    }
    if (from !== null && this.#lost && from > this.#lost.after && from < this.#lost.before) {
      throw new TooOldResourceVersionError(
        `resource version ${from} was lost in a restart of the server (the last one kept is ` +
          `${this.#lost.after}); re-list and re-watch from the list's resource version`,
      );
    }
    if (from !== null && from < this.#history.completeAfter) {
      throw new TooOldResourceVersionError(
        `too old resource version: ${from} (oldest available: ${this.#history.completeAfter}); ` +
          "re-list and re-watch from the list's resource version",
      );
    }
    const watcher = new Watcher(request.sink, request, {
      queueSize: this.#options.queueSize,
      queueBytes: this.#options.queueBytes,
      pool: this.#pool,
      onPoolFull: () => this.#evictLargest(),
      fromVersion: from ?? this.#currentVersion,
      onClose: (w) => {
        this.#watchers.delete(w);
        if (w.wantsBookmarks && --this.#bookmarkWatchers === 0) this.#stopBookmarks();
      },
      onEvict: this.#options.onEvict,
      onPending: (w) => this.#markPending(w),
    });
    this.#watchers.add(watcher);
    if (request.bookmarks && this.#bookmarkWatchers++ === 0) this.#startBookmarks();
    if (from === null) {
      watcher.beginBurst();
      for (const stored of snapshot()) {
        const meta = stored.gpu.metadata;
        if (watcher.selects(meta.namespace, meta.labels)) {
          watcher.send(this.#addedEvent(stored), this.#currentVersion);
        }
      }
      if (request.bookmarks) {
        // Marks the end of the initial events: clients resume only from here on.
        watcher.send(encodeBookmark(this.#currentVersion, true), this.#currentVersion);
      }
    } else {
      // A replay arrives all at once too: it must not count as falling behind.
      const backlog = this.#history.since(from);
      watcher.beginBurst();
      for (const event of backlog) watcher.offer(event);
    }
    // The extra room covers only what is still queued of the burst, so live
    // events are bounded by the queue limits as soon as the burst is written.
    watcher.endBurst();
    return watcher;
  }

  // The pool overflowed: the watchers holding the most go first, until it fits.
  #evictLargest(): void {
    const pool = this.#pool;
    while (pool.over) {
      let largest: Watcher | undefined;
      for (const w of this.#watchers) {
        if (!largest || w.liveQueuedBytes > largest.liveQueuedBytes) largest = w;
      }
      if (!largest || largest.liveQueuedBytes === 0) return;
      largest.evict(`its share of the ${pool.maxBytes} bytes all watch queues may hold together`);
    }
  }

  /** The retained events, oldest first, and the version after which they are complete. */
  exportHistory(): { completeAfter: number; history: WatchEvent[] } {
    const completeAfter = this.#history.completeAfter;
    return { completeAfter, history: this.#history.copiesSince(completeAfter) };
  }

  /**
   * Replaces the history with restored events (before any watcher exists);
   * versions after `version` and below `nextVersion` are refused on resume.
   */
  restore(
    events: readonly WatchEvent[],
    version: number,
    completeAfter: number,
    nextVersion: number,
  ) {
    this.#history = new EventHistory(
      this.#options.historySize,
      completeAfter,
      this.#options.historyBytes,
    );
    for (const event of events) this.#history.push(event);
    this.#currentVersion = version;
    this.#lost = nextVersion > version + 1 ? { after: version, before: nextVersion } : null;
  }

  /** The retained events after `version`, or null when the history no longer holds them all. */
  historyAfter(version: number): WatchEvent[] | null {
    return version < this.#history.completeAfter ? null : this.#history.copiesSince(version);
  }

  /** Sends a BOOKMARK at the current version to every watcher that asked for them. */
  bookmark(): void {
    let bytes: Uint8Array | undefined;
    for (const watcher of this.#watchers) {
      if (!watcher.wantsBookmarks) continue;
      bytes ??= encodeBookmark(this.#currentVersion);
      watcher.send(bytes, this.#currentVersion);
    }
  }

  // The ADDED event of a stored object, encoded once for every snapshot that
  // includes it: a thousand new watches share one copy, not a thousand. It
  // lives as long as the stored version it encodes.
  #addedEvent(stored: StoredGpu): Uint8Array {
    let bytes = this.#added.get(stored);
    if (!bytes) {
      bytes = encodeWatchEvent("ADDED", stored.bytes);
      this.#added.set(stored, bytes);
    }
    return bytes;
  }

  #markPending(watcher: Watcher): void {
    this.#pending.push(watcher);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    (this.#options.schedule ?? setImmediate)(() => {
      this.#flushScheduled = false;
      const watchers = this.#pending;
      this.#pending = [];
      for (const w of watchers) w.flush();
    });
  }

  #startBookmarks(): void {
    const timers = this.#options.timers ?? REAL_TIMERS;
    this.#bookmarkTimer = timers.start(
      () => this.bookmark(),
      this.#options.bookmarkIntervalMs ?? 60_000,
    );
  }

  #stopBookmarks(): void {
    (this.#options.timers ?? REAL_TIMERS).stop(this.#bookmarkTimer);
    this.#bookmarkTimer = undefined;
  }

  /** Whether any watcher asked for bookmarks (so the bookmark timer is needed). */
  get wantsBookmarks(): boolean {
    return this.#bookmarkWatchers > 0;
  }

  /** Ends every watcher with the given error (used at shutdown). */
  closeAll(error: CacheError): void {
    for (const watcher of [...this.#watchers]) watcher.fail(error);
  }

  /** Ends every watcher with `error` and refuses later subscriptions with it. */
  close(error: CacheError): void {
    this.#closedWith ??= error;
    this.closeAll(error);
  }
}
