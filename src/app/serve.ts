/**
 * The server's lifecycle, wired from its parts: build the store, providers,
 * health, metrics, TLS and listeners from a validated configuration; serve
 * until a signal; stop gracefully (or by force on a second signal).
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import { GpuStore } from "../cache/mod.ts";
import type { Logger } from "../logging/mod.ts";
import { createMetrics, MetricsHttpServer, ProviderCollectors } from "../metrics/mod.ts";
import { gpuGate, GrpcHealth, type HttpEndpoint, Readiness, serveHealth } from "../health/mod.ts";
import { type NvmlProvider, startNvmlProvider, storeWriter } from "../nvml/mod.ts";
import { heartbeatInterceptor, ProviderLeases, providerService } from "../providers/mod.ts";
import { DeviceApiServer, onShutdownSignals, reflectionService } from "../server/mod.ts";
import { createNotifier, readNotifyEnv } from "../systemd/mod.ts";
import { StatePersistence } from "../state/mod.ts";
import { startTcpTls, type TcpTls } from "../tls/mod.ts";
import { VERSION } from "../version/mod.ts";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs the server until SIGTERM or SIGINT.
 *
 * @returns the exit status: 0 after a graceful stop, 1 after a forced one or a failed start
 */
export async function serve(config: Config, log: Logger): Promise<number> {
  const startedAt = Date.now();
  log.info(
    "Starting device-api-server",
    "version",
    VERSION,
    "deno",
    Deno.version.deno,
    "pid",
    Deno.pid,
  );
  const metrics = createMetrics({ version: VERSION });
  const providerMetrics = new ProviderCollectors(metrics.registry);
  const store = new GpuStore({
    // A committed write under a provider's identity is also its heartbeat.
    // (`providers` is created below, before anything can write.)
    onCommit: (commit) => {
      metrics.hooks.onCommit(commit);
      providers.onCommit(commit);
      persistence.onCommit(commit.gpu.resourceVersion);
    },
    onLockAcquire: metrics.hooks.onLockAcquire,
    limits: {
      maxGpus: config.maxGpus,
      maxConditions: config.maxConditions,
      maxObjectBytes: config.maxObjectBytes,
      maxWatchers: config.maxWatchers,
      watchQueueSize: config.watchQueueSize,
      watchHistorySize: config.watchHistorySize,
    },
    onEvict: (w) => {
      metrics.hooks.onEvict();
      log.warning(
        "Evicted a watcher that fell behind",
        "queued",
        w.queued,
        "lastResourceVersion",
        w.lastVersion,
      );
    },
  });
  metrics.bind(store);
  const providers = new ProviderLeases({
    store,
    logger: log.withName("providers"),
    onExpire: providerMetrics.hooks.onLeaseExpired,
    builtin: ["nvml"],
    onChange: () => persistence.onProvidersChanged(),
  });
  providerMetrics.bind(providers);
  metrics.labelProviders((name) => providers.metricLabel(name));
  const persistence = new StatePersistence({
    dir: config.stateDir,
    store,
    providers,
    logger: log.withName("state"),
    registry: metrics.registry,
  });
  const state = { listening: false, shuttingDown: false };
  const readiness = new Readiness()
    .add("listeners", () => (state.listening ? null : "gRPC listeners are not bound yet"))
    .add("shutdown", () => (state.shuttingDown ? "server is shutting down" : null))
    .add("state", persistence.readinessCheck)
    .add(
      "gpus",
      gpuGate({
        minGpus: config.readinessMinGpus,
        gracePeriodMs: config.readinessGracePeriodMs,
        startedAt,
        gpuCount: () => store.size,
      }),
    );
  const grpcHealth = new GrpcHealth();
  // TLS on the TCP listener (the Unix sockets stay plaintext); files are re-read on change.
  let tls: TcpTls | undefined;
  if (config.grpcAddress !== "" && config.tlsCertFile !== "") {
    try {
      tls = await startTcpTls({
        certFile: config.tlsCertFile,
        keyFile: config.tlsKeyFile,
        clientCaFile: config.tlsClientCaFile,
        logger: log.withName("tls"),
      });
    } catch (err) {
      log.error(err, "Cannot load the TLS files");
      return 1;
    }
  }
  const server = new DeviceApiServer({
    store,
    logger: log,
    unixSocket: config.unixSocket,
    socketMode: config.socketMode,
    consumerSocket: config.consumerSocket,
    consumerSocketMode: config.consumerSocketMode,
    grpcAddress: config.grpcAddress,
    tcpCredentials: tls?.credentials,
    maxMessageBytes: config.maxMessageBytes,
    interceptors: [metrics.interceptor, heartbeatInterceptor(providers)],
    services: [
      grpcHealth,
      reflectionService(),
      providerService({ leases: providers, store, logger: log }),
    ],
  });
  // Under systemd (Type=notify): READY, STOPPING and watchdog pings; a no-op elsewhere.
  const notifier = createNotifier(readNotifyEnv(), log.withName("systemd"));
  // Signals first, so that a signal arriving during startup is not fatal.
  const { promise: stopped, resolve: done } = Promise.withResolvers<number>();
  const removeSignals = onShutdownSignals({
    graceful: async (signal) => {
      await notifier.stopping();
      log.info(
        "Shutting down gracefully",
        "signal",
        signal,
        "delay",
        `${config.shutdownDelayMs}ms`,
        "timeout",
        `${config.shutdownTimeoutMs}ms`,
      );
      // Report not-ready first, so endpoints stop routing here before draining starts.
      state.shuttingDown = true;
      grpcHealth.setServing(false);
      if (config.shutdownDelayMs > 0) await delay(config.shutdownDelayMs);
      await nvml?.stop(); // no provider writes while draining
      providers.close(); // nor lease expiries
      const clean = await server.stop({ graceful: true, timeoutMs: config.shutdownTimeoutMs });
      await persistence.close().catch((err) => log.error(err, "Cannot write the last checkpoint"));
      await healthEndpoint?.stop();
      log.info("Server stopped", "graceful", clean);
      done(0);
    },
    force: async (signal) => {
      await notifier.stopping();
      log.warning("Second signal: forcing shutdown", "signal", signal);
      await server.stop({ graceful: false, timeoutMs: 0 });
      await persistence.close().catch((err) => log.error(err, "Cannot write the last checkpoint"));
      done(1);
    },
  });
  let healthEndpoint: HttpEndpoint | undefined;
  let nvml: NvmlProvider | undefined;
  let metricsServer: MetricsHttpServer | undefined;
  try {
    // Health first: /livez answers while the gRPC listeners come up.
    if (config.healthPort > 0) {
      healthEndpoint = await serveHealth({
        hostname: config.healthBindAddress,
        port: config.healthPort,
        readiness,
      });
      log.info(
        "Serving health endpoints",
        "address",
        config.healthBindAddress,
        "port",
        healthEndpoint.port,
      );
    }
    // Metrics before gRPC too: scrapes during startup see device_api_server_up 0.
    if (config.metricsPort > 0) {
      metricsServer = new MetricsHttpServer({
        hostname: config.metricsBindAddress,
        port: config.metricsPort,
        registry: metrics.registry,
      });
      const { port } = await metricsServer.start();
      log.info("Serving metrics", "address", config.metricsBindAddress, "port", port);
    }
    await persistence.restore(); // before the listeners: nothing is served from an empty store
    await server.start();
  } catch (err) {
    log.error(err, "Cannot start the server");
    await metricsServer?.stop();
    await healthEndpoint?.stop();
    removeSignals();
    notifier.stop();
    tls?.stop();
    return 1;
  }
  state.listening = true;
  grpcHealth.setServing(true);
  metrics.setUp(true);
  log.info("Server is ready", "resourceVersion", store.resourceVersion);
  await notifier.ready();
  notifier.startWatchdog();
  // The built-in provider starts once the server serves: a missing driver is never fatal.
  if (config.enableNvmlProvider) {
    nvml = await startNvmlProvider({
      writer: storeWriter(store),
      logger: log.withName("nvml"),
      driverRoot: config.nvmlDriverRoot,
      libraryPath: config.nvmlLibraryPath || undefined,
      ignoredXids: config.nvmlIgnoredXids,
      ignoreAllXids: config.ignoreAllXids,
      criticalXids: config.nvmlCriticalXids,
    });
    metrics.setNvmlUp(nvml.up);
  }

  const code = await stopped;
  removeSignals();
  await nvml?.stop();
  metrics.setUp(false);
  await metricsServer?.stop();
  notifier.stop();
  tls?.stop();
  return code;
}
