/**
 * Provider lease metrics: whether each known provider is up, computed from
 * the leases when scraped, and how often each provider's lease expired.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from "prom-client";

const PROVIDER_UP = "device_api_server_provider_up";
const LEASE_EXPIRIES_TOTAL = "device_api_server_provider_lease_expiries_total";

/** What the gauge reads at scrape time; ProviderLeases is one. */
export interface ProviderView {
  list(): readonly { readonly name: string; readonly expired: boolean }[];
  /** The provider's metric label: its name when registered or built in, else another value. */
  metricLabel?(name: string): string;
}

/** Hooks that feed the counter; pass them to ProviderLeases. */
export interface ProviderHooks {
  onLeaseExpired(provider: string): void;
}

/** Registers the provider metrics on a registry and reads the leases bound later. */
export class ProviderCollectors {
  /** Hooks for ProviderLeases' options; usable before {@linkcode ProviderCollectors.bind}. */
  readonly hooks: ProviderHooks;
  #view: ProviderView | undefined;

  /** Registers the provider metrics on `registry`; the gauge has no series until leases are bound. */
  constructor(registry: Registry) {
    const registers = [registry];
    const view = () => this.#view;
    new Gauge({
      name: PROVIDER_UP,
      help: "1 for each known provider whose lease has not expired (or that has no lease), " +
        "0 while its lease is expired.",
      labelNames: ["provider"],
      registers,
      collect() {
        // Rebuilt on every scrape, so unregistered providers disappear.
        this.reset();
        // Only registered and built-in providers: invented names add no series.
        const v = view();
        for (const p of v?.list() ?? []) {
          if (v?.metricLabel && v.metricLabel(p.name) !== p.name) continue;
          this.set({ provider: p.name }, p.expired ? 0 : 1);
        }
      },
    });
    const expiries = new Counter({
      name: LEASE_EXPIRIES_TOTAL,
      help: "Lease expiries per provider: each turned the provider's conditions Unknown.",
      labelNames: ["provider"],
      registers,
    });
    this.hooks = {
      onLeaseExpired(provider) {
        expiries.inc({ provider });
      },
    };
  }

  /**
   * Binds the leases the gauge reads at scrape time.
   *
   * @throws {Error} when leases are already bound
   */
  bind(view: ProviderView): void {
    if (this.#view) throw new Error("Cannot bind the provider metrics: leases are already bound");
    this.#view = view;
  }
}
