/**
 * The bytes of live events queued for all watchers together, counted once
 * per buffer: an event's encoding is one buffer shared by every watcher that
 * queues it, so a hundred watchers behind by the same events cost its bytes
 * once, not a hundred times. Pure logic.
 *
 * @module
 */

/** A shared byte bound on queued event buffers, with a reference count per buffer. */
export class QueuePool {
  readonly #refs = new Map<Uint8Array, number>();
  readonly #maxBytes: number;
  #bytes = 0;

  /** Creates an empty pool that is over its bound beyond `maxBytes`. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The bound. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Bytes of the distinct buffers held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the held buffers exceed the bound. */
  get over(): boolean {
    return this.#bytes > this.#maxBytes;
  }

  /** Counts one more queue holding `buffer`. */
  hold(buffer: Uint8Array): void {
    const refs = this.#refs.get(buffer) ?? 0;
    this.#refs.set(buffer, refs + 1);
    if (refs === 0) this.#bytes += buffer.length;
  }

  /** Counts one queue less holding `buffer`; its bytes leave the pool with the last one. */
  release(buffer: Uint8Array): void {
    const refs = this.#refs.get(buffer);
    if (refs === undefined) return;
    if (refs > 1) {
      this.#refs.set(buffer, refs - 1);
    } else {
      this.#refs.delete(buffer);
      this.#bytes -= buffer.length;
    }
  }
}
