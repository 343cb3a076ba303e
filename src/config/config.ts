/** Log line encodings the server can write. */
export type LogFormat = "text" | "json";

/**
 * Validated server settings; one field per flag (see FLAGS), so components never read flags
 * or the environment themselves.
 */
export interface Config {
  /** Provider+consumer gRPC Unix socket, absolute; "" disables it. */
  readonly unixSocket: string;
  /** File mode of the Unix socket, e.g. 0o660. */
  readonly socketMode: number;
  /** Read-only consumer gRPC Unix socket, absolute; "" disables it. */
  readonly consumerSocket: string;
  /** File mode of the consumer socket, e.g. 0o666. */
  readonly consumerSocketMode: number;
  /** TCP gRPC listener as HOST:PORT (IPv6 in brackets); "" disables it. */
  readonly grpcAddress: string;
  /** Lets the TCP listener bind a non-loopback host without TLS. */
  readonly allowInsecureNonLoopback: boolean;
  /** PEM certificate for the TCP listener, absolute; "" means no TLS. */
  readonly tlsCertFile: string;
  /** PEM private key for the TCP listener, absolute; "" means no TLS. */
  readonly tlsKeyFile: string;
  /** PEM CA bundle that client certificates must chain to (mutual TLS); "" means off. */
  readonly tlsClientCaFile: string;
  /** Host the HTTP health server binds (IP literal or localhost). */
  readonly healthBindAddress: string;
  /** Port of /healthz, /livez and /readyz; 0 disables the health server. */
  readonly healthPort: number;
  /** Host the metrics server binds (IP literal or localhost). */
  readonly metricsBindAddress: string;
  /** Port of /metrics; 0 disables the metrics server. */
  readonly metricsPort: number;
  /** Longest graceful drain before a forced stop, in milliseconds. */
  readonly shutdownTimeoutMs: number;
  /** How long /readyz reports not-ready before draining starts, in milliseconds. */
  readonly shutdownDelayMs: number;
  /** klog text or JSON log lines. */
  readonly logFormat: LogFormat;
  /** klog verbosity, 0–10. */
  readonly verbosity: number;
  /** Node name attached to logs; "" when unknown. */
  readonly nodeName: string;
  /** State directory (checkpoint, version mark), absolute; "" persists nothing. */
  readonly stateDir: string;
  /** Server-wide GPU limit. */
  readonly maxGpus: number;
  /** Conditions allowed per GPU. */
  readonly maxConditions: number;
  /** Encoded size limit per GPU object, in bytes. */
  readonly maxObjectBytes: number;
  /** gRPC message size limit, in bytes. */
  readonly maxMessageBytes: number;
  /** Concurrent watch streams allowed. */
  readonly maxWatchers: number;
  /** Events queued per watcher before it is evicted. */
  readonly watchQueueSize: number;
  /** Events kept so watches can resume. */
  readonly watchHistorySize: number;
  /** Bytes the watch history may retain; 0 sizes it from the memory limit. */
  readonly watchHistoryBytes: number;
  /** Bytes of events queued per watcher before it is evicted; 0 sizes it from the memory limit. */
  readonly watchQueueBytes: number;
  /** Runs the built-in NVML provider (inactive when the library is absent). */
  readonly enableNvmlProvider: boolean;
  /** Root under which libnvidia-ml.so.1 is searched, absolute. */
  readonly nvmlDriverRoot: string;
  /** Explicit libnvidia-ml path, absolute; "" means search under nvmlDriverRoot. */
  readonly nvmlLibraryPath: string;
  /** Extra XIDs to ignore, sorted and unique. */
  readonly nvmlIgnoredXids: readonly number[];
  /** True when --nvml-ignored-xids=all: every XID not in nvmlCriticalXids is ignored. */
  readonly ignoreAllXids: boolean;
  /** XIDs always treated as critical, sorted and unique. */
  readonly nvmlCriticalXids: readonly number[];
  /** Limit of one NVML call in milliseconds (at least 1). */
  readonly nvmlCallTimeoutMs: number;
  /** Pause between polls of the GPU signals in milliseconds (0: no polling). */
  readonly nvmlPollIntervalMs: number;
  /** GPUs /readyz waits for (0: do not wait). */
  readonly readinessMinGpus: number;
  /** After this long since start /readyz stops waiting for GPUs, in milliseconds (0: no limit). */
  readonly readinessGracePeriodMs: number;
  /** Watch streams one client connection may hold. */
  readonly maxWatchersPerConnection: number;
  /** Watch slots only the provider socket may use. */
  readonly providerReservedWatchers: number;
  /** Client connections each listener holds open. */
  readonly maxConnections: number;
  /** HTTP/2 streams open at once per connection. */
  readonly maxConcurrentStreams: number;
  /** HTTP/2 session memory per connection, in MiB. */
  readonly maxSessionMemoryMib: number;
  /** Keepalive ping interval in milliseconds; 0 never pings. */
  readonly keepaliveTimeMs: number;
  /** How long a keepalive ping may go unanswered, in milliseconds. */
  readonly keepaliveTimeoutMs: number;
  /** Idle connections are closed after this, in milliseconds; 0 never. */
  readonly maxConnectionIdleMs: number;
  /** grpc.health.v1 Watch streams open at once. */
  readonly maxHealthWatchers: number;
  /** Server reflection streams open at once. */
  readonly maxReflectionStreams: number;
}

/** Config under construction; only the parser writes to it. */
export type MutableConfig = { -readonly [K in keyof Config]: Config[K] };

/** Outcome of parseConfig: a config to run with, an action to perform, or every problem found. */
export type ParseConfigResult =
  | {
    readonly ok: true;
    readonly action: "run";
    readonly config: Config;
    /** Positional arguments (e.g. `get gpus`); the caller rejects those it does not expect. */
    readonly args: readonly string[];
  }
  | { readonly ok: true; readonly action: "help" | "version" }
  | { readonly ok: false; readonly errors: readonly string[] };
