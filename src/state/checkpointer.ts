/**
 * Coalesced state writes, off the request path: a committed write only
 * marks the state dirty; at most one write (a journal record or a
 * checkpoint, state_writer.ts) starts per interval, one at a time, each
 * capturing the state as of its start.
 *
 * A change that comes a whole interval after the last start starts its
 * write at once, in a microtask after the committing call, rather than on
 * a timer after the call's turn: the append then completes while the
 * event loop still answers the call, instead of waking it once more after
 * it went idle.
 *
 * Durability: a write is on disk once the first state write that starts
 * after it completes, which is at most `intervalMs` after the write was
 * acknowledged plus the time one state write takes (plus the time the
 * previous one still needed, if one was running).
 *
 * @module
 */

/** Options of {@linkcode Checkpointer}. */
export interface CheckpointerOptions {
  /** Shortest time between the starts of two checkpoints. */
  intervalMs: number;
  /** Captures the state synchronously and writes it; resolves once it is durable. */
  write: () => Promise<void>;
  /** Reports a failed write (the next change tries again). */
  onError: (err: unknown) => void;
  /** Monotonic clock in milliseconds. */
  now?: () => number;
}

/** Writes a checkpoint at most once per interval while the state keeps changing. */
export class Checkpointer {
  readonly #options: CheckpointerOptions;
  readonly #now: () => number;
  #dirty = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #startQueued = false; // a microtask will start the write
  #running: Promise<void> | null = null;
  #lastStart = -Infinity;
  #closed = false;

  /** Creates the checkpointer; nothing is written until {@linkcode Checkpointer.schedule}. */
  constructor(options: CheckpointerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Notes a change: a checkpoint is written within the interval. Never blocks. */
  schedule(): void {
    this.#dirty = true;
    if (this.#timer !== undefined || this.#startQueued || this.#running || this.#closed) return;
    const wait = this.#lastStart + this.#options.intervalMs - this.#now();
    if (wait <= 0) {
      this.#startQueued = true;
      queueMicrotask(() => {
        this.#startQueued = false;
        this.#run();
      });
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, wait);
  }

  /** Writes any pending change now and stops scheduling (graceful stop). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    if (this.#dirty) await this.#start();
  }

  #run(): void {
    if (!this.#dirty || this.#closed) return;
    this.#start().then(() => {
      if (this.#dirty) this.schedule();
    });
  }

  #start(): Promise<void> {
    this.#dirty = false;
    this.#lastStart = this.#now();
    const running = this.#options.write().catch((err) => {
      this.#dirty = true; // the state on disk is older than the store: try again
      this.#options.onError(err);
    }).finally(() => {
      this.#running = null;
    });
    this.#running = running;
    return running;
  }
}
