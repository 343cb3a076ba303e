/**
 * Where the server's components are created from a validated configuration:
 * one function per component group, so wiring a new option is a line here,
 * while the order in which they start and stop lives in `lifecycle.ts`.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import { GpuStore, IN_FLIGHT_MESSAGES } from "../cache/mod.ts";
import type { Logger } from "../logging/mod.ts";
import {
  createMetrics,
  type Metrics,
  ProviderCollectors,
  QuotaCollectors,
} from "../metrics/mod.ts";
import { gpuGate, GrpcHealth, Readiness } from "../health/mod.ts";
import {
  NVML_PROVIDER_NAME,
  type NvmlProvider,
  startNvmlProvider,
  storeWriter,
} from "../nvml/mod.ts";
import {
  heartbeatingWriter,
  heartbeatInterceptor,
  ProviderLeases,
  providerService,
} from "../providers/mod.ts";
import {
  DeviceApiServer,
  type Reflection,
  reflectionService,
  type TransportLimits,
  WatchQuota,
} from "../server/mod.ts";
import { memoryPlanLogFields, planServerMemory } from "../runtime/mod.ts";
import { StatePersistence } from "../state/mod.ts";
import { createNotifier, type Notifier, readNotifyEnv } from "../systemd/mod.ts";
import { startTcpTls, type TcpTls } from "../tls/mod.ts";
import { serverInfoService, VERSION } from "../version/mod.ts";

/** What readiness reads; only the lifecycle writes it. */
export interface LifecycleFlags {
  /** Every gRPC listener is bound. */
  listening: boolean;
  /** Shutdown has begun. */
  shuttingDown: boolean;
  /** Why a socket file is not ours (removed, replaced), or null; set once the server exists. */
  socketProblem: () => string | null;
}

/** The components that exist before anything binds. */
export interface Components {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly store: GpuStore;
  readonly providers: ProviderLeases;
  /** Checkpoints of the store in the state directory (a no-op without one). */
  readonly persistence: StatePersistence;
  readonly flags: LifecycleFlags;
  readonly readiness: Readiness;
  readonly grpcHealth: GrpcHealth;
  readonly reflection: Reflection;
  /** Watch slots per connection and per listener. */
  readonly watchQuota: WatchQuota;
  readonly quotaMetrics: QuotaCollectors;
  /** Under systemd (Type=notify): READY, STOPPING and watchdog pings; a no-op elsewhere. */
  readonly notifier: Notifier;
}

/**
 * Creates the store, providers, metrics, readiness, gRPC health and the
 * systemd notifier; nothing binds, nothing starts.
 *
 * @param config the validated configuration
 * @param log the root logger
 * @returns the components, for {@linkcode ServerLifecycle}
 */
export function createComponents(config: Config, log: Logger): Components {
  const startedAt = Date.now();
  const metrics = createMetrics({ version: VERSION });
  const providerMetrics = new ProviderCollectors(metrics.registry);
  const memory = planServerMemory(config);
  log.info("Memory budget", ...memoryPlanLogFields(memory));
  if (memory.worstCaseBytes > memory.limitBytes) {
    log.warning("The worst case of the memory budget exceeds the memory limit; lower the limits");
  }
  const store = new GpuStore({
    // Heartbeats are not recorded here but where writes arrive (heartbeatInterceptor).
    onCommit: (commit) => {
      metrics.hooks.onCommit(commit);
      persistence.onCommit(commit.gpu.resourceVersion);
    },
    onLockAcquire: metrics.hooks.onLockAcquire,
    limits: {
      maxGpus: config.maxGpus,
      maxConditions: config.maxConditions,
      maxObjectBytes: config.maxObjectBytes,
      maxListBytes: config.maxMessageBytes,
      maxWatchers: config.maxWatchers,
      watchQueueSize: config.watchQueueSize,
      watchQueueBytes: memory.watchQueueBytes,
      watchQueuePoolBytes: memory.watchQueuePoolBytes,
      watchHistorySize: config.watchHistorySize,
      watchHistoryBytes: memory.watchHistoryBytes,
    },
    onEvict: (w) => {
      metrics.hooks.onEvict();
      log.warning(
        "Evicted a watcher that fell behind",
        "queued",
        w.queued,
        "queuedBytes",
        w.queuedBytes,
        "writtenResourceVersion",
        w.writtenVersion,
      );
    },
  });
  metrics.bind(store);
  const providers = new ProviderLeases({
    store,
    logger: log.withName("providers"),
    onExpire: providerMetrics.hooks.onLeaseExpired,
    builtin: [NVML_PROVIDER_NAME],
    onChange: () => persistence.onProvidersChanged(),
  });
  providerMetrics.bind(providers);
  metrics.labelProviders((name) => providers.metricLabel(name));
  // (`persistence` is used by the hooks above only once something writes, after this.)
  const persistence = new StatePersistence({
    dir: config.stateDir,
    store,
    providers,
    logger: log.withName("state"),
    registry: metrics.registry,
  });
  const flags: LifecycleFlags = {
    listening: false,
    shuttingDown: false,
    socketProblem: () => null,
  };
  const readiness = new Readiness()
    .add("listeners", () => (flags.listening ? null : "gRPC listeners are not bound yet"))
    .add("sockets", () => flags.socketProblem())
    .add("shutdown", () => (flags.shuttingDown ? "server is shutting down" : null))
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
  // Client quotas: each refusal is counted under the quota's name.
  const quotaMetrics = new QuotaCollectors(metrics.registry);
  const watchQuota = new WatchQuota({
    maxWatchers: config.maxWatchers,
    perConnection: config.maxWatchersPerConnection,
    // Nothing to reserve without a provider socket.
    providerReserved: config.unixSocket === "" ? 0 : config.providerReservedWatchers,
  }, { onReject: quotaMetrics.onReject });
  const grpcHealth = new GrpcHealth({
    maxWatches: config.maxHealthWatchers,
    onReject: () => quotaMetrics.onReject("health_watchers"),
  });
  const reflection = reflectionService({
    maxStreams: config.maxReflectionStreams,
    onReject: () => quotaMetrics.onReject("reflection_streams"),
  });
  return {
    config,
    log,
    metrics,
    store,
    providers,
    persistence,
    flags,
    readiness,
    grpcHealth,
    reflection,
    watchQuota,
    quotaMetrics,
    notifier: createNotifier(readNotifyEnv(), log.withName("systemd")),
  };
}

