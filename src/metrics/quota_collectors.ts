/**
 * Quota metrics: each configured limit, how much of it is in use (read when
 * scraped), and how many requests each limit refused.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from "prom-client";

const QUOTA_LIMIT = "device_api_server_quota_limit";
const QUOTA_IN_USE = "device_api_server_quota_in_use";
const QUOTA_REJECTIONS_TOTAL = "device_api_server_quota_rejections_total";
const CONNECTIONS = "device_api_server_connections";

/** What the gauges read at scrape time. */
export interface QuotaView {
  /** Configured limits by quota name (durations in seconds, memory in bytes). */
  limits(): Readonly<Record<string, number>>;
  /** Usage by quota name, for the quotas whose usage is known. */
  inUse(): Readonly<Record<string, number>>;
  /** Open connections per listener. */
  connections(): readonly { readonly listener: string; readonly count: number }[];
}

/** Registers the quota metrics on a registry and reads the quotas bound later. */
export class QuotaCollectors {
  /** Counts a refused request; usable before {@linkcode QuotaCollectors.bind}. */
  readonly onReject: (quota: string) => void;
  #view: QuotaView | undefined;

  /** Registers the quota metrics on `registry`; no series until a view is bound. */
  constructor(registry: Registry) {
    const registers = [registry];
    const view = () => this.#view;
    new Gauge({
      name: QUOTA_LIMIT,
      help: "Each configured limit on clients: connections per listener, bytes connections " +
        "hold, watches per connection and per listener, health and reflection streams, " +
        "HTTP/2 streams and memory per connection, keepalive.",
      labelNames: ["quota"],
      registers,
      collect() {
        for (const [quota, value] of Object.entries(view()?.limits() ?? {})) {
          this.set({ quota }, value);
        }
      },
    });
    new Gauge({
      name: QUOTA_IN_USE,
      help: "How much of a limit is in use now (for watchers_per_connection: the busiest " +
        "connection).",
      labelNames: ["quota"],
      registers,
      collect() {
        for (const [quota, value] of Object.entries(view()?.inUse() ?? {})) {
          this.set({ quota }, value);
        }
      },
    });
    new Gauge({
      name: CONNECTIONS,
      help: "Open client connections on each listener.",
      labelNames: ["listener"],
      registers,
      collect() {
        this.reset();
        for (const { listener, count } of view()?.connections() ?? []) {
          this.set({ listener }, count);
        }
      },
    });
    const rejections = new Counter({
      name: QUOTA_REJECTIONS_TOTAL,
      help: "Requests refused with RESOURCE_EXHAUSTED because a quota was used up, and " +
        "connections closed over connections_per_listener or held_bytes.",
      labelNames: ["quota"],
      registers,
    });
    this.onReject = (quota) => rejections.inc({ quota });
  }

  /**
   * Binds the view the gauges read at scrape time.
   *
   * @throws {Error} when a view is already bound
   */
  bind(view: QuotaView): void {
    if (this.#view) throw new Error("Cannot bind the quota metrics: a view is already bound");
    this.#view = view;
  }
}
