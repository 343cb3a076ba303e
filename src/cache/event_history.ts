/**
 * A bounded ring of the most recent watch events, for resuming watches.
 *
 * @module
 */
import type { WatchEvent } from "./watch_event.ts";

/** The last N events, oldest first. */
export class EventHistory {
  #ring: (WatchEvent | undefined)[];
  #start = 0; // index of the oldest event
  #size = 0;
  // Every event with a version above this one is retained.
  #completeAfter: number;

  /** Creates an empty history that starts complete after `currentVersion`. */
  constructor(capacity: number, currentVersion: number) {
    this.#ring = new Array(Math.max(1, capacity));
    this.#completeAfter = currentVersion;
  }

  /** The version after which the history holds every event. */
  get completeAfter(): number {
    return this.#completeAfter;
  }

  /** Number of retained events. */
  get size(): number {
    return this.#size;
  }

  /** Appends an event, dropping the oldest when full. */
  push(event: WatchEvent): void {
    const capacity = this.#ring.length;
    if (this.#size === capacity) {
      this.#completeAfter = this.#ring[this.#start]!.resourceVersion;
      this.#ring[this.#start] = event;
      this.#start = (this.#start + 1) % capacity;
      return;
    }
    this.#ring[(this.#start + this.#size) % capacity] = event;
    this.#size++;
  }

  /** Events with a version above `version`, oldest first; the caller checks completeness. */
  *since(version: number): Generator<WatchEvent> {
    const capacity = this.#ring.length;
    for (let i = 0; i < this.#size; i++) {
      const event = this.#ring[(this.#start + i) % capacity]!;
      if (event.resourceVersion > version) yield event;
    }
  }
}