/**
 * Loads the TCP listener's TLS files (watched and re-read on change); the Unix
 * sockets stay plaintext.
 *
 * @returns the TLS state, or undefined when TCP is off or TLS is not configured
 * @throws {Error} when the files cannot be loaded
 */
export async function createTcpTls(c: Components): Promise<TcpTls | undefined> {
  const { config } = c;
  if (config.grpcAddress === "" || config.tlsCertFile === "") return undefined;
  return await startTcpTls({
    certFile: config.tlsCertFile,
    keyFile: config.tlsKeyFile,
    clientCaFile: config.tlsClientCaFile,
    logger: c.log.withName("tls"),
  });
}

/** Creates the gRPC server (not bound yet) with every service and interceptor. */
export function createGrpcServer(c: Components, tls: TcpTls | undefined): DeviceApiServer {
  const { config, log, store, providers } = c;
  return new DeviceApiServer({
    store,
    logger: log,
    unixSocket: config.unixSocket,
    socketMode: config.socketMode,
    consumerSocket: config.consumerSocket,
    consumerSocketMode: config.consumerSocketMode,
    grpcAddress: config.grpcAddress,
    tcpTls: tls,
    maxMessageBytes: config.maxMessageBytes,
    transport: transportLimits(config),
    watchQuota: c.watchQuota,
    onQuotaRejected: (quota) => c.quotaMetrics.onReject(quota),
    interceptors: [c.metrics.interceptor, heartbeatInterceptor(providers)],
    services: [
      c.grpcHealth,
      c.reflection,
      serverInfoService(),
      providerService({ leases: providers, store, logger: log }),
    ],
  });
}

/** The per-connection limits of the configuration. */
export function transportLimits(config: Config): Required<TransportLimits> {
  return {
    maxConcurrentStreams: config.maxConcurrentStreams,
    maxSessionMemoryMib: config.maxSessionMemoryMib,
    keepaliveTimeMs: config.keepaliveTimeMs,
    keepaliveTimeoutMs: config.keepaliveTimeoutMs,
    maxConnectionIdleMs: config.maxConnectionIdleMs,
    maxConnections: config.maxConnections,
    // The memory budget's in-flight term, enforced for messages still arriving.
    maxHeldBytes: IN_FLIGHT_MESSAGES * config.maxMessageBytes,
  };
}

/** Binds the quota gauges to the quotas and the server's listeners. */
export function bindQuotaMetrics(c: Components, server: DeviceApiServer): void {
  const { config } = c;
  const transport = transportLimits(config);
  c.quotaMetrics.bind({
    limits: () => ({
      watchers_per_connection: config.maxWatchersPerConnection,
      consumer_watchers: c.watchQuota.consumerShare,
      health_watchers: config.maxHealthWatchers,
      reflection_streams: config.maxReflectionStreams,
      max_concurrent_streams: config.maxConcurrentStreams,
      session_memory_bytes: config.maxSessionMemoryMib * 1024 * 1024,
      keepalive_time_seconds: config.keepaliveTimeMs / 1000,
      keepalive_timeout_seconds: config.keepaliveTimeoutMs / 1000,
      connection_idle_seconds: config.maxConnectionIdleMs / 1000,
      connections_per_listener: transport.maxConnections,
      held_bytes: transport.maxHeldBytes,
    }),
    inUse: () => ({
      watchers_per_connection: c.watchQuota.busiestConnection,
      consumer_watchers: c.watchQuota.consumerWatchers,
      health_watchers: c.grpcHealth.watches,
      reflection_streams: c.reflection.streams,
      connections_per_listener: Math.max(0, ...server.connections().map((l) => l.count)),
      held_bytes: server.heldBytes,
    }),
    connections: () => server.connections(),
  });
}

/**
 * Starts the built-in NVML provider in the background (nvmlInit may take seconds; NVML never
 * runs on this thread); a missing driver is never fatal.
 */
export function createNvmlProvider(c: Components): NvmlProvider {
  const { config } = c;
  return startNvmlProvider({
    writer: heartbeatingWriter(storeWriter(c.store), c.providers, NVML_PROVIDER_NAME),
    logger: c.log.withName("nvml"),
    driverRoot: config.nvmlDriverRoot,
    libraryPath: config.nvmlLibraryPath || undefined,
    ignoredXids: config.nvmlIgnoredXids,
    ignoreAllXids: config.ignoreAllXids,
    criticalXids: config.nvmlCriticalXids,
    callTimeoutMs: config.nvmlCallTimeoutMs,
    pollIntervalMs: config.nvmlPollIntervalMs,
    onStateChange: c.metrics.nvml.onState,
    onXid: c.metrics.nvml.onXid,
    onSignal: c.metrics.nvml.onSignal,
  });
}
