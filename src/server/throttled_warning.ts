/**
 * A warning that a flood may repeat thousands of times a second (a client
 * looping on connect, a client refused again and again): logged at most once
 * per interval, with how many times it happened since the last line.
 *
 * @module
 */
import type { Logger } from "../logging/mod.ts";

/** How often at most a throttled warning is logged. */
export const WARNING_INTERVAL_MS = 10_000;

/** One warning message, logged at most once per {@linkcode WARNING_INTERVAL_MS}. */
export class ThrottledWarning {
  readonly #logger: Logger;
  readonly #msg: string;
  #lastMs = -Infinity;
  #unlogged = 0;

  /** Creates the warning; nothing is logged until {@linkcode ThrottledWarning.note}. */
  constructor(logger: Logger, msg: string) {
    this.#logger = logger;
    this.#msg = msg;
  }

  /** Counts one occurrence and logs it, with `keysAndValues` and the count, unless logged recently. */
  note(...keysAndValues: unknown[]): void {
    this.#unlogged++;
    const now = performance.now();
    if (now - this.#lastMs < WARNING_INTERVAL_MS) return;
    this.#lastMs = now;
    this.#logger.warning(this.#msg, ...keysAndValues, "times", this.#unlogged);
    this.#unlogged = 0;
  }
}
