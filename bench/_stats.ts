/**
 * Percentiles and summaries of latency samples.
 *
 * @module
 */

/** Latency summary in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending-sorted array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Summarizes samples given as several arrays (one per worker). */
export function summarize(parts: ArrayLike<number>[]): LatencySummary {
  let total = 0;
  for (const part of parts) total += part.length;
  const all = new Float64Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  all.sort();
  return {
    count: total,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    max: total > 0 ? all[total - 1]! : NaN,
  };
}

/** A growable list of numbers without per-sample allocation. */
export class Samples {
  #data = new Float64Array(1024);
  #length = 0;

  /** Number of samples. */
  get length(): number {
    return this.#length;
  }

  /** Appends one sample. */
  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  /** Forgets every sample. */
  clear(): void {
    this.#length = 0;
  }

  /** The samples, as a view (valid until the next push). */
  view(): Float64Array {
    return this.#data.subarray(0, this.#length);
  }
}

/** Rounds milliseconds to microseconds, to keep JSON messages short. */
export function roundUs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
