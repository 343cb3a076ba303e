/**
 * One watch stream's bounded delivery queue.
 *
 * Events are written to the transport while it accepts them; when it pushes
 * back, they wait in a queue bounded both in events (`queueSize`) and in
 * bytes (`queueBytes`), and all watchers' queues together in a shared
 * {@linkcode QueuePool} that counts each event buffer once. A watcher whose
 * queue overflows its bounds is evicted with a {@linkcode CapacityError}, and
 * when the pool overflows the watcher holding the most is: never a silent
 * drop, never a blocked writer. The initial snapshot or replay (a burst) does
 * not count against the bounds while any of it is still queued; only live
 * events do.
 *
 * @module
 */
import type { WatchEventType } from "../api/mod.ts";
import { type CacheError, CapacityError } from "./errors.ts";
import type { LabelMatcher } from "./label_selector.ts";
import type { QueuePool } from "./queue_pool.ts";
import type { WatchEvent } from "./watch_event.ts";

/** Where a watcher's events go: the transport side of a watch stream. */
export interface WatchSink {
  /** Writes one encoded event; false asks the watcher to wait for {@linkcode Watcher.drained}. */
  write(bytes: Uint8Array): boolean;
  /** Ends the stream with an error (eviction, shutdown, too old version). */
  fail(error: CacheError): void;
}

/** What a watcher selects. */
export interface WatchFilter {
  /** Only this namespace; empty for every namespace. */
  namespace: string;
  /** Label selector. */
  matches: LabelMatcher;
  /** Whether BOOKMARK events are wanted. */
  bookmarks: boolean;
}

/** Bounds and hooks of a {@linkcode Watcher}. */
export interface WatcherOptions {
  /** Most live events waiting for the transport. */
  queueSize: number;
  /** Most bytes of live events waiting for the transport. */
  queueBytes?: number;
  /** The bound shared with every other watcher. */
  pool?: QueuePool;
  /** Called when this watcher's live events leave the shared pool over its bound. */
  onPoolFull?: () => void;
  /** The version the watch starts after. */
  fromVersion: number;
  /** Unregisters the watcher from its broadcaster. */
  onClose: (w: Watcher) => void;
  /** Observes an eviction for falling behind. */
  onEvict?: (w: Watcher) => void;
  /** Asks for a flush of the queue (default: flush at once). */
  onPending?: (w: Watcher) => void;
}

// A compacting queue keeps at most this many spent slots before it shifts.
const COMPACT_AFTER = 64;

/** A registered watch stream. */
export class Watcher {
  readonly #sink: WatchSink;
  readonly #filter: WatchFilter;
  readonly #queueSize: number;
  readonly #queueBytes: number;
  readonly #pool: QueuePool | undefined;
  readonly #onPoolFull: (() => void) | undefined;
  readonly #onClose: (watcher: Watcher) => void;
  readonly #onEvict: ((watcher: Watcher) => void) | undefined;
  // Asks for a flush of the queue; the broadcaster batches these so that the
  // writes happen after the write's critical section, not inside it.
  readonly #onPending: (watcher: Watcher) => void;
  #queue: Uint8Array[] = [];
  #versions: number[] = []; // the resource version of each queued event
  #head = 0; // index of the next queued event to write
  #queuedBytes = 0;
  #enqueued = 0; // events queued since the start, written or not
  #written = 0; // events handed to the transport since the start
  // The burst (snapshot or replay) is the events numbered below #burstEnd;
  // #burstBytes of them are still queued.
  #bursting = false;
  #burstEnd = 0;
  #burstBytes = 0;
  #blocked = false;
  #closed = false;
  #queuedVersion: number;
  #writtenVersion: number;

  /** Creates a watcher; `onClose` unregisters it from its broadcaster. */
  constructor(sink: WatchSink, filter: WatchFilter, options: WatcherOptions) {
    this.#sink = sink;
    this.#filter = filter;
    this.#queueSize = options.queueSize;
    this.#queueBytes = options.queueBytes ?? Number.POSITIVE_INFINITY;
    this.#pool = options.pool;
    this.#onPoolFull = options.onPoolFull;
    this.#onClose = options.onClose;
    this.#onEvict = options.onEvict;
    this.#onPending = options.onPending ?? ((w) => w.flush());
    this.#queuedVersion = options.fromVersion;
    this.#writtenVersion = options.fromVersion;
  }

  /** Whether the watcher has been closed or evicted. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this watcher wants BOOKMARK events. */
  get wantsBookmarks(): boolean {
    return this.#filter.bookmarks;
  }

  /** Number of events waiting for the transport. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Bytes of the events waiting for the transport. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Bytes of the live events (not the snapshot or replay) waiting for the transport. */
  get liveQueuedBytes(): number {
    return this.#queuedBytes - this.#burstBytes;
  }

  /**
   * Resource version of the newest event this watcher has taken in: queued,
   * written, or skipped by its filter. Not necessarily delivered.
   */
  get queuedVersion(): number {
    return this.#queuedVersion;
  }

