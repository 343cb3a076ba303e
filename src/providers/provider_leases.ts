/**
 * Provider leases at work: the registry, one timer for the earliest lease
 * deadline, and what happens when a lease runs out (the provider's
 * conditions turn Unknown in the store).
 *
 * The timer is armed only while some live provider has a lease, always for
 * the earliest deadline, and re-armed whenever that deadline changes (a
 * heartbeat, a registration, an unregistration, an expiry). Nothing polls.
 *
 * @module
 */
import type { RewriteResult, StoredGpu, WriteContext } from "../cache/mod.ts";
import type { Condition } from "../api/mod.ts";
import type { Logger } from "../logging/mod.ts";
import { expiredCondition, formatMs } from "./expired_condition.ts";
import { DeadlineTimer, type LeaseTimers, SYSTEM_TIMERS } from "./deadline_timer.ts";
import { LeaseRegistry, type ProviderRecord } from "./lease_registry.ts";

/** The store operations leases need; a GpuStore is one. */
export interface LeaseStore {
  snapshot(): readonly Pick<StoredGpu, "gpu">[];
  rewriteConditions(
    operation: "lease_expired",
    ctx: WriteContext,
    rewrite: (c: Readonly<Condition>) => Condition | null,
  ): Promise<RewriteResult>;
}

/** A provider's record with the number of conditions it owns now. */
export interface ProviderStatus extends ProviderRecord {
  conditionsOwned: number;
}

/** Options of {@linkcode ProviderLeases}. */
export interface ProviderLeasesOptions {
  store: LeaseStore;
  logger: Logger;
  /** Wall clock in milliseconds, for reported times; defaults to `Date.now`. */
  now?: () => number;
  /** Monotonic clock for lease deadlines; defaults to `performance.now` (or `now` when injected). */
  monotonic?: () => number;
  /** Defaults to unref'd `setTimeout`, so a lease never keeps the process alive. */
  timers?: LeaseTimers;
  /** Called once per lease expiry, e.g. to count it. */
  onExpire?: (provider: string) => void;
  /** Most providers tracked at once. */
  maxProviders?: number;
  /** Providers built into the server (e.g. "nvml"): metric labels as if registered. */
  builtin?: readonly string[];
  /** Called after a registration, a lease change or an unregistration (to persist them). */
  onChange?: () => void;
}

/** What is persisted of a registered provider. */
export interface PersistedProvider {
  name: string;
  leaseMs: number;
}

/** Metric label of writes under a provider name that is neither registered nor built in. */
export const OTHER_PROVIDER_LABEL = "other";

/** Tracks providers and turns the conditions of silent ones Unknown. */
export class ProviderLeases {
  readonly #registry: LeaseRegistry;
  readonly #store: LeaseStore;
  readonly #log: Logger;
  readonly #timer: DeadlineTimer;
  readonly #onExpire: ((provider: string) => void) | undefined;
  readonly #onChange: () => void;
  readonly #builtin: ReadonlySet<string>;
  #expiring: Promise<void> = Promise.resolve(); // expiries are written one after another
  #closed = false;

