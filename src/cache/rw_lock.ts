/**
 * An async read-write lock with writer preference.
 *
 * Waiters queue in arrival order: once a writer is waiting, readers that
 * arrive later queue behind it, so a read that starts after a write began
 * never observes the state before that write. Readers already inside finish
 * first. Consecutive readers at the head of the queue enter together, so
 * neither readers nor writers starve.
 *
 * @example Usage
 * ```ts
 * import { RwLock } from "./rw_lock.ts";
 * const lock = new RwLock();
 * {
 *   using _write = await lock.acquireWrite();
 *   // mutate state, possibly awaiting I/O
 * }
 * ```
 *
 * @module
 */

/** Which side of the lock a holder is on. */
export type LockKind = "read" | "write";

/** A held lock; release it once, with `using` or {@linkcode LockHold.release}. */
export interface LockHold extends Disposable {
  /** Releases the lock; releasing twice is a no-op. */
  release(): void;
}

/** Options of {@linkcode RwLock}. */
export interface RwLockOptions {
  /** Called on every acquisition with the time spent waiting (0 when uncontended). */
  onAcquire?: (kind: LockKind, waitedMs: number) => void;
  /** Clock for wait times, injectable for tests. */
  now?: () => number;
}

interface Waiter {
  kind: LockKind;
  since: number;
  grant: () => void;
}

/** Async read-write lock with FIFO writer preference. */
export class RwLock {
  // Guarded by the single-threaded event loop: each method runs to completion.
  #readers = 0; // holders inside on the read side
  #writer = false; // a holder is inside on the write side
  #queue: Waiter[] = []; // waiters in arrival order
  #onAcquire: RwLockOptions["onAcquire"];
  #now: () => number;

  /** Creates an unlocked lock. */
  constructor(options: RwLockOptions = {}) {
    this.#onAcquire = options.onAcquire;
    this.#now = options.now ?? performance.now.bind(performance);
  }

  /** Number of holders on the read side. */
  get readers(): number {
    return this.#readers;
  }

  /** Whether a writer holds the lock. */
  get writing(): boolean {
    return this.#writer;
  }

  /** Number of queued waiters, readers and writers. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Acquires the read side without waiting, or returns undefined when a
   * writer holds or awaits the lock.
   */
  tryAcquireRead(): LockHold | undefined {
    if (this.#writer || this.#queue.length > 0) return undefined;
    this.#readers++;
    this.#onAcquire?.("read", 0);
    return this.#hold("read");
  }

  /** Acquires the read side, waiting behind any writer that holds or awaits the lock. */
  acquireRead(): Promise<LockHold> {
    const hold = this.tryAcquireRead();
    return hold ? Promise.resolve(hold) : this.#enqueue("read");
  }

  /** Acquires the write side, waiting for readers inside and earlier waiters. */
  acquireWrite(): Promise<LockHold> {
    if (!this.#writer && this.#readers === 0 && this.#queue.length === 0) {
      this.#writer = true;
      this.#onAcquire?.("write", 0);
      return Promise.resolve(this.#hold("write"));
    }
    return this.#enqueue("write");
  }

  #enqueue(kind: LockKind): Promise<LockHold> {
    return new Promise((resolve) => {
      const since = this.#now();
      this.#queue.push({
        kind,
        since,
        grant: () => {
          this.#onAcquire?.(kind, this.#now() - since);
          resolve(this.#hold(kind));
        },
      });
    });
  }

  #hold(kind: LockKind): LockHold {
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      if (kind === "read") this.#readers--;
      else this.#writer = false;
      this.#admit();
    };
    return { release, [Symbol.dispose]: release };
  }

  // Admits waiters from the head of the queue: every leading reader while no
  // writer is inside, or one writer once the lock is empty.
  #admit(): void {
    while (this.#queue.length > 0 && !this.#writer) {
      const head = this.#queue[0]!;
      if (head.kind === "write") {
        if (this.#readers > 0) return;
        this.#queue.shift();
        this.#writer = true;
        head.grant();
        return;
      }
      this.#queue.shift();
      this.#readers++;
      head.grant();
    }
  }
}
