/**
 * The one owner of the server's lifecycle: ordered start (bind, then ready)
 * and one private `#shutdown(graceful)` with ordered stop steps, as grpc-go's
 * `Server.stop(graceful)`.
 *
 * Phases only move forward: new → starting → serving → stopping → stopped.
 * A stop requested while starting lets the start finish the step it is in,
 * start nothing more (no READY, no NVML), then stops what was started.
 *
 * @module
 */
import { ShuttingDownError } from "../cache/mod.ts";
import type { HttpEndpoint } from "../health/mod.ts";
import { serveHealth } from "../health/mod.ts";
import { MetricsHttpServer } from "../metrics/mod.ts";
import type { NvmlProvider } from "../nvml/mod.ts";
import type { DeviceApiServer } from "../server/mod.ts";
import type { TcpTls } from "../tls/mod.ts";
import { VERSION } from "../version/mod.ts";
import {
  bindQuotaMetrics,
  type Components,
  createGrpcServer,
  createNvmlProvider,
  createTcpTls,
} from "./components.ts";

/** Lifecycle phases, in order. */
export type Phase = "new" | "starting" | "serving" | "stopping" | "stopped";

/** Exit status after a graceful stop. */
const EXIT_OK = 0;
/** Exit status after a forced stop or a failed start. */
const EXIT_FAILED = 1;

/** Starts the components in order, serves, and stops them in the reverse order. */
export class ServerLifecycle {
  readonly #c: Components;
  #phase: Phase = "new";
  // Set by the first stop request. Every start step checks it before starting
  // something, so nothing starts once shutdown has begun.
  #stopRequested = false;
  // Aborted by a forced stop (second signal, failed start): cuts the shutdown
  // delay, the drain and any step that may hang (NVML) short.
  readonly #force = new AbortController();
  readonly #exit = Promise.withResolvers<number>();
  // The start in progress; shutdown waits for it to reach its next check.
  #startup: Promise<void> = Promise.resolve();
  // The components started so far; shutdown stops exactly these.
  #health: HttpEndpoint | undefined;
  #metricsServer: MetricsHttpServer | undefined;
  #tls: TcpTls | undefined;
  #server: DeviceApiServer | undefined;
  #nvml: NvmlProvider | undefined;

  /** Wraps components built by `createComponents`; nothing starts until {@linkcode run}. */
  constructor(components: Components) {
    this.#c = components;
  }

  /** The current phase. */
  get phase(): Phase {
    return this.#phase;
  }

