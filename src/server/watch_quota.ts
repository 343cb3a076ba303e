/**
 * Watch quotas per connection and per listener, on top of the server-wide
 * `--max-watchers` the store enforces: one connection cannot take every
 * slot, and the consumer listeners (consumer socket and TCP) together leave
 * a share free for the provider socket. Pure bookkeeping, no I/O.
 *
 * @module
 */
import { CapacityError } from "../cache/mod.ts";
import type { Peer } from "./peer.ts";

/** Limits of {@linkcode WatchQuota}. */
export interface WatchQuotaLimits {
  /** Server-wide watcher limit (`--max-watchers`). */
  maxWatchers: number;
  /** Watches one connection may hold (`--max-watchers-per-connection`). */
  perConnection: number;
  /** Slots only the provider socket may use (`--provider-reserved-watchers`). */
  providerReserved: number;
}

/** The quotas, as named in metrics and messages. */
export type WatchQuotaName = "watchers_per_connection" | "consumer_watchers";

/** Options of {@linkcode WatchQuota}. */
export interface WatchQuotaOptions {
  /** Called for every refused watch, with the quota that refused it. */
  onReject?: (quota: WatchQuotaName) => void;
}

/** Gives out watch slots per connection and per listener. */
export class WatchQuota {
  readonly #limits: Readonly<WatchQuotaLimits>;
  readonly #onReject: WatchQuotaOptions["onReject"];
  // Open watches per connection; a connection with none has no entry.
  readonly #byConnection = new Map<string, number>();
  // Open watches on the consumer listeners (consumer socket and TCP).
  #consumers = 0;

  /** Creates the quota; a reservation of `maxWatchers` or more leaves consumers nothing. */
  constructor(limits: WatchQuotaLimits, options: WatchQuotaOptions = {}) {
    this.#limits = Object.freeze({ ...limits });
    this.#onReject = options.onReject;
  }

  /** Watches the consumer listeners may hold together. */
  get consumerShare(): number {
    return Math.max(0, this.#limits.maxWatchers - this.#limits.providerReserved);
  }

  /** Open watches on the consumer listeners. */
  get consumerWatchers(): number {
    return this.#consumers;
  }

  /** The most watches any one connection holds now. */
  get busiestConnection(): number {
    let most = 0;
    for (const n of this.#byConnection.values()) most = Math.max(most, n);
    return most;
  }

  /**
   * Takes a slot for a watch from `peer`.
   *
   * @returns a function that gives the slot back (once; later calls do nothing)
   * @throws {CapacityError} naming the limit when a quota is used up
   */
  acquire(peer: Peer): () => void {
    const held = this.#byConnection.get(peer.connection) ?? 0;
    if (held >= this.#limits.perConnection) {
      this.#onReject?.("watchers_per_connection");
      throw new CapacityError(
        `too many watches on this connection: the limit is ${this.#limits.perConnection} ` +
          "(--max-watchers-per-connection); open another connection or close unused watches",
      );
    }
    const consumer = peer.listener !== "unix-socket";
    if (consumer && this.#consumers >= this.consumerShare) {
      this.#onReject?.("consumer_watchers");
      throw new CapacityError(
        `too many watches on the consumer socket and TCP listeners: the limit is ` +
          `${this.consumerShare} (--max-watchers minus --provider-reserved-watchers)`,
      );
    }
    this.#byConnection.set(peer.connection, held + 1);
    if (consumer) this.#consumers++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (consumer) this.#consumers--;
      const left = (this.#byConnection.get(peer.connection) ?? 1) - 1;
      if (left > 0) this.#byConnection.set(peer.connection, left);
      else this.#byConnection.delete(peer.connection);
    };
  }
}
