/**
 * A bounded ring of the most recent watch events, for resuming watches,
 * bounded by count and by the bytes it holds.
 *
 * The ring keeps no object per event: each event's fields sit in typed
 * arrays and arrays of shared references (type, namespace, label maps), and
 * its encoded Gpu in a {@linkcode ByteLog} (a large one in a buffer of its
 * own, so that the log's chunks waste little). Events are made again when a
 * watch resumes or the state is saved. A full history of 10,000 events so
 * costs the garbage collector a few arrays to mark instead of ≈4 MiB of small
 * objects on every full collection (docs/performance.md, item 22).
 *
 * What counts against the byte bound is what the history holds: the log's
 * chunks, the large encodings' buffers, and per event the estimate of its
 * fields and label maps.
 *
 * @module
 */
import type { WatchEventType } from "../api/mod.ts";
import { BYTE_LOG_CHUNK_BYTES, ByteLog } from "./byte_log.ts";
import type { Labels } from "./label_requirement.ts";
import { WatchEvent } from "./watch_event.ts";

// Slots a new history starts with; they double as events arrive.
const INITIAL_SLOTS = 256;

/** The last events, oldest first, at most `capacity` of them and about `maxBytes` bytes. */
export class EventHistory {
  // One slot per retained event, indexed (#start + i) % slots. The slots grow with the history
  // (doubling, up to `capacity`): a large --watch-history-size whose byte bound keeps far fewer
  // events never allocates the rest.
  #versions: Float64Array;
  #offsets: Float64Array; // of the encoded Gpu in #log
  #lengths: Float64Array;
  #costs: Float64Array; // each event's fields and label maps (estimated)
  #own: (Uint8Array | undefined)[]; // a large encoded Gpu, outside the log
  #types: (WatchEventType | undefined)[];
  #namespaces: (string | undefined)[];
  #labels: (Labels | undefined)[];
  #previousLabels: (Labels | null | undefined)[];
  // Events made for resuming watches, while some watcher holds them: watches that resume
  // together share one event (and the encodings it caches), as they share a live one.
  #shared: (WeakRef<WatchEvent> | undefined)[];
  readonly #capacity: number;
  readonly #log: ByteLog;
  readonly #largeBytes: number; // encodings above this size get a buffer of their own
  #start = 0; // index of the oldest event
  #size = 0;
  #fieldBytes = 0; // the sum of #costs
  #ownBytes = 0; // the sum of the #own buffers' lengths
  readonly #maxBytes: number;
  // Every event with a version above this one is retained.
  #completeAfter: number;