  /** Creates the leases; no timer runs until a provider registers with a lease. */
  constructor(options: ProviderLeasesOptions) {
    this.#registry = new LeaseRegistry({
      now: options.now,
      monotonic: options.monotonic,
      maxProviders: options.maxProviders,
    });
    this.#store = options.store;
    this.#log = options.logger;
    this.#timer = new DeadlineTimer(
      options.timers ?? SYSTEM_TIMERS,
      () => this.#registry.monotonicNow(),
      () => this.#fire(),
    );
    this.#onExpire = options.onExpire;
    this.#onChange = options.onChange ?? (() => {});
    this.#builtin = new Set(options.builtin ?? []);
  }

  /**
   * Registers a provider (or changes its lease); counts as a heartbeat.
   *
   * @throws {RangeError} when the maximum number of providers is tracked already
   */
  register(name: string, leaseMs: number): ProviderStatus {
    const before = this.#registry.get(name);
    const result = this.#registry.register(name, leaseMs);
    this.#arm();
    if (result.recovered) this.#logRecovered(result.record);
    if (!before?.registered || before.leaseMs !== leaseMs) {
      this.#log.info("Provider registered", "provider", name, "lease", formatMs(leaseMs));
      this.#onChange();
    }
    return this.#withOwned(result.record);
  }

  /** Renews a known provider's lease; null when the provider is unknown (it must register). */
  renew(name: string): ProviderStatus | null {
    if (!this.#registry.get(name)) return null;
    this.heartbeat(name);
    const record = this.#registry.get(name);
    return record ? this.#withOwned(record) : null;
  }

  /** Records that a provider was heard from (a write under its identity); adds an unknown one without a lease. */
  heartbeat(name: string): void {
    const result = this.#registry.heartbeat(name);
    if (!result) return;
    this.#arm();
    if (result.recovered) this.#logRecovered(result.record);
    if (result.added) this.#log.info("Provider seen for the first time", "provider", name);
  }

  /** Forgets a provider; its conditions stay as they are. False when it was unknown. */
  unregister(name: string): boolean {
    if (!this.#registry.unregister(name)) return false;
    this.#arm();
    this.#onChange();
    this.#log.info("Provider unregistered", "provider", name);
    return true;
  }

  /**
   * The `provider` label of metrics for a writer's identity: the name of a
   * registered or built-in provider, "" for none, else "other" — so that
   * invented names cannot add series.
   */
  metricLabel(name: string): string {
    if (name === "" || this.#builtin.has(name)) return name;
    return this.#registry.get(name)?.registered ? name : OTHER_PROVIDER_LABEL;
  }

  /** The registered providers and their leases, for a checkpoint. */
  exportProviders(): PersistedProvider[] {
    return this.#registry.list().filter((r) => r.registered).map((r) => ({
      name: r.name,
      leaseMs: r.leaseMs,
    }));
  }

  /**
   * Registers the providers of a checkpoint as if they had just registered:
   * each gets a full lease as its grace period to come back, and one that
   * does not has its conditions turned Unknown as usual.
   */
  restoreProviders(providers: readonly PersistedProvider[]): void {
    for (const p of providers) {
      try {
        this.#registry.register(p.name, p.leaseMs);
      } catch (err) {
        this.#log.error(err, "Cannot restore a provider", "provider", p.name);
      }
    }
    this.#arm();
  }

  /** One provider, or undefined. */
  get(name: string): ProviderStatus | undefined {
    const record = this.#registry.get(name);
    return record && this.#withOwned(record);
  }

  /** Every known provider, sorted by name, with the conditions each owns now. */
  list(): ProviderStatus[] {
    const owned = countOwners(this.#store.snapshot());
    return this.#registry.list().map((r) => ({ ...r, conditionsOwned: owned.get(r.name) ?? 0 }));
  }

  /** Resolves once every expiry decided so far is written to the store. */
  idle(): Promise<void> {
    return this.#expiring;
  }

  /** Stops the timer for good: no lease expires after this (shutdown). */
  close(): void {
    this.#closed = true;
    this.#timer.clear();
  }

  /** Same as {@linkcode ProviderLeases.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #withOwned(record: ProviderRecord): ProviderStatus {
    const owned = countOwners(this.#store.snapshot()).get(record.name) ?? 0;
    return { ...record, conditionsOwned: owned };
  }

  // Keeps exactly one timer, for the earliest deadline, or none.
  #arm(): void {
    this.#timer.set(this.#closed ? null : this.#registry.nextDeadline());
  }

  #fire(): void {
    const due = this.#registry.expireDue();
    this.#arm();
    for (const record of due) {
      this.#log.warning(
        "Provider lease expired; marking its conditions Unknown",
        "provider",
        record.name,
        "lease",
        formatMs(record.leaseMs),
        "lastSeen",
        new Date(record.lastHeartbeatMs).toISOString(),
      );
      this.#onExpire?.(record.name);
      this.#expiring = this.#expiring.then(() => this.#markUnknown(record));
    }
  }

  // One store write per GPU holding the provider's conditions. The check of
  // isExpired runs under the store's write lock, so a provider heard from
  // (heartbeat, or a completed write RPC) before this runs keeps its conditions.
  async #markUnknown(record: ProviderRecord): Promise<void> {
    const name = record.name;
    try {
      const now = this.#registry.now();
      const result = await this.#store.rewriteConditions(
        "lease_expired",
        { provider: name },
        (c) => (this.#registry.isExpired(name) ? expiredCondition(c, record, now) : null),
      );
      this.#log.info(
        "Marked the conditions of an expired provider Unknown",
        "provider",
        name,
        "gpus",
        result.changed,
      );
      for (const gpu of result.skipped) {
        this.#log.error(
          new RangeError(gpu.reason),
          "Cannot mark the conditions of an expired provider Unknown on a GPU; left as it was",
          "provider",
          name,
          "gpu",
          gpu.name,
          "namespace",
          gpu.namespace,
        );
      }
    } catch (err) {
      this.#log.error(
        err,
        "Cannot mark the conditions of an expired provider Unknown",
        "provider",
        name,
      );
    }
  }

  #logRecovered(record: ProviderRecord): void {
    this.#log.info(
      "Provider is up again; its conditions stay Unknown until it writes them",
      "provider",
      record.name,
      "lease",
      formatMs(record.leaseMs),
    );
  }
}

// Conditions owned per provider, over every GPU.
function countOwners(gpus: readonly Pick<StoredGpu, "gpu">[]): Map<string, number> {
  const owned = new Map<string, number>();
  for (const { gpu } of gpus) {
    for (const c of gpu.status.conditions) {
      if (c.owner !== "") owned.set(c.owner, (owned.get(c.owner) ?? 0) + 1);
    }
  }
  return owned;
}
