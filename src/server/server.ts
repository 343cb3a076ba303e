/**
 * The gRPC server's lifecycle: bind the listeners, serve, and stop either
 * gracefully (drain under a deadline) or by force.
 *
 * Two grpc-js servers may run: the main one (Unix socket and TCP, reads and
 * writes) and an optional read-only one on the consumer socket. They share
 * the store, so both see the same state and the same watch events. The
 * server owns every listener (`UnixListener`, `TcpListener`, which also
 * terminates TLS) and hands accepted connections to grpc-js. Transport limits (streams per connection, session
 * memory, keepalive, idle timeout) apply to every connection.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { GPU_SERVICE, serviceDefinition } from "../api/mod.ts";
import type { GpuStore } from "../cache/mod.ts";
import type { Logger } from "../logging/mod.ts";
import { ConnectionLimit } from "./connection_limit.ts";
import { HeldBytesBudget } from "./held_bytes.ts";
import { responseBytesInterceptor } from "./response_bytes_interceptor.ts";
import { ThrottledWarning } from "./throttled_warning.ts";
import { gpuServiceHandlers } from "./gpu_service.ts";
import { isLoopback, parseHostPort } from "../config/mod.ts";
import type { ListenerName } from "./peer.ts";
import { TcpListener, type TcpListenerTls } from "./tcp_listener.ts";
import { UnixListener } from "./unix_listener.ts";
import type { WatchQuota } from "./watch_quota.ts";

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
  /** TLS of the TCP listener; plaintext when absent. */
  tcpTls?: TcpListenerTls;
  maxMessageBytes: number;
  interceptors?: grpc.ServerInterceptor[];
  services?: ExtraService[];
  /** Per-connection limits; grpc-js defaults where absent. */
  transport?: TransportLimits;
  /** Watch slots per connection and listener; none when absent. */
  watchQuota?: WatchQuota;
  /** Milliseconds between checks of the socket files (see UnixListener). */
  socketCheckIntervalMs?: number;
  /** Counts a connection closed over a transport bound, by the quota's name. */
  onQuotaRejected?: (quota: "connections_per_listener" | "held_bytes") => void;
}

/** Limits every connection is held to. */
export interface TransportLimits {
  /** HTTP/2 streams (calls) open at once per connection. */
  maxConcurrentStreams: number;
  /** HTTP/2 session memory per connection, in MiB; beyond it new streams are refused. */
  maxSessionMemoryMib: number;
  /** Ping the client this long after the last ping answer; 0 never pings. */
  keepaliveTimeMs: number;
  /** Close the connection when a ping is not answered within this. */
  keepaliveTimeoutMs: number;
  /** Close a connection without calls for this long; 0 never does. */
  maxConnectionIdleMs: number;
  /** Open connections per listener; more are closed as they are accepted. No bound when absent. */
  maxConnections?: number;
  /**
   * Bytes connections hold in the server, over every connection: request
   * messages begun and not complete, ListGpus responses written and not yet
   * sent; beyond it the connection holding the most is closed. No bound
   * when absent.
   */
  maxHeldBytes?: number;
}

/** Where the server listens once started. */
export interface BoundListeners {
  unixSocket?: string;
  consumerSocket?: string;
  /** The TCP port actually bound (useful with port 0). */
  tcpPort?: number;
}

/** Options of {@linkcode DeviceApiServer.stop}. */
export interface StopOptions {
  /** Drain in-flight calls first (true) or close every connection now (false). */
  graceful: boolean;
  /** Longest drain before the remaining connections are closed. */
  timeoutMs: number;
  /** Aborting it turns a graceful stop in progress into a forced one. */
  signal?: AbortSignal;
}

/** Lifecycle states, in order. */
export type ServerState = "new" | "serving" | "draining" | "stopped";

/** The Device API gRPC server. */
export class DeviceApiServer {
  readonly #options: DeviceApiServerOptions;
  readonly #log: Logger;
  #main: grpc.Server | undefined;
  #consumer: grpc.Server | undefined;
  readonly #listeners: UnixListener[] = []; // Unix sockets bound, in bind order
  #tcp: TcpListener | undefined;
  // One bound for every listener's connections.
  readonly #held: HeldBytesBudget | undefined;
  #state: ServerState = "new";
  #stopped: Promise<boolean> | undefined;