  /**
   * Creates an empty history that starts complete after `currentVersion`.
   * The newest event is always kept, even when it alone exceeds `maxBytes`.
   * Encodings are packed in chunks of `chunkBytes`; those over an eighth of
   * a chunk get a buffer of their own (1: every one does).
   */
  constructor(
    capacity: number,
    currentVersion: number,
    maxBytes = Number.POSITIVE_INFINITY,
    chunkBytes = BYTE_LOG_CHUNK_BYTES,
  ) {
    this.#capacity = Math.max(1, capacity);
    this.#log = new ByteLog(chunkBytes);
    this.#largeBytes = Math.floor(chunkBytes / 8);
    const slots = Math.min(this.#capacity, INITIAL_SLOTS);
    this.#versions = new Float64Array(slots);
    this.#offsets = new Float64Array(slots);
    this.#lengths = new Float64Array(slots);
    this.#costs = new Float64Array(slots);
    this.#own = new Array(slots);
    this.#types = new Array(slots);
    this.#namespaces = new Array(slots);
    this.#labels = new Array(slots);
    this.#previousLabels = new Array(slots);
    this.#shared = new Array(slots);
    this.#completeAfter = currentVersion;
    this.#maxBytes = maxBytes;
  }

  /** The version after which the history holds every event. */
  get completeAfter(): number {
    return this.#completeAfter;
  }

  /** Number of retained events. */
  get size(): number {
    return this.#size;
  }

  /** Bytes the history holds: its chunks and buffers, and its estimate of the events' fields. */
  get bytes(): number {
    return this.#fieldBytes + this.#ownBytes + this.#log.heldBytes;
  }

  /** Appends a copy of an event, dropping the oldest ones beyond the count or byte bound. */
  push(event: WatchEvent): void {
    if (this.#size === this.#versions.length) {
      if (this.#size < this.#capacity) this.#grow();
      else this.#dropOldest();
    }
    const slot = (this.#start + this.#size) % this.#versions.length;
    const gpu = event.gpuBytes;
    this.#versions[slot] = event.resourceVersion;
    this.#lengths[slot] = gpu.length;
    if (gpu.length > this.#largeBytes) {
      this.#own[slot] = new Uint8Array(gpu); // a copy: the event's buffer may hold more than the Gpu
      this.#ownBytes += gpu.length;
      this.#offsets[slot] = this.#log.end; // where the next event's log bytes go: order kept
    } else {
      this.#offsets[slot] = this.#log.append(gpu);
    }
    const cost = event.retainedBytes - gpu.length;
    this.#costs[slot] = cost;
    this.#fieldBytes += cost;
    this.#types[slot] = event.type;
    this.#namespaces[slot] = event.namespace;
    this.#labels[slot] = event.labels;
    this.#previousLabels[slot] = event.previousLabels;
    this.#size++;
    while (this.bytes > this.#maxBytes && this.#size > 1) this.#dropOldest();
  }

  /**
   * Events with a version above `version`, oldest first, for a resuming
   * watch; the caller checks completeness. Versions only grow, so these are
   * the newest events: the walk starts there and costs what it returns, not
   * the history's size. Callers reading the same events while one of them
   * still holds them get the same objects.
   */
  since(version: number): WatchEvent[] {
    return this.#collect(version, true);
  }

  /**
   * Events with a version above `version`, as {@linkcode since}, but made
   * afresh and not remembered: for saving the state, which reads each event
   * once and keeps none.
   */
  copiesSince(version: number): WatchEvent[] {
    return this.#collect(version, false);
  }

  #collect(version: number, share: boolean): WatchEvent[] {
    const slots = this.#versions.length;
    let n = 0;
    while (
      n < this.#size &&
      this.#versions[(this.#start + this.#size - 1 - n) % slots]! > version
    ) n++;
    const out = new Array<WatchEvent>(n);
    for (let i = 0; i < n; i++) {
      const slot = (this.#start + this.#size - n + i) % slots;
      let event = share ? this.#shared[slot]?.deref() : undefined;
      if (!event) {
        event = this.#event(slot);
        if (share) this.#shared[slot] = new WeakRef(event);
      }
      out[i] = event;
    }
    return out;
  }

  #event(slot: number): WatchEvent {
    const subject = {
      resourceVersion: this.#versions[slot]!,
      metadata: { namespace: this.#namespaces[slot]!, labels: this.#labels[slot]! },
    };
    const gpu = this.#own[slot] ?? this.#log.view(this.#offsets[slot]!, this.#lengths[slot]!);
    return new WatchEvent(this.#types[slot]!, subject, gpu, this.#previousLabels[slot] ?? null);
  }

  // Doubles the slots (up to the capacity), the oldest event moving to slot 0.
  #grow(): void {
    const n = this.#versions.length;
    const slots = Math.min(this.#capacity, 2 * n);
    const order = (i: number) => (this.#start + i) % n;
    const typed = (from: Float64Array) => {
      const to = new Float64Array(slots);
      for (let i = 0; i < this.#size; i++) to[i] = from[order(i)]!;
      return to;
    };
    const plain = <T>(from: T[]) => {
      const to = new Array<T>(slots);
      for (let i = 0; i < this.#size; i++) to[i] = from[order(i)]!;
      return to;
    };
    this.#versions = typed(this.#versions);
    this.#offsets = typed(this.#offsets);
    this.#lengths = typed(this.#lengths);
    this.#costs = typed(this.#costs);
    this.#own = plain(this.#own);
    this.#types = plain(this.#types);
    this.#namespaces = plain(this.#namespaces);
    this.#labels = plain(this.#labels);
    this.#previousLabels = plain(this.#previousLabels);
    this.#shared = plain(this.#shared);
    this.#start = 0;
  }

  #dropOldest(): void {
    const slot = this.#start;
    this.#completeAfter = this.#versions[slot]!;
    this.#fieldBytes -= this.#costs[slot]!;
    const own = this.#own[slot];
    if (own) this.#ownBytes -= own.length;
    this.#own[slot] = undefined;
    this.#types[slot] = undefined;
    this.#namespaces[slot] = undefined;
    this.#labels[slot] = undefined;
    this.#previousLabels[slot] = undefined;
    this.#shared[slot] = undefined;
    this.#start = (slot + 1) % this.#versions.length;
    this.#size--;
    // Every event left has its log bytes (if any) at or after the oldest one's offset.
    this.#log.releaseBefore(
      this.#size > 0 ? this.#offsets[this.#start]! : Number.POSITIVE_INFINITY,
    );
  }
}
