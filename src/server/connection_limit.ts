/**
 * The bound on one listener's open connections (`--max-connections`). An
 * idle HTTP/2 connection costs the server ≈40 KiB, so without a bound a
 * client that can reach a socket could open connections until the server
 * is OOM-killed; with it, the listener's connections cost at most
 * `max × CONNECTION_BYTES` and other listeners are untouched. Connections
 * over the bound are closed as they are accepted, before any byte of
 * theirs is read (and, on TLS, before the handshake).
 *
 * @module
 */
import type * as net from "node:net";
import type { Logger } from "../logging/mod.ts";
import { ThrottledWarning } from "./throttled_warning.ts";

/** What a {@linkcode ConnectionLimit} needs. */
export interface ConnectionLimitOptions {
  /** Open connections the listener holds at most. */
  max: number;
  /** The listener's name in the log. */
  listener: string;
  logger: Logger;
  /** Counts a connection closed over the bound. */
  onReject?: () => void;
}

/** Admits connections while fewer than `max` are open; closes the others at once. */
export class ConnectionLimit {
  readonly #o: ConnectionLimitOptions;
  readonly #warning: ThrottledWarning;
  #open = 0;

  /** Creates the bound of one listener. */
  constructor(options: ConnectionLimitOptions) {
    this.#o = options;
    this.#warning = new ThrottledWarning(
      options.logger,
      "Closed client connections over the listener's limit (--max-connections)",
    );
  }

  /** Connections admitted and not yet closed. */
  get open(): number {
    return this.#open;
  }

  /**
   * Admits `socket` (counted until it closes), or destroys it when the
   * listener is full.
   *
   * @returns whether the connection may be served
   */
  admit(socket: net.Socket): boolean {
    if (this.#open >= this.#o.max) {
      socket.destroy();
      this.#o.onReject?.();
      this.#warning.note("listener", this.#o.listener, "limit", this.#o.max);
      return false;
    }
    this.#open++;
    socket.once("close", () => this.#open--);
    return true;
  }
}
