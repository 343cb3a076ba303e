/**
 * One watch stream's bounded delivery queue.
 *
 * Events are written to the transport while it accepts them; when it pushes
 * back, they wait in a queue of at most `queueSize` events. A watcher whose
 * queue overflows is evicted with a {@linkcode CapacityError}: never a silent
 * drop, never a blocked writer.
 *
 * @module
 */
import type { WatchEventType } from "../api/mod.ts";
import { type CacheError, CapacityError } from "./errors.ts";
import type { LabelMatcher } from "./label_selector.ts";
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

/** A registered watch stream. */
export class Watcher {
  readonly #sink: WatchSink;
  readonly #filter: WatchFilter;
  readonly #queueSize: number;
  readonly #onClose: (watcher: Watcher) => void;
  readonly #onEvict: ((watcher: Watcher) => void) | undefined;
  // Asks for a flush of the queue; the broadcaster batches these so that the
  // writes happen after the write's critical section, not inside it.
  readonly #onPending: (watcher: Watcher) => void;
  // Extra queue room for the initial snapshot, which arrives all at once.
  #allowance = 0;
  #bursting = false;
  #queue: Uint8Array[] = [];
  #head = 0; // index of the next queued event to write
  #blocked = false;
  #closed = false;
  /** Resource version of the last event delivered to this watcher. */
  lastVersion: number;

  /** Creates a watcher; `onClose` unregisters it from its broadcaster. */
  constructor(
    sink: WatchSink,
    filter: WatchFilter,
    options: {
      queueSize: number;
      fromVersion: number;
      onClose: (w: Watcher) => void;
      onEvict?: (w: Watcher) => void;
      onPending?: (w: Watcher) => void;
    },
  ) {
    this.#sink = sink;
    this.#filter = filter;
    this.#queueSize = options.queueSize;
    this.#onClose = options.onClose;
    this.#onEvict = options.onEvict;
    this.#onPending = options.onPending ?? ((w) => w.flush());
    this.lastVersion = options.fromVersion;
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

  /** Offers a committed change; filtered watchers may see it as another type or not at all. */
  offer(event: WatchEvent): void {
    const as = this.#typeFor(event);
    if (as) this.send(event.bytes(as), event.resourceVersion);
    else this.lastVersion = event.resourceVersion;
  }

  /** Queues already-encoded bytes (initial ADDED events, bookmarks) for the next flush. */
  send(bytes: Uint8Array, version: number): void {
    if (this.#closed) return;
    this.lastVersion = version;
    this.#queue.push(bytes);
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
      this.#queue[this.#head++] = EMPTY; // release the reference early
      this.#blocked = !this.#sink.write(bytes);
    }
    if (this.queued === 0) {
      this.#queue = [];
      this.#head = 0;
      if (!this.#bursting) this.#allowance = 0;
    } else {
      this.#evictIfBehind();
    }
  }

  #evictIfBehind(): void {
    if (this.queued <= this.#queueSize + this.#allowance) return;
    this.#onEvict?.(this);
    this.fail(
      new CapacityError(
        `watch fell behind by more than ${this.#queueSize} events and was closed; ` +
          "re-list and re-watch from the list's resource version",
      ),
    );
  }

  /** Grants extra queue room while a snapshot or replay of `events` events is queued at once. */
  beginBurst(events: number): void {
    this.#allowance = events;
    this.#bursting = true;
  }

  /** Ends the burst: the extra room shrinks to what is still queued of it, then to none. */
  endBurst(): void {
    this.#bursting = false;
    this.#allowance = this.queued;
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
    this.#queue = [];
    this.#head = 0;
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
