/**
 * One timer for one deadline: set it to the earliest lease deadline and it
 * re-arms only when that deadline changes; set it to null and no timer runs.
 *
 * @module
 */

/** A one-shot timer, injectable so that tests control time. */
export interface LeaseTimers {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

/** `setTimeout`, unref'd so that a pending deadline never keeps the process alive. */
export const SYSTEM_TIMERS: LeaseTimers = {
  set(callback, delayMs) {
    // Deno's timers are numbers; the Node typings in scope say otherwise.
    const id = setTimeout(callback, delayMs) as unknown as number;
    Deno.unrefTimer(id);
    return id;
  },
  clear: (handle) => clearTimeout(handle as number),
};

/** A timer that fires `onFire` at the deadline it was last set to. */
export class DeadlineTimer {
  readonly #timers: LeaseTimers;
  readonly #now: () => number;
  readonly #onFire: () => void;
  #armed: { handle: unknown; deadline: number } | undefined;

  /** Creates the timer, not armed; `now` is the monotonic clock deadlines are on. */
  constructor(timers: LeaseTimers, now: () => number, onFire: () => void) {
    this.#timers = timers;
    this.#now = now;
    this.#onFire = onFire;
  }

  /** The deadline armed now, or null. */
  get deadline(): number | null {
    return this.#armed?.deadline ?? null;
  }

  /** Arms for `deadline` (null: disarms); an unchanged deadline keeps the running timer. */
  set(deadline: number | null): void {
    if (deadline === this.deadline) return;
    this.clear();
    if (deadline === null) return;
    const delay = Math.max(0, deadline - this.#now());
    const handle = this.#timers.set(() => {
      this.#armed = undefined;
      this.#onFire();
    }, delay);
    this.#armed = { handle, deadline };
  }

  /** Cancels the pending timer, if any. */
  clear(): void {
    if (this.#armed) this.#timers.clear(this.#armed.handle);
    this.#armed = undefined;
  }
}
