/**
 * The providers the server knows and their leases. Pure logic, no I/O, no
 * timers: time comes from an injected clock, and the caller asks for the
 * next deadline and for the leases that are due.
 *
 * Two clocks: deadlines run on a monotonic clock (a wall clock stepped back
 * or forward neither extends nor cuts a lease); the times reported to
 * operators (first seen, last heartbeat) are wall-clock times.
 *
 * Invariants:
 * - a provider with `leaseMs` 0 never expires;
 * - the registry holds at most `maxProviders` records; a provider known only
 *   from writes (never registered) gives way to one that registers;
 * - a provider expires at most once per silence: `expireDue` marks it
 *   expired and it stays so, without a deadline, until its next heartbeat.
 *
 * @module
 */

/** What the registry keeps about one provider (a copy; changing it changes nothing). */
export interface ProviderRecord {
  name: string;
  /** Lease in milliseconds; 0 for none. */
  leaseMs: number;
  /** Whether the provider called RegisterProvider (else it is known from writes only). */
  registered: boolean;
  firstSeenMs: number;
  lastHeartbeatMs: number;
  /** The lease ran out and the provider has not been heard from since. */
  expired: boolean;
  /** Number of times the lease expired. */
  expiries: number;
}

/** Outcome of a heartbeat or a registration. */
export interface HeartbeatResult {
  record: ProviderRecord;
  /** The provider was expired and is up again. */
  recovered: boolean;
  /** The provider was not known before. */
  added: boolean;
}

/** Options of {@linkcode LeaseRegistry}. */
export interface LeaseRegistryOptions {
  /** Wall clock in milliseconds, for reported times; defaults to `Date.now`. */
  now?: () => number;
  /**
   * Monotonic clock in milliseconds, for deadlines; defaults to
   * `performance.now`, or to `now` when only `now` is injected (tests).
   */
  monotonic?: () => number;
  /** Most providers tracked at once; defaults to {@linkcode DEFAULT_MAX_PROVIDERS}. */
  maxProviders?: number;
}

/** Providers tracked at once by default, so that stray identities cannot grow memory without bound. */
export const DEFAULT_MAX_PROVIDERS = 256;

/** Provider records and their lease deadlines. */
export class LeaseRegistry {
  readonly #records = new Map<string, ProviderRecord>();
  // Monotonic time of each provider's last heartbeat: what deadlines count from.
  readonly #beats = new Map<string, number>();
  readonly #now: () => number;
  readonly #monotonic: () => number;
  readonly #max: number;

  /** Creates an empty registry. */
  constructor(options: LeaseRegistryOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#monotonic = options.monotonic ?? options.now ?? (() => performance.now());
    this.#max = options.maxProviders ?? DEFAULT_MAX_PROVIDERS;
  }

  /** The registry's wall clock, in milliseconds. */
  now(): number {
    return this.#now();
  }

  /** The registry's monotonic clock, in milliseconds: deadlines are on this clock. */
  monotonicNow(): number {
    return this.#monotonic();
  }

  /** Number of known providers. */
  get size(): number {
    return this.#records.size;
  }

  /**
   * Registers a provider, or changes the lease of a known one; counts as a
   * heartbeat. When the registry is full, the provider known only from
   * writes that was heard from least recently is forgotten to make room.
   *
   * @throws {RangeError} when the registry is full of registered providers and this one is new
   */
  register(name: string, leaseMs: number): HeartbeatResult {
    if (!this.#records.has(name) && this.#records.size >= this.#max) this.#pruneOneUnregistered();
    if (!this.#records.has(name) && this.#records.size >= this.#max) {
      throw new RangeError(
        `Cannot register provider ${JSON.stringify(name)}: the server tracks the maximum of ` +
          `${this.#max} providers`,
      );
    }
    const result = this.#touch(name);
    const record = this.#records.get(name)!;
    record.leaseMs = leaseMs;
    record.registered = true;
    return { ...result, record: { ...record } };
  }

  /**
   * Records that a provider was heard from. An unknown provider is added
   * without a lease (unless the registry is full: then null, and nothing is
   * tracked).
   */
  heartbeat(name: string): HeartbeatResult | null {
    if (!this.#records.has(name) && this.#records.size >= this.#max) return null;
    const result = this.#touch(name);
    return { ...result, record: { ...this.#records.get(name)! } };
  }

  /** Forgets a provider; false when it was not known. */
  unregister(name: string): boolean {
    this.#beats.delete(name);
    return this.#records.delete(name);
  }

  /** One provider's record, or undefined. */
  get(name: string): ProviderRecord | undefined {
    const record = this.#records.get(name);
    return record && { ...record };
  }

  /** Whether the provider's lease has expired and it has not been heard from since. */
  isExpired(name: string): boolean {
    return this.#records.get(name)?.expired ?? false;
  }

  /** Every record, sorted by name. */
  list(): ProviderRecord[] {
    return [...this.#records.values()]
      .map((r) => ({ ...r }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The earliest time (monotonic) a lease runs out, or null when no live provider has a lease. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const r of this.#records.values()) {
      const deadline = this.#deadline(r);
      if (deadline !== null && (next === null || deadline < next)) next = deadline;
    }
    return next;
  }

  /** Marks every provider whose lease has run out by now as expired, and returns them. */
  expireDue(): ProviderRecord[] {
    const now = this.#monotonic();
    const due: ProviderRecord[] = [];
    for (const r of this.#records.values()) {
      const deadline = this.#deadline(r);
      if (deadline === null || deadline > now) continue;
      r.expired = true;
      r.expiries++;
      due.push({ ...r });
    }
    return due.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  #deadline(record: ProviderRecord): number | null {
    if (record.leaseMs <= 0 || record.expired) return null;
    return this.#beats.get(record.name)! + record.leaseMs;
  }

  // Forgets the least recently heard provider that never registered, if any.
  #pruneOneUnregistered(): void {
    let oldest: ProviderRecord | undefined;
    for (const r of this.#records.values()) {
      if (r.registered) continue;
      if (!oldest || this.#beats.get(r.name)! < this.#beats.get(oldest.name)!) oldest = r;
    }
    if (oldest) this.unregister(oldest.name);
  }

  #touch(name: string): Omit<HeartbeatResult, "record"> {
    const now = this.#now();
    this.#beats.set(name, Math.max(this.#beats.get(name) ?? -Infinity, this.#monotonic()));
    const record = this.#records.get(name);
    if (!record) {
      this.#records.set(name, {
        name,
        leaseMs: 0,
        registered: false,
        firstSeenMs: now,
        lastHeartbeatMs: now,
        expired: false,
        expiries: 0,
      });
      return { recovered: false, added: true };
    }
    const recovered = record.expired;
    record.expired = false;
    // Never backwards, should the clock step back.
    record.lastHeartbeatMs = Math.max(record.lastHeartbeatMs, now);
    return { recovered, added: false };
  }
}

/**
 * When a record's lease runs out by the wall clock as of its last heartbeat
 * (for display: the registry's own deadlines are monotonic); null without a
 * lease or while expired.
 */
export function deadlineOf(record: Readonly<ProviderRecord>): number | null {
  if (record.leaseMs <= 0 || record.expired) return null;
  return record.lastHeartbeatMs + record.leaseMs;
}
