/**
 * The gRPC server's lifecycle: bind the listeners, serve, and stop either
 * gracefully (drain under a deadline) or by force.
 *
 * Two grpc-js servers may run: the main one (Unix socket and TCP, reads and
 * writes) and an optional read-only one on the consumer socket. They share
 * the store, so both see the same state and the same watch events.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { GPU_SERVICE, serviceDefinition } from "../api/mod.ts";
import { type GpuStore, ShuttingDownError } from "../cache/mod.ts";
import type { Logger } from "../logging/mod.ts";
import { gpuServiceHandlers } from "./gpu_service.ts";
import { prepareSocketPath, removeSocket } from "./unix_socket.ts";

/** A service registered next to the GpuService (health, reflection, providers). */
export interface ExtraService {
  /** Registers the service on a listener's server; `readOnly` is true on the consumer socket. */
  addTo(server: grpc.Server, readOnly: boolean): void;
  /** Ends the service's open streams when a graceful stop begins. */
  closeStreams?(): void;
}

/** Options of {@linkcode DeviceApiServer}. */
export interface DeviceApiServerOptions {
  store: GpuStore;
  logger: Logger;
  /** Provider and consumer socket; "" for none. */
  unixSocket: string;
  socketMode: number;
  /** Read-only consumer socket; "" for none. */
  consumerSocket: string;
  consumerSocketMode: number;
  /** TCP `host:port`; "" for none. */
  grpcAddress: string;
  /** Credentials of the TCP listener (TLS); plaintext when absent. */
  tcpCredentials?: grpc.ServerCredentials;
  maxMessageBytes: number;
  interceptors?: grpc.ServerInterceptor[];
  services?: ExtraService[];
}

/** Where the server listens once started. */
export interface BoundListeners {
  unixSocket?: string;
  consumerSocket?: string;
  /** The TCP port actually bound (useful with port 0). */
  tcpPort?: number;
}

/** Lifecycle states, in order. */
export type ServerState = "new" | "serving" | "draining" | "stopped";

/** The Device API gRPC server. */
export class DeviceApiServer {
  readonly #options: DeviceApiServerOptions;
  readonly #log: Logger;
  #main: grpc.Server | undefined;
  #consumer: grpc.Server | undefined;
  #sockets: string[] = []; // socket files this server created and must remove
  #state: ServerState = "new";
  #stopped: Promise<void> | undefined;

  /** Creates a server; nothing binds until {@linkcode DeviceApiServer.start}. */
  constructor(options: DeviceApiServerOptions) {
    this.#options = options;
    this.#log = options.logger.withName("server");
  }

  /** The lifecycle state. */
  get state(): ServerState {
    return this.#state;
  }

  /**
   * Binds every configured listener and starts serving.
   *
   * @throws {Error} when a listener cannot bind; listeners already bound are closed again
   */
  async start(): Promise<BoundListeners> {
    if (this.#state !== "new") throw new Error(`Cannot start the server: it is ${this.#state}`);
    const o = this.#options;
    const bound: BoundListeners = {};
    try {
      if (o.unixSocket || o.grpcAddress) {
        this.#main = this.#newServer(false);
        if (o.unixSocket) {
          bound.unixSocket = await this.#bindSocket(this.#main, o.unixSocket, o.socketMode);
        }
        if (o.grpcAddress) bound.tcpPort = await this.#bindTcp(this.#main, o.grpcAddress);
      }
      if (o.consumerSocket) {
        this.#consumer = this.#newServer(true);
        bound.consumerSocket = await this.#bindSocket(
          this.#consumer,
          o.consumerSocket,
          o.consumerSocketMode,
        );
      }
    } catch (err) {
      this.#forceShutdown();
      await this.#removeSockets();
      this.#state = "stopped";
      throw err;
    }
    this.#state = "serving";
    return bound;
  }