  /**
   * Starts every component, serves until {@linkcode stop} or
   * {@linkcode forceStop}, and stops.
   *
   * @returns the exit status: 0 after a graceful stop, 1 after a forced one or a failed start
   */
  async run(): Promise<number> {
    if (this.#phase !== "new") throw new Error(`Cannot run the server: it is ${this.#phase}`);
    this.#startup = this.#start();
    await this.#startup;
    return await this.#exit.promise;
  }

  /**
   * Begins a graceful stop (first SIGTERM or SIGINT): not ready, STOPPING,
   * the shutdown delay, end watches, drain in-flight calls under the shutdown
   * timeout. Synchronous, so it fits a signal callback; later calls are no-ops.
   */
  stop(signal: string): void {
    if (this.#stopRequested) return;
    const { config, log } = this.#c;
    log.info(
      "Shutting down gracefully",
      "signal",
      signal,
      "delay",
      `${config.shutdownDelayMs}ms`,
      "timeout",
      `${config.shutdownTimeoutMs}ms`,
    );
    this.#begin(true);
  }

  /**
   * Forces the stop (a later signal): closes every connection now, stops the
   * HTTP endpoints and exits 1, also in the middle of a graceful stop.
   */
  forceStop(signal: string): void {
    if (this.#force.signal.aborted) return;
    this.#c.log.warning("Second signal: forcing shutdown", "signal", signal);
    this.#begin(false);
  }

  // Runs #shutdown once; a forced request during a graceful one aborts the
  // waits of the running shutdown instead of starting a second one.
  #begin(graceful: boolean): void {
    if (!graceful) this.#force.abort();
    if (this.#stopRequested) return;
    this.#stopRequested = true;
    this.#shutdown(graceful).then(
      (code) => this.#exit.resolve(code),
      (err) => {
        this.#c.log.error(err, "Cannot stop the server cleanly");
        this.#exit.resolve(EXIT_FAILED);
      },
    );
  }

  // Ordered start. Returns early (starting nothing more) once a stop was requested.
  async #start(): Promise<void> {
    const c = this.#c;
    const { config, log } = c;
    this.#phase = "starting";
    log.info(
      "Starting device-api-server",
      "version",
      VERSION,
      "deno",
      Deno.version.deno,
      "pid",
      Deno.pid,
    );
    let step = "Cannot start the server";
    try {
      // 1. Health first: /livez answers while the rest comes up.
      if (config.healthPort > 0) {
        this.#health = await serveHealth({
          hostname: config.healthBindAddress,
          port: config.healthPort,
          readiness: c.readiness,
        });
        log.info(
          "Serving health endpoints",
          "address",
          config.healthBindAddress,
          "port",
          this.#health.port,
        );
      }
      if (this.#stopRequested) return;
      // 2. Metrics before gRPC too: scrapes during startup see device_api_server_up 0.
      if (config.metricsPort > 0) {
        this.#metricsServer = new MetricsHttpServer({
          hostname: config.metricsBindAddress,
          port: config.metricsPort,
          registry: c.metrics.registry,
        });
        const { port } = await this.#metricsServer.start();
        log.info("Serving metrics", "address", config.metricsBindAddress, "port", port);
      }
      if (this.#stopRequested) return;
      // 3. The checkpoint, before the listeners: nothing is served from an empty store.
      step = "Cannot restore the state";
      await c.persistence.restore();
      if (this.#stopRequested) return;
      // 4. Bind: TLS files for the TCP listener, then every gRPC listener.
      step = "Cannot load the TLS files";
      this.#tls = await createTcpTls(c);
      if (this.#stopRequested) return;
      step = "Cannot start the server";
      const server = createGrpcServer(c, this.#tls);
      this.#server = server;
      bindQuotaMetrics(c, server);
      // A socket file removed or replaced fails readiness at once (see UnixListener).
      c.flags.socketProblem = () => server.socketProblem();
      await server.start();
    } catch (err) {
      log.error(err, step);
      this.#begin(false);
      return;
    }
    // 5. Ready, synchronously after the last check: a stop requested from
    //    here on waits for this start, so READY always precedes STOPPING.
    if (this.#stopRequested) return;
    this.#phase = "serving";
    c.flags.listening = true;
    c.grpcHealth.setServing(true);
    c.metrics.setUp(true);
    log.info("Server is ready", "resourceVersion", c.store.resourceVersion);
    await c.notifier.ready();
    c.notifier.startWatchdog();
    // 6. The built-in provider once the server serves; not awaited, so a slow
    //    driver never delays a stop. Never started once a stop was requested.
    if (config.enableNvmlProvider && !this.#stopRequested) this.#nvml = createNvmlProvider(c);
  }

  /**
   * Stops everything that was started, in order. Graceful: each step may take
   * its time (bounded by the shutdown delay and timeout). Forced (or a forced
   * request while running): waits are cut short and connections are closed.
   *
   * @returns the exit status
   */
  async #shutdown(graceful: boolean): Promise<number> {
    const c = this.#c;
    const { config, log } = c;
    const force = this.#force.signal;
    // 0. Let a start in progress reach its next check; it starts nothing more.
    await this.#untilForced(this.#startup);
    this.#phase = "stopping";
    // 1. Not ready, so endpoints stop routing here before draining starts.
    c.flags.shuttingDown = true;
    c.grpcHealth.setServing(false);
    // 2. Tell systemd (never before READY: see step 0).
    await this.#untilForced(c.notifier.stopping());
    // 3. Keep serving through the shutdown delay while load balancers notice.
    if (graceful && config.shutdownDelayMs > 0) {
      await delay(config.shutdownDelayMs, force);
    }
    // 4. No writes of our own while draining: NVML (once its start is over) and lease expiries.
    c.providers.close();
    await this.#untilForced(this.#nvml?.stop());
    // 5. End every watch with UNAVAILABLE: grpc-js never drains while a stream is open.
    endWatchers(c);
    // 6. Drain in-flight calls under the timeout, then force; removes our socket files.
    const drained = await this.#server?.stop({
      graceful: !force.aborted,
      timeoutMs: config.shutdownTimeoutMs,
      signal: force,
    }) ?? true;
    // 7. The last checkpoint, after the last write (forced stops too: it is one small file).
    await c.persistence.close().catch((err) => log.error(err, "Cannot write the last checkpoint"));
    // 8. The HTTP endpoints, systemd, TLS file watches.
    c.metrics.setUp(false);
    await this.#metricsServer?.stop();
    await this.#health?.stop();
    c.notifier.stop();
    this.#tls?.stop();
    this.#phase = "stopped";
    if (force.aborted) return EXIT_FAILED;
    log.info("Server stopped", "graceful", drained);
    return EXIT_OK;
  }

  // Waits for `promise`, or less when a forced stop is requested.
  #untilForced(promise: Promise<unknown> | undefined): Promise<unknown> {
    const force = this.#force.signal;
    if (promise === undefined || force.aborted) return Promise.resolve();
    return Promise.race([
      promise.catch((err) => this.#c.log.error(err, "Shutdown step failed")),
      new Promise<void>((resolve) =>
        force.addEventListener("abort", () => resolve(), { once: true })
      ),
    ]);
  }
}

// The one place watches are ended at shutdown. The store refuses watches
// that arrive later with the same UNAVAILABLE once it has a closed state.
function endWatchers(c: Components): void {
  c.store.close(
    new ShuttingDownError(
      "server is shutting down; reconnect and re-watch from your last resource version",
    ),
  );
}

// Resolves after `ms`, or at once when `signal` aborts (no timer left behind).
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