  /**
   * Resource version of the last event handed to the transport: the most the
   * client can have received (the version it started from if none).
   */
  get writtenVersion(): number {
    return this.#writtenVersion;
  }

  /** Offers a committed change; filtered watchers may see it as another type or not at all. */
  offer(event: WatchEvent): void {
    const as = this.#typeFor(event);
    if (as) this.send(event.bytes(as), event.resourceVersion);
    else if (!this.#closed) this.#queuedVersion = event.resourceVersion;
  }

  /** Queues already-encoded bytes (initial ADDED events, bookmarks) for the next flush. */
  send(bytes: Uint8Array, version: number): void {
    if (this.#closed) return;
    this.#queuedVersion = version;
    this.#queue.push(bytes);
    this.#versions.push(version);
    this.#queuedBytes += bytes.length;
    this.#enqueued++;
    if (this.#bursting) {
      this.#burstEnd = this.#enqueued;
      this.#burstBytes += bytes.length;
    } else {
      this.#pool?.hold(bytes);
    }
    // Only events held back by the transport count against the bound: a burst
    // committed in one critical section is flushed right after it.
    if (this.#blocked) this.#evictIfBehind();
    else if (this.queued === 1) this.#onPending(this);
  }

  /** Writes queued events while the transport accepts them. */
  flush(): void {
    if (this.#closed) return;
    while (this.queued > 0 && !this.#blocked) {
      const bytes = this.#queue[this.#head]!;
      this.#queue[this.#head] = EMPTY; // release the reference early
      this.#writtenVersion = this.#versions[this.#head]!;
      this.#head++;
      this.#queuedBytes -= bytes.length;
      if (this.#written++ < this.#burstEnd) this.#burstBytes -= bytes.length;
      else this.#pool?.release(bytes);
      this.#blocked = !this.#sink.write(bytes);
    }
    this.#compact();
    if (this.queued > 0) this.#evictIfBehind();
  }

  // Drops written slots from the front once they are at least half of the
  // array: each event is moved at most once more, so O(1) amortised.
  #compact(): void {
    if (this.queued === 0) {
      this.#queue = [];
      this.#versions = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#versions = this.#versions.slice(this.#head);
      this.#head = 0;
    }
  }

  #evictIfBehind(): void {
    const burstLeft = Math.max(0, this.#burstEnd - this.#written);
    const live = this.queued - burstLeft;
    if (live > this.#queueSize) {
      this.evict(`${this.#queueSize} events`);
    } else if (this.liveQueuedBytes > this.#queueBytes) {
      this.evict(`${this.#queueBytes} bytes`);
    } else if (this.#pool?.over) {
      this.#onPoolFull?.();
    }
  }

  /** Closes the watcher for falling behind by more than `bound`, telling the client why. */
  evict(bound: string): void {
    if (this.#closed) return;
    this.#onEvict?.(this);
    this.fail(
      new CapacityError(
        `watch fell behind by more than ${bound} and was closed; ` +
          "re-list and re-watch from the list's resource version",
      ),
    );
  }

  /** Starts a burst: events sent until {@linkcode endBurst} do not count against the bounds. */
  beginBurst(): void {
    this.#bursting = true;
  }

  /** Ends the burst: its events still queued keep their room until they are written. */
  endBurst(): void {
    this.#bursting = false;
  }

  /** Tells the watcher that the transport accepts writes again. */
  drained(): void {
    if (this.#closed) return;
    this.#blocked = false;
    this.flush();
  }

  /** Ends the stream with an error and unregisters; idempotent. */
  fail(error: CacheError): void {
    if (this.#closed) return;
    // Events not yet flushed go out first (shutdown), as far as the transport takes them.
    if (!this.#blocked && !(error instanceof CapacityError)) this.flush();
    if (this.#closed) return;
    this.close();
    this.#sink.fail(error);
  }

  /** Unregisters without telling the sink (the client went away); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pool) {
      // The live events still queued leave the shared pool with this watcher.
      for (let i = this.#head, n = this.#written; i < this.#queue.length; i++, n++) {
        if (n >= this.#burstEnd) this.#pool.release(this.#queue[i]!);
      }
    }
    this.#queue = [];
    this.#versions = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#burstBytes = 0;
    this.#onClose(this);
  }

  /** Whether the object of a snapshot matches this watcher's filter. */
  selects(namespace: string, labels: Readonly<Record<string, string>>): boolean {
    return (this.#filter.namespace === "" || this.#filter.namespace === namespace) &&
      this.#filter.matches(labels);
  }

  // Kubernetes semantics for selectors: an object that starts matching is
  // ADDED and one that stops matching is DELETED for this watcher.
  #typeFor(event: WatchEvent): WatchEventType | undefined {
    const now = this.selects(event.namespace, event.labels);
    if (event.type !== "MODIFIED" || !event.previousLabels) return now ? event.type : undefined;
    const before = this.selects(event.namespace, event.previousLabels);
    if (now) return before ? "MODIFIED" : "ADDED";
    return before ? "DELETED" : undefined;
  }
}

const EMPTY = new Uint8Array(0);