  /** Creates a server; nothing binds until {@linkcode DeviceApiServer.start}. */
  constructor(options: DeviceApiServerOptions) {
    this.#options = options;
    this.#log = options.logger.withName("server");
    this.#held = this.#heldBytesBudget();
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
          bound.unixSocket = await this.#bindSocket(this.#main, "unix-socket", o.socketMode);
        }
        if (o.grpcAddress) bound.tcpPort = await this.#bindTcp(this.#main, o.grpcAddress);
      }
      if (o.consumerSocket) {
        this.#consumer = this.#newServer(true);
        bound.consumerSocket = await this.#bindSocket(
          this.#consumer,
          "consumer-socket",
          o.consumerSocketMode,
        );
      }
    } catch (err) {
      this.#forceShutdown();
      await this.#closeListeners();
      this.#state = "stopped";
      throw err;
    }
    this.#state = "serving";
    return bound;
  }

  /** Why a socket file is not ours right now (removed, replaced), or null; for readiness. */
  socketProblem(): string | null {
    for (const listener of this.#listeners) {
      const problem = listener.problem();
      if (problem !== null) return problem;
    }
    return null;
  }

  /** Open connections on each listener (TCP: those past the TLS handshake, when TLS is on). */
  connections(): { listener: ListenerName; count: number }[] {
    const open: { listener: ListenerName; count: number }[] = this.#listeners.map((l) => ({
      listener: l.name,
      count: l.connections,
    }));
    if (this.#tcp) open.push({ listener: "tcp", count: this.#tcp.connections });
    return open;
  }

  /**
   * Stops serving, as grpc-go's `stop(graceful)`. Graceful: stop accepting,
   * end the extra services' streams (health, reflection), let in-flight calls
   * finish, and force-stop what is left after `timeoutMs` or when `signal`
   * aborts. Not graceful: close every connection now. Either way the socket
   * files this server created are removed. GpuService watches are the
   * store's: end them first (grpc-js never finishes a drain while a stream is
   * open). A second call with `graceful: false` turns a graceful stop in
   * progress into a forced one.
   *
   * @returns whether the stop completed without forcing
   */
  async stop(options: StopOptions): Promise<boolean> {
    if (!options.graceful) this.#forceShutdown();
    this.#stopped ??= this.#shutdown(options);
    return await this.#stopped;
  }

  async #shutdown(options: StopOptions): Promise<boolean> {
    this.#state = "draining";
    let forced = !options.graceful;
    // 0. Stop accepting on the listeners we own, and unlink our Unix socket files.
    await this.#closeListeners();
    // 1. End the streams of the extra services (health Watch, reflection).
    for (const extra of this.#options.services ?? []) extra.closeStreams?.();
    // Their statuses are written on a later turn of the event loop; a session
    // closed before that resets the streams instead (INTERNAL for the client).
    await new Promise((resolve) => setTimeout(resolve, 0));
    // 2. Stop accepting and drain in-flight calls, under the deadline.
    if (!forced) {
      const drained = await this.#tryShutdown(options.timeoutMs, options.signal);
      if (!drained) {
        forced = true;
        if (!options.signal?.aborted) {
          this.#log.warning(
            "Graceful shutdown timed out; closing remaining connections",
            "timeout",
            `${options.timeoutMs}ms`,
          );
        }
        this.#forceShutdown();
      }
    }
    this.#state = "stopped";
    return !forced;
  }

  #newServer(readOnly: boolean): grpc.Server {
    const o = this.#options;
    const t = o.transport;
    const server = new grpc.Server({
      "grpc.max_receive_message_length": o.maxMessageBytes,
      "grpc.max_send_message_length": o.maxMessageBytes,
      // Channelz stamps a Date per call and per stream for an admin API this server never serves.
      "grpc.enable_channelz": 0,
      ...(t && {
        "grpc.max_concurrent_streams": t.maxConcurrentStreams,
        "grpc-node.max_session_memory": t.maxSessionMemoryMib,
        "grpc.keepalive_time_ms": t.keepaliveTimeMs,
        "grpc.keepalive_timeout_ms": t.keepaliveTimeoutMs,
        ...(t.maxConnectionIdleMs > 0 && { "grpc.max_connection_idle_ms": t.maxConnectionIdleMs }),
      }),
      interceptors: [
        ...(o.interceptors ?? []),
        ...(this.#held ? [responseBytesInterceptor(this.#held)] : []),
      ],
    });
    server.addService(
      serviceDefinition(GPU_SERVICE),
      gpuServiceHandlers(o.store, { readOnly, logger: o.logger, watchQuota: o.watchQuota }),
    );
    for (const extra of o.services ?? []) {
      extra.addTo(server, readOnly);
    }
    return server;
  }

  async #bindSocket(
    server: grpc.Server,
    name: "unix-socket" | "consumer-socket",
    mode: number,
  ): Promise<string> {
    const o = this.#options;
    const path = name === "unix-socket" ? o.unixSocket : o.consumerSocket;
    const listener = new UnixListener({
      name,
      path,
      mode,
      injector: server.createConnectionInjector(grpc.ServerCredentials.createInsecure()),
      logger: this.#log,
      checkIntervalMs: o.socketCheckIntervalMs,
      limit: this.#connectionLimit(name),
      held: this.#held,
    });
    await listener.start();
    this.#listeners.push(listener);
    return path;
  }

  /** Bytes connections hold: unfinished requests and unread ListGpus responses (0 without a bound). */
  get heldBytes(): number {
    return this.#held?.bytes ?? 0;
  }

  #heldBytesBudget(): HeldBytesBudget | undefined {
    const max = this.#options.transport?.maxHeldBytes;
    if (max === undefined) return undefined;
    const warning = new ThrottledWarning(
      this.#log,
      "Closed the client connection holding the most of the unfinished requests and unread responses",
    );
    return new HeldBytesBudget(max, this.#options.maxMessageBytes, (bytes) => {
      this.#options.onQuotaRejected?.("held_bytes");
      warning.note("heldBytes", bytes, "limitBytes", max);
    });
  }

  #connectionLimit(listener: ListenerName): ConnectionLimit | undefined {
    const max = this.#options.transport?.maxConnections;
    if (max === undefined) return undefined;
    return new ConnectionLimit({
      max,
      listener,
      logger: this.#log,
      onReject: () => this.#options.onQuotaRejected?.("connections_per_listener"),
    });
  }

  async #bindTcp(server: grpc.Server, address: string): Promise<number> {
    const tls = this.#options.tcpTls !== undefined;
    this.#tcp = new TcpListener({
      address,
      // TLS, when on, is terminated by the listener: grpc-js gets the decrypted connection.
      injector: server.createConnectionInjector(grpc.ServerCredentials.createInsecure()),
      logger: this.#log,
      tls: this.#options.tcpTls,
      limit: this.#connectionLimit("tcp"),
      held: this.#held,
    });
    const port = await this.#tcp.start();
    this.#log.info("Listening on TCP", "address", address, "port", port, "tls", tls);
    if (!isLoopback(parseHostPort(address).host)) {
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

  // Resolves true once every server drained, false at the deadline or on abort.
  #tryShutdown(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    const servers = [this.#main, this.#consumer].filter((s) => s !== undefined);
    const drained = Promise.all(
      servers.map((s) => new Promise<void>((resolve) => s.tryShutdown(() => resolve()))),
    ).then(() => true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort = () => {};
    const cut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      onAbort = () => resolve(false);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    return Promise.race([drained, cut]).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  }

  #forceShutdown(): void {
    this.#main?.forceShutdown();
    this.#consumer?.forceShutdown();
  }

  async #closeListeners(): Promise<void> {
    this.#tcp?.stop();
    this.#tcp = undefined;
    for (const listener of this.#listeners.splice(0)) await listener.stop();
  }
}
