/**
 * Cache and watch metrics. Gauges are computed from the store when scraped,
 * so they are exact at scrape time; counters and the lock histogram are fed
 * by the store's hooks, which exist before the store does.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { Commit, LockKind, StoredGpu } from "../cache/mod.ts";
import { BucketHistogram } from "./bucket_histogram.ts";
import { CounterFeed } from "./counter_feed.ts";
import { countHealth, type HealthCounts } from "./health.ts";

const GPUS_TOTAL = "device_api_server_cache_gpus_total";
const GPUS_HEALTHY = "device_api_server_cache_gpus_healthy";
const GPUS_UNHEALTHY = "device_api_server_cache_gpus_unhealthy";
const GPUS_UNKNOWN = "device_api_server_cache_gpus_unknown";
const UPDATES_TOTAL = "device_api_server_cache_updates_total";
const LOCK_WAIT_SECONDS = "device_api_server_cache_lock_wait_seconds";
const RESOURCE_VERSION = "device_api_server_cache_resource_version";
const WATCH_STREAMS_ACTIVE = "device_api_server_watch_streams_active";
const WATCH_QUEUED_BYTES = "device_api_server_watch_queued_bytes";
const WATCH_EVENTS_TOTAL = "device_api_server_watch_events_total";
const WATCH_EVICTIONS_TOTAL = "device_api_server_watch_evictions_total";

/** Lock waits are mostly zero or microseconds; the tail is what matters. */
const LOCK_WAIT_BUCKETS = [
  0.000001,
  0.000005,
  0.00001,
  0.00005,
  0.0001,
  0.0005,
  0.001,
  0.005,
  0.01,
  0.05,
  0.1,
  0.5,
  1,
];

/** Label value of writes that named no provider. */
export const ANONYMOUS_PROVIDER = "anonymous";

/** What the collectors read from the store at scrape time; a GpuStore is one. */
export interface CacheView {
  snapshot(): readonly Pick<StoredGpu, "gpu">[];
  readonly resourceVersion: number;
  readonly watcherCount: number;
  readonly watchQueuedBytes: number;
}

/** Store hooks that feed the counters; pass them to `new GpuStore`. */
export interface CacheHooks {
  onCommit(commit: Pick<Commit, "operation" | "provider" | "type">): void;
  onEvict(): void;
  onLockAcquire(kind: LockKind, waitedMs: number): void;
}

/** Registers the cache and watch metrics on a registry and reads a store bound later. */
export class CacheCollectors {
  /** Hooks for the store's options; usable before {@linkcode CacheCollectors.bind}. */
  readonly hooks: CacheHooks;
  #view: CacheView | undefined;
  // Maps a writer's identity to its `provider` label (bounded: see labelProviders).
  #providerLabel: (provider: string) => string = (provider) => provider;
  // Health counts of the last scrape, reused while the resource version is unchanged.
  #counts: { version: number; counts: HealthCounts } | undefined;

  /** Registers every cache metric on `registry`; gauges read 0 until a store is bound. */
  constructor(registry: Registry) {
    const registers = [registry];
    const gpuGauge = (name: string, help: string, key: keyof HealthCounts) => {
      const read = () => this.#health()?.[key] ?? 0;
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    gpuGauge(GPUS_TOTAL, "GPUs in the cache.", "total");
    gpuGauge(GPUS_HEALTHY, "GPUs with at least one condition and every condition True.", "healthy");
    gpuGauge(GPUS_UNHEALTHY, "GPUs with at least one condition False.", "unhealthy");
    gpuGauge(
      GPUS_UNKNOWN,
      "GPUs neither healthy nor unhealthy: no conditions, or an Unknown one and none False.",
      "unknown",
    );
    const view = () => this.#view;
    new Gauge({
      name: RESOURCE_VERSION,
      help: "Current resource version of the cache (of the last write).",
      registers,
      collect() {
        this.set(view()?.resourceVersion ?? 0);
      },
    });
    new Gauge({
      name: WATCH_STREAMS_ACTIVE,
      help: "Open WatchGpus streams.",
      registers,
      collect() {
        this.set(view()?.watcherCount ?? 0);
      },
    });
    new Gauge({
      name: WATCH_QUEUED_BYTES,
      help: "Bytes of distinct events waiting in watch queues for clients that read slowly.",
      registers,
      collect() {
        this.set(view()?.watchQueuedBytes ?? 0);
      },
    });
    // Counted in plain numbers by the hooks, which run on every write; reported when scraped.
    const feed = new CounterFeed();
    const updateCounts = new Map<string, Map<string, { n: number }>>(); // operation → provider
    const eventCounts = new Map(["ADDED", "MODIFIED", "DELETED"].map((type) => [type, { n: 0 }]));
    const updates: Counter = new Counter({
      name: UPDATES_TOTAL,
      help: "Committed cache writes, by operation and provider.",
      labelNames: ["operation", "provider"],
      registers,
      collect: () => {
        for (const [operation, byProvider] of updateCounts) {
          for (const [provider, c] of byProvider) {
            feed.report(updates, JSON.stringify([operation, provider]), [operation, provider], c.n);
          }
        }
      },
    });
    const events: Counter = new Counter({
      name: WATCH_EVENTS_TOTAL,
      help: "Watch events published to the watch fan-out, by type.",
      labelNames: ["type"],
      registers,
      collect: () => {
        for (const [type, c] of eventCounts) feed.report(events, `event ${type}`, [type], c.n);
      },
    });
    const evictions = new Counter({
      name: WATCH_EVICTIONS_TOTAL,
      help: "Watch streams closed because the client did not read events fast enough.",
      registers,
    });
    const lockWait = new BucketHistogram({
      name: LOCK_WAIT_SECONDS,
      help: "Time spent waiting for the cache lock, by side (read or write).",
      labelNames: ["lock"],
      buckets: LOCK_WAIT_BUCKETS,
      registry,
    });
    const lockChildren = { read: lockWait.series("read"), write: lockWait.series("write") };
    const providerLabel = (provider: string) => this.#providerLabel(provider);
    this.hooks = {
      onCommit(commit) {
        const provider = providerLabel(commit.provider) || ANONYMOUS_PROVIDER;
        let byProvider = updateCounts.get(commit.operation);
        if (!byProvider) updateCounts.set(commit.operation, byProvider = new Map());
        let update = byProvider.get(provider);
        if (!update) byProvider.set(provider, update = { n: 0 });
        update.n++;
        let event = eventCounts.get(commit.type);
        if (!event) eventCounts.set(commit.type, event = { n: 0 });
        event.n++;
      },
      onEvict() {
        evictions.inc();
      },
      onLockAcquire(kind, waitedMs) {
        lockChildren[kind].observe(waitedMs / 1000);
      },
    };
  }

  /**
   * Sets how a writer's identity becomes the `provider` label of
   * `cache_updates_total`, so that self-declared names cannot add series.
   */
  labelProviders(label: (provider: string) => string): void {
    this.#providerLabel = label;
  }

  /**
   * Binds the store the gauges read at scrape time.
   *
   * @throws {Error} when a store is already bound
   */
  bind(view: CacheView): void {
    if (this.#view) throw new Error("Cannot bind the cache metrics: a store is already bound");
    this.#view = view;
  }

  #health(): HealthCounts | undefined {
    const view = this.#view;
    if (!view) return undefined;
    const version = view.resourceVersion;
    if (this.#counts?.version !== version) {
      this.#counts = { version, counts: countHealth(view.snapshot().map((s) => s.gpu)) };
    }
    return this.#counts.counts;
  }
}
