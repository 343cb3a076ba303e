/**
 * A Prometheus histogram for hot paths: a series is resolved once, and its
 * `observe()` adds to a typed array of bucket counts, allocating nothing.
 *
 * prom-client's own Histogram builds a closure and a label object, hashes
 * the label set into a string and looks the bucket up by its bound as a
 * property name on every `observe()`: per gRPC call and per lock
 * acquisition, that was the largest part of what our own code cost on the
 * read path (docs/performance.md). This one is registered on the same
 * registry and scraped through the registry's collection of
 * `get()` results, so its exposition is the one prom-client writes for a
 * histogram: cumulative `_bucket` series with `le`, then `_sum` and `_count`.
 *
 * @example Usage
 * ```ts
 * import { Registry } from "prom-client";
 * import { BucketHistogram } from "./bucket_histogram.ts";
 *
 * const registry = new Registry();
 * const seconds = new BucketHistogram({
 *   name: "work_seconds",
 *   help: "Time spent working.",
 *   labelNames: ["kind"],
 *   buckets: [0.1, 1],
 *   registry,
 * });
 * const fast = seconds.series("fast"); // once
 * fast.observe(0.05); // on the hot path
 * console.log(await registry.metrics());
 * ```
 *
 * @module
 */
import type { Metric, Registry } from "prom-client";

/** Options of {@linkcode BucketHistogram}. */
export interface BucketHistogramOptions {
  name: string;
  help: string;
  /** Label names of every series, in the order {@linkcode BucketHistogram.series} takes values. */
  labelNames: readonly string[];
  /** Upper bounds of the buckets, ascending (the `+Inf` bucket is implied). */
  buckets: readonly number[];
  registry: Registry;
}

/** One labelled series: what a hot path holds and observes into. */
export class HistogramSeries {
  readonly #bounds: Float64Array;
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  readonly counts: Float64Array;
  /** Sum of the observed values. */
  sum = 0;
  /** Number of observations. */
  count = 0;

  /** A series with no observations yet, over the given bucket bounds. */
  constructor(bounds: Float64Array) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value; a value that is not a finite number is ignored. */
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** A sample as prom-client's registry formats it. */
interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** A histogram whose series are resolved once and observed without allocation. */
export class BucketHistogram {
  /** The metric's name, which the registry files it under. */
  readonly name: string;
  /** The help text of the exposition. */
  readonly help: string;
  /** Exposition type, as prom-client's registry reads it. */
  readonly type = "histogram";
  /** How a cluster of processes would merge it (prom-client's default for histograms). */
  readonly aggregator = "sum";
  readonly #labelNames: readonly string[];
  readonly #bounds: Float64Array;
  readonly #series = new Map<string, { labels: Record<string, string>; series: HistogramSeries }>();

  /**
   * Registers the histogram on `options.registry`.
   *
   * @throws {Error} when the bounds are not ascending finite numbers, or the name is taken
   */
  constructor(options: BucketHistogramOptions) {
    const { buckets } = options;
    if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new Error(`Cannot create histogram ${options.name}: buckets must ascend: ${buckets}`);
    }
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = [...options.labelNames];
    this.#bounds = Float64Array.from(buckets);
    // The registry reads name, help, type, aggregator and get(): the shape every prom-client
    // metric has. Its TypeScript type lists only prom-client's own classes.
    options.registry.registerMetric(this as unknown as Metric);
  }

  /**
   * The series of these label values (in the order of `labelNames`),
   * created on first use and exported from then on, at 0 until observed.
   *
   * @throws {Error} when the number of values does not match the label names
   */
  series(...values: string[]): HistogramSeries {
    if (values.length !== this.#labelNames.length) {
      throw new Error(
        `Cannot label histogram ${this.name}: ${values.length} values for ` +
          `${this.#labelNames.length} labels (${this.#labelNames.join(", ")})`,
      );
    }
    const key = JSON.stringify(values); // resolved once per series: the cost is off the hot path
    let entry = this.#series.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      this.#labelNames.forEach((name, i) => labels[name] = values[i]!);
      entry = { labels, series: new HistogramSeries(this.#bounds) };
      this.#series.set(key, entry);
    }
    return entry.series;
  }

  /** The samples of every series, as prom-client's registry collects a metric when scraped. */
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: Sample[];
  }> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, series } of this.#series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += series.counts[i]!;
        values.push({
          metricName: bucket,
          labels: { ...labels, le: this.#bounds[i]! },
          value: cumulative,
        });
      }
      values.push({ metricName: bucket, labels: { ...labels, le: "+Inf" }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: series.count });
    }
    const { name, help, type, aggregator } = this;
    return Promise.resolve({ name, help, type, aggregator, values });
  }

  /** Drops every observation, keeping the series (prom-client's `registry.resetMetrics()`). */
  reset(): void {
    for (const { series } of this.#series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
