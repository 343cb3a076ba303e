/**
 * Coalesced state writes, off the request path: a committed write only
 * marks the state dirty; at most one write (a journal record or a
 * checkpoint, state_writer.ts) starts per interval, one at a time, each
 * capturing the state as of its start.
 *
 * A change that comes in the last tenth of the interval starts its write
 * at once (in a microtask, after the committing call) instead of on a
 * timer at the interval's end. A provider that writes once per interval
 * (10 updates a second) would otherwise have each write wait a few ms for
 * a timer, a wake-up of the event loop of its own, and the write's append
 * would complete after the loop went idle, waking it again; started with
 * the change, it completes while the loop still answers it (docs/
 * performance.md, "What each change paid"). Writes therefore start at
 * least 90% of the interval apart.
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

/** Share of the interval after which a change starts its write at once. */
export const EARLY_START_FRACTION = 0.9;

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
    const { intervalMs } = this.#options;
    const since = this.#now() - this.#lastStart;
    if (since >= intervalMs * EARLY_START_FRACTION) {
      this.#startQueued = true;
      queueMicrotask(() => {
        this.#startQueued = false;
        this.#run();
      });
      return;
    }
    const wait = Math.max(0, this.#lastStart + intervalMs - this.#now());
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
