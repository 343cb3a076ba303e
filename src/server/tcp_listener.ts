/**
 * The plaintext TCP listener, owned by the server like the Unix sockets and
 * fed to grpc-js through its public `createConnectionInjector()`, so that
 * its connections get the same GOAWAY filter (`accept.ts`). A TLS listener
 * stays grpc-js's own bind: its bytes are only readable inside grpc-js.
 *
 * `localhost` listens on 127.0.0.1 and, where the host has IPv6, on ::1, on
 * one port, as grpc-js's bind does.
 *
 * @module
 */
import * as net from "node:net";
import type { ConnectionInjector } from "@grpc/grpc-js";
import { parseHostPort } from "../config/mod.ts";
import type { Logger } from "../logging/mod.ts";
import { acceptConnection } from "./accept.ts";

/** Options of {@linkcode TcpListener}. */
export interface TcpListenerOptions {
  /** `HOST:PORT` as the configuration holds it; port 0 picks a free one. */
  address: string;
  injector: ConnectionInjector;
  logger: Logger;
}

/** A plaintext TCP listener: bind, accept, stop accepting. */
export class TcpListener {
  readonly #o: TcpListenerOptions;
  readonly #servers: net.Server[] = [];

  /** Creates the listener; nothing binds until {@linkcode start}. */
  constructor(options: TcpListenerOptions) {
    this.#o = options;
  }

  /**
   * Binds every address of the host on one port.
   *
   * @returns the bound port
   * @throws {Error} naming the address when the first host address cannot be bound
   */
  async start(): Promise<number> {
    const { host, port } = parseHostPort(this.#o.address);
    const [first, ...more] = host === "localhost" ? ["127.0.0.1", "::1"] : [host];
    let bound: number;
    try {
      bound = await this.#listen(first!, port);
    } catch (err) {
      throw new Error(`Cannot listen on ${this.#o.address}: ${(err as Error).message}`);
    }
    for (const extra of more) {
      // A host without IPv6 still serves localhost on 127.0.0.1.
      await this.#listen(extra, bound).catch((err) =>
        this.#o.logger.V(2).info("Not listening on", "host", extra, "reason", String(err))
      );
    }
    return bound;
  }

  /** Stops accepting; open connections are grpc-js's to drain or close. */
  stop(): void {
    for (const server of this.#servers.splice(0)) server.close();
  }

  #listen(host: string, port: number): Promise<number> {
    const server = net.createServer((socket) => {
      acceptConnection(socket, this.#o.injector, this.#o.logger);
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port, ipv6Only: host.includes(":") }, () => {
        server.off("error", reject);
        this.#servers.push(server);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }
}
