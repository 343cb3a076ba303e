/**
 * Running totals kept as plain numbers on hot paths and handed to a
 * prom-client Counter when it is scraped: a prom-client child hashes its
 * label set into a string on every `inc()`, once per call or per write.
 *
 * @example Usage
 * ```ts
 * import { Counter, Registry } from "prom-client";
 * import { CounterFeed } from "./counter_feed.ts";
 *
 * let calls = 0; // bumped on the hot path
 * const feed = new CounterFeed();
 * const counter: Counter = new Counter({
 *   name: "calls_total",
 *   help: "Calls.",
 *   labelNames: ["method"],
 *   registers: [new Registry()],
 *   collect: () => feed.report(counter, "Get", ["Get"], calls),
 * });
 * calls++;
 * ```
 *
 * @module
 */
import type { Counter } from "prom-client";

/** What a counter has been told of one series: its child and the total reported so far. */
interface Reported {
  child: Counter.Internal;
  value: number;
}

/** Feeds running totals into prom-client counters from their `collect` hooks. */
export class CounterFeed {
  readonly #reported = new Map<string, Reported>();

  /**
   * Brings the series `labels` of `counter` (`key` names it among every
   * series this feed reports) up to the running total `value`. A series
   * exists from its first report, at 0 until it counts.
   */
  report(counter: Counter, key: string, labels: readonly string[], value: number): void {
    let r = this.#reported.get(key);
    if (!r) {
      r = { child: counter.labels(...labels), value: 0 };
      r.child.inc(0);
      this.#reported.set(key, r);
    }
    if (value > r.value) r.child.inc(value - r.value);
    r.value = value;
  }
}