  /**
   * Stops serving. Graceful: stop accepting, end every watch stream with
   * UNAVAILABLE, let in-flight unary calls finish, and force-stop what is
   * left after `timeoutMs`. Not graceful: close every connection now. Either
   * way the socket files are removed. A second call with `graceful: false`
   * turns a graceful stop in progress into a forced one.
   *
   * @returns whether the stop completed without forcing
   */
  async stop(options: { graceful: boolean; timeoutMs: number }): Promise<boolean> {
    if (!options.graceful) this.#forceShutdown();
    if (this.#stopped) {
      await this.#stopped;
      return options.graceful;
    }
    this.#state = "draining";
    let forced = !options.graceful;
    this.#stopped = (async () => {
      // 1. End streams first: grpc-js never finishes a tryShutdown while a stream is open.
      this.#options.store.close(
        new ShuttingDownError(
          "server is shutting down; reconnect and re-watch from your last resource version",
        ),
      );
      for (const extra of this.#options.services ?? []) extra.closeStreams?.();
      // 2. Stop accepting and drain in-flight calls, under a deadline.
      if (!forced) {
        const drained = await this.#tryShutdown(options.timeoutMs);
        if (!drained) {
          forced = true;
          this.#log.warning(
            "Graceful shutdown timed out; closing remaining connections",
            "timeout",
            `${options.timeoutMs}ms`,
          );
          this.#forceShutdown();
        }
      }
      // 3. Remove the socket files so a restarted server binds at once.
      await this.#removeSockets();
      this.#state = "stopped";
    })();
    await this.#stopped;
    return !forced;
  }

  #newServer(readOnly: boolean): grpc.Server {
    const o = this.#options;
    const server = new grpc.Server({
      "grpc.max_receive_message_length": o.maxMessageBytes,
      "grpc.max_send_message_length": o.maxMessageBytes,
      interceptors: o.interceptors ?? [],
    });
    server.addService(
      serviceDefinition(GPU_SERVICE),
      gpuServiceHandlers(o.store, { readOnly, logger: o.logger }),
    );
    for (const extra of o.services ?? []) {
      extra.addTo(server, readOnly);
    }
    return server;
  }

  async #bindSocket(server: grpc.Server, path: string, mode: number): Promise<string> {
    await prepareSocketPath(path);
    await bind(server, `unix://${path}`, grpc.ServerCredentials.createInsecure());
    this.#sockets.push(path);
    await Deno.chmod(path, mode);
    this.#log.info("Listening on Unix socket", "path", path, "mode", `0${mode.toString(8)}`);
    return path;
  }

  async #bindTcp(server: grpc.Server, address: string): Promise<number> {
    const creds = this.#options.tcpCredentials ?? grpc.ServerCredentials.createInsecure();
    const port = await bind(server, address, creds);
    const tls = this.#options.tcpCredentials !== undefined;
    this.#log.info("Listening on TCP", "address", address, "port", port, "tls", tls);
    if (!isLoopback(address)) {
      this.#log.warning(
        tls
          ? "TCP listener is reachable from the network"
          : "TCP listener is reachable from the network without TLS",
        "address",
        address,
      );
    }
    return port;
  }

  #tryShutdown(timeoutMs: number): Promise<boolean> {
    const servers = [this.#main, this.#consumer].filter((s) => s !== undefined);
    const drained = Promise.all(
      servers.map((s) => new Promise<void>((resolve) => s.tryShutdown(() => resolve()))),
    ).then(() => true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<boolean>((
      resolve,
    ) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    return Promise.race([drained, deadline]).finally(() => clearTimeout(timer));
  }

  #forceShutdown(): void {
    this.#main?.forceShutdown();
    this.#consumer?.forceShutdown();
  }

  async #removeSockets(): Promise<void> {
    for (const path of this.#sockets.splice(0)) await removeSocket(path);
  }
}

function bind(
  server: grpc.Server,
  address: string,
  creds: grpc.ServerCredentials,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => {
      if (err) reject(new Error(`Cannot listen on ${address}: ${err.message}`));
      else resolve(port);
    });
  });
}

/** Whether a `host:port` address binds only the loopback interface. */
export function isLoopback(address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
