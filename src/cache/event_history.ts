/**
 * A bounded ring of the most recent watch events, for resuming watches,
 * bounded by count and by the bytes the events retain.
 *
 * @module
 */
import type { WatchEvent } from "./watch_event.ts";

/** The last events, oldest first, at most `capacity` of them and about `maxBytes` bytes. */
export class EventHistory {
  #ring: (WatchEvent | undefined)[];
  #start = 0; // index of the oldest event
  #size = 0;
  #bytes = 0;
  readonly #maxBytes: number;
  // Every event with a version above this one is retained.
  #completeAfter: number;

  /**
   * Creates an empty history that starts complete after `currentVersion`.
   * The newest event is always kept, even when it alone exceeds `maxBytes`.
   */
  constructor(capacity: number, currentVersion: number, maxBytes = Number.POSITIVE_INFINITY) {
    this.#ring = new Array(Math.max(1, capacity));
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

  /** Bytes the retained events keep alive (their `retainedBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends an event, dropping the oldest ones beyond the count or byte bound. */
  push(event: WatchEvent): void {
    if (this.#size === this.#ring.length) this.#dropOldest();
    this.#ring[(this.#start + this.#size) % this.#ring.length] = event;
    this.#size++;
    this.#bytes += event.retainedBytes;
    // An encoding cached later (for a watcher) counts too.
    event.onGrow = (delta) => {
      this.#bytes += delta;
      this.#trim();
    };
    this.#trim();
  }

  /**
   * Events with a version above `version`, oldest first; the caller checks
   * completeness. Versions only grow, so these are the newest events: the
   * walk starts there and costs what it returns, not the history's size.
   */
  since(version: number): WatchEvent[] {
    const capacity = this.#ring.length;
    let n = 0;
    while (
      n < this.#size &&
      this.#ring[(this.#start + this.#size - 1 - n) % capacity]!.resourceVersion > version
    ) n++;
    const out = new Array<WatchEvent>(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.#ring[(this.#start + this.#size - n + i) % capacity]!;
    }
    return out;
  }

  #trim(): void {
    while (this.#bytes > this.#maxBytes && this.#size > 1) this.#dropOldest();
  }

  #dropOldest(): void {
    const oldest = this.#ring[this.#start]!;
    this.#ring[this.#start] = undefined;
    this.#start = (this.#start + 1) % this.#ring.length;
    this.#size--;
    this.#bytes -= oldest.retainedBytes;
    oldest.onGrow = undefined; // it no longer counts here
    this.#completeAfter = oldest.resourceVersion;
  }
}
