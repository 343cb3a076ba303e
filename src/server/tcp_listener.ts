/**
 * The TCP listener, owned by the server like the Unix sockets and fed to
 * grpc-js through its public `createConnectionInjector()`, so that its
 * connections pass the same GOAWAY filter (`accept.ts`).
 *
 * With TLS the listener terminates TLS itself (`node:tls`, ALPN `h2`) and
 * injects the decrypted connection: inside grpc-js's own TLS server the
 * bytes are out of the filter's reach. The certificate, key and client CA
 * come from the reloading provider of `src/tls`; each reload replaces the
 * secure context, so new connections get the new material and established
 * ones keep theirs.
 *
 * `localhost` listens on 127.0.0.1 and, where the host has IPv6, on ::1, on
 * one port, as grpc-js's bind does.
 *
 * @module
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { ConnectionInjector } from "@grpc/grpc-js";
import { formatHostPort, LOCALHOST_ADDRESSES, parseHostPort } from "../config/mod.ts";
import type { Logger } from "../logging/mod.ts";
import type { TcpTls } from "../tls/mod.ts";
import { acceptConnection } from "./accept.ts";
import type { ConnectionLimit } from "./connection_limit.ts";
import type { HeldBytesBudget } from "./held_bytes.ts";

/** TLS of a {@linkcode TcpListener}: where the material comes from, and whether clients must present a certificate. */
export type TcpListenerTls = Pick<TcpTls, "provider" | "mutual">;

/** Options of {@linkcode TcpListener}. */
export interface TcpListenerOptions {
  /** `HOST:PORT` as the configuration holds it; port 0 picks a free one. */
  address: string;
  /** An injector of insecure credentials: TLS, when on, is the listener's. */
  injector: ConnectionInjector;
  logger: Logger;
  /** TLS for every connection; plaintext when absent. */
  tls?: TcpListenerTls;
  /** The server-wide bound on what connections hold (unfinished requests, unread responses); none when absent. */
  held?: HeldBytesBudget;
  /** The bound on open connections, counted before the TLS handshake; none when absent. */
  limit?: ConnectionLimit;
}

/** A TCP listener, plaintext or TLS: bind, accept, stop accepting. */
export class TcpListener {
  readonly #o: TcpListenerOptions;
  readonly #servers: net.Server[] = [];
  readonly #connections = new Set<net.Socket>();
  #unsubscribe: (() => void) | undefined;

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
    const [first, ...more] = host === "localhost" ? LOCALHOST_ADDRESSES : [host];
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
    this.#unsubscribe = this.#o.tls?.provider.onChange(() => this.#updateContext());
    return bound;
  }

  /** Open connections (with TLS, those past the handshake). */
  get connections(): number {
    return this.#connections.size;
  }

  /** Stops accepting; open connections are grpc-js's to drain or close. */
  stop(): void {
    this.#unsubscribe?.();
    for (const server of this.#servers.splice(0)) server.close();
  }

  #listen(host: string, port: number): Promise<number> {
    // Without the permission, node:net's listen throws later, outside any caller: refuse here.
    const target = formatHostPort({ host, port });
    if (Deno.permissions.querySync({ name: "net", host: target }).state !== "granted") {
      return Promise.reject(new Deno.errors.NotCapable(`no net permission for ${target}`));
    }
    const accept = (socket: net.Socket) => {
      acceptConnection(
        socket,
        this.#connections,
        this.#o.injector,
        this.#o.logger,
        this.#o.held,
      );
    };
    const server = this.#o.tls ? this.#tlsServer(accept) : net.createServer();
    // The raw connection, before TLS: one over the bound costs no handshake.
    server.on("connection", (socket: net.Socket) => {
      if (this.#o.limit?.admit(socket) === false || this.#o.tls) return;
      accept(socket);
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port }, () => {
        server.off("error", reject);
        this.#servers.push(server);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  #tlsServer(accept: (socket: net.Socket) => void): tls.Server {
    const { mutual } = this.#o.tls!;
    const log = this.#o.logger;
    const server = tls.createServer({
      ...this.#contextOptions(),
      ALPNProtocols: ["h2"],
      requestCert: mutual,
      rejectUnauthorized: mutual,
    }, (socket) => {
      // A reset after the session is gone must not become an unhandled 'error' event.
      socket.on("error", (err) => log.V(4).info("TLS connection error", "reason", err.message));
      accept(socket);
    });
    server.on("tlsClientError", (err) => {
      log.V(2).info("TLS handshake failed", "reason", err.message);
    });
    return server;
  }

  #contextOptions(): tls.SecureContextOptions {
    const { provider, mutual } = this.#o.tls!;
    const identity = provider.identity!;
    return {
      cert: identity.certificate,
      key: identity.privateKey,
      ...(mutual && { ca: provider.clientCa?.caCertificate }),
    };
  }

  // New connections get the reloaded material; established ones keep theirs.
  #updateContext(): void {
    for (const server of this.#servers) {
      try {
        (server as tls.Server).setSecureContext(this.#contextOptions());
      } catch (err) {
        this.#o.logger.error(err, "Cannot use the reloaded TLS material; serving the previous");
      }
    }
  }
}
