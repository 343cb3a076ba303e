/**
 * The flag table: the one list from which parsing, environment lookup, --help and the docs come.
 */

import type { Config, MutableConfig } from "./config.ts";
import {
  boolFlag,
  customFlag,
  durationFlag,
  type FlagDefinition,
  hostFlag,
  intFlag,
  modeFlag,
  pathFlag,
  stringFlag,
} from "./_flag_kinds.ts";
import { formatHostPort, parseHostPort } from "./_net.ts";
import { parseChoice, parseIntIn, parseNodeName, parseXidList } from "./_values.ts";

export type { FlagDefinition, FlagType } from "./_flag_kinds.ts";

/** Every server flag, in the order --help and the docs list them. */
export const FLAGS: readonly FlagDefinition[] = Object.freeze([
  pathFlag({
    name: "unix-socket",
    key: "unixSocket",
    default: "/var/run/device-api/device.sock",
    allowEmpty: true,
    socket: true,
    help: "Unix socket for providers and consumers; empty disables it",
  }),
  modeFlag({
    name: "socket-mode",
    key: "socketMode",
    default: "0660",
    help: "file mode of --unix-socket",
  }),
  pathFlag({
    name: "consumer-socket",
    key: "consumerSocket",
    default: "",
    allowEmpty: true,
    socket: true,
    help:
      "read-only Unix socket (reads and watches only; writes are PERMISSION_DENIED); empty disables it",
  }),
  modeFlag({
    name: "consumer-socket-mode",
    key: "consumerSocketMode",
    default: "0666",
    help: "file mode of --consumer-socket",
  }),
  customFlag({
    name: "grpc-address",
    type: "address",
    default: "127.0.0.1:50051",
    help: "TCP address of the gRPC listener, HOST:PORT with an IP or localhost as HOST " +
      "(port 0 picks a free port); empty disables it",
    apply: (raw) => ({ grpcAddress: raw === "" ? "" : formatHostPort(parseHostPort(raw)) }),
  }),
  boolFlag({
    name: "allow-insecure-non-loopback",
    key: "allowInsecureNonLoopback",
    default: false,
    help: "allow --grpc-address on a non-loopback host without TLS " +
      "(anyone who can reach it can change GPU state)",
  }),
  pathFlag({
    name: "tls-cert-file",
    key: "tlsCertFile",
    default: "",
    allowEmpty: true,
    help: "PEM certificate for TLS on the TCP listener (needs --tls-key-file)",
  }),
  pathFlag({
    name: "tls-key-file",
    key: "tlsKeyFile",
    default: "",
    allowEmpty: true,
    help: "PEM private key for TLS on the TCP listener (needs --tls-cert-file)",
  }),
  pathFlag({
    name: "tls-client-ca-file",
    key: "tlsClientCaFile",
    default: "",
    allowEmpty: true,
    help: "PEM CA bundle; when set, TCP clients must present a certificate it signed (mutual TLS)",
  }),
  hostFlag({
    name: "health-bind-address",
    key: "healthBindAddress",
    default: "127.0.0.1",
    help: "host the HTTP health server (/healthz, /livez, /readyz) binds",
  }),
  intFlag({
    name: "health-port",
    key: "healthPort",
    default: 8081,
    min: 0,
    max: 65535,
    help: "port of the HTTP health server; 0 disables it",
  }),
  hostFlag({
    name: "metrics-bind-address",
    key: "metricsBindAddress",
    default: "127.0.0.1",
    help: "host the Prometheus /metrics server binds",
  }),
  intFlag({
    name: "metrics-port",
    key: "metricsPort",
    default: 9090,
    min: 0,
    max: 65535,
    help: "port of /metrics; 0 disables it",
  }),
  durationFlag({
    name: "shutdown-timeout",
    key: "shutdownTimeoutMs",
    default: "30s",
    help: "longest graceful drain after SIGTERM before open calls are cut off",
  }),
  durationFlag({
    name: "shutdown-delay",
    key: "shutdownDelayMs",
    default: "0s",
    help: "how long /readyz reports not ready before draining starts",
  }),
  customFlag({
    name: "log-format",
    type: "string",
    default: "text",
    help: "log line format: text (klog) or json",
    apply: (raw) => ({ logFormat: parseChoice(raw, ["text", "json"] as const) }),
  }),
  customFlag({
    name: "v",
    short: "v",
    type: "int",
    default: "0",
    help: "log verbosity, 0 to 10; higher logs more",
    apply: (raw) => ({ verbosity: parseIntIn(raw, 0, 10) }),
  }),
  stringFlag({
    name: "node-name",
    key: "nodeName",
    default: "",
    help: "node name attached to log lines",
    check: parseNodeName,
  }),
  pathFlag({
    name: "state-dir",
    key: "stateDir",
    default: "/var/lib/device-api",
    allowEmpty: true,
    help: "directory of the checkpoint and version high-water mark, restored at start; " +
      "empty keeps nothing across restarts",
  }),
  intFlag({
    name: "max-gpus",
    key: "maxGpus",
    default: 1024,
    min: 1,
    max: 65536,
    help: "most GPUs the server holds",
  }),
  intFlag({
    name: "max-conditions",
    key: "maxConditions",
    default: 32,
    min: 1,
    max: 1024,
    help: "most conditions per GPU",
  }),
  intFlag({
    name: "max-object-bytes",
    key: "maxObjectBytes",
    default: 65536,
    min: 1,
    max: 64 * 1024 * 1024,
    help: "largest encoded GPU object in bytes (at most --max-message-bytes)",
  }),
  intFlag({
    name: "max-message-bytes",
    key: "maxMessageBytes",
    default: 4 * 1024 * 1024,
    min: 1024,
    max: 64 * 1024 * 1024,
    help: "largest gRPC message in bytes",
  }),
  intFlag({
    name: "max-watchers",
    key: "maxWatchers",
    default: 1024,
    min: 1,
    max: 65536,
    help: "most concurrent Watch streams",
  }),
  intFlag({
    name: "watch-queue-size",
    key: "watchQueueSize",
    default: 1024,
    min: 1,
    max: 1_048_576,
    help: "events queued per watcher before the slow watcher is closed",
  }),
  intFlag({
    name: "watch-history-size",
    key: "watchHistorySize",
    default: 10000,
    min: 1,
    max: 1_048_576,
    help: "events kept so a Watch can resume from a recent resourceVersion",
  }),
  intFlag({
    name: "watch-history-bytes",
    key: "watchHistoryBytes",
    default: 0,
    min: 0,
    max: 1024 * 1024 * 1024,
    help: "bytes the watch history may retain; 0 sizes it from the memory limit " +
      "(cgroup, else 256 MiB)",
  }),
  intFlag({
    name: "watch-queue-bytes",
    key: "watchQueueBytes",
    default: 0,
    min: 0,
    max: 64 * 1024 * 1024,
    help: "bytes of events queued per watcher before the slow watcher is closed; " +
      "0 sizes it and the pool of all queues from the memory limit",
  }),
  boolFlag({
    name: "enable-nvml-provider",
    key: "enableNvmlProvider",
    default: true,
    help: "run the built-in NVML provider (inactive when libnvidia-ml.so.1 is absent)",
  }),
  pathFlag({
    name: "nvml-driver-root",
    key: "nvmlDriverRoot",
    default: "/",
    allowEmpty: false,
    help: "directory under which libnvidia-ml.so.1 is searched",
  }),
  pathFlag({
    name: "nvml-library-path",
    key: "nvmlLibraryPath",
    default: "",
    allowEmpty: true,
    help: "explicit path of libnvidia-ml.so.1, overriding the search",
  }),
  customFlag({
    name: "nvml-ignored-xids",
    type: "list",
    default: "",
    help: `comma-separated XIDs to ignore on top of the built-in list, or "all"`,
    apply: (raw) => {
      const { all, xids } = parseXidList(raw, true);
      return { nvmlIgnoredXids: xids, ignoreAllXids: all };
    },
  }),
  customFlag({
    name: "nvml-critical-xids",
    type: "list",
    default: "",
    help: "comma-separated XIDs always treated as critical, even if ignored by default",
    apply: (raw) => ({ nvmlCriticalXids: parseXidList(raw, false).xids }),
  }),
  durationFlag({
    name: "nvml-call-timeout",
    key: "nvmlCallTimeoutMs",
    default: "5s",
    help: "limit of one NVML call; a GPU whose call hangs longer is reported Unknown " +
      "(NVMLCallTimeout)",
  }),
  durationFlag({
    name: "nvml-poll-interval",
    key: "nvmlPollIntervalMs",
    default: "5s",
    help: "pause between polls of row remapping, retired pages, ECC counts and clock slowdowns " +
      "per GPU; 0s turns polling off",
  }),
  intFlag({
    name: "readiness-min-gpus",
    key: "readinessMinGpus",
    default: 0,
    min: 0,
    max: 65536,
    help: "GPUs /readyz waits for (at most --max-gpus); 0 does not wait",
  }),
  durationFlag({
    name: "readiness-grace-period",
    key: "readinessGracePeriodMs",
    default: "0s",
    help:
      "/readyz stops waiting for --readiness-min-gpus this long after start; 0s waits without limit",
  }),
  intFlag({
    name: "max-watchers-per-connection",
    key: "maxWatchersPerConnection",
    default: 32,
    min: 1,
    max: 1_048_576,
    help: "most Watch streams one client connection may hold",
  }),
  intFlag({
    name: "provider-reserved-watchers",
    key: "providerReservedWatchers",
    default: 128,
    min: 0,
    max: 1_048_576,
    help: "Watch slots only --unix-socket may use: the consumer socket and TCP together hold " +
      "at most --max-watchers minus this",
  }),
  intFlag({
    name: "max-connections",
    key: "maxConnections",
    default: 64,
    min: 1,
    max: 65_536,
    help: "client connections each listener holds open; more are closed as they are accepted",
  }),
  intFlag({
    name: "max-concurrent-streams",
    key: "maxConcurrentStreams",
    default: 64,
    min: 1,
    max: 1_048_576,
    help: "HTTP/2 streams (calls) one connection may have open at once",
  }),
  intFlag({
    name: "max-session-memory-mib",
    key: "maxSessionMemoryMib",
    default: 10,
    min: 1,
    max: 1024,
    help: "HTTP/2 memory per connection in MiB; beyond it new calls on it are refused",
  }),
  durationFlag({
    name: "keepalive-time",
    key: "keepaliveTimeMs",
    default: "1m",
    help: "ping each client this often; 0s never pings",
  }),
  durationFlag({
    name: "keepalive-timeout",
    key: "keepaliveTimeoutMs",
    default: "20s",
    help: "close a connection whose ping is not answered within this (a vanished peer frees " +
      "its watches)",
  }),
  durationFlag({
    name: "max-connection-idle",
    key: "maxConnectionIdleMs",
    // Off by default: a Deno client aborts when a GOAWAY ends its long-idle
    // HTTP/2 session (denoland/deno#36788), and idle connections cost little.
    default: "0s",
    help: "close a connection that had no call for this long; 0s never does",
  }),
  intFlag({
    name: "max-health-watchers",
    key: "maxHealthWatchers",
    default: 64,
    min: 1,
    max: 1_048_576,
    help: "most grpc.health.v1 Watch streams open at once",
  }),
  intFlag({
    name: "max-reflection-streams",
    key: "maxReflectionStreams",
    default: 16,
    min: 1,
    max: 1_048_576,
    help: "most gRPC server reflection streams open at once",
  }),
]);

/** A flag that makes the program print something and exit instead of running. */
export interface ActionFlag {
  readonly name: "help" | "version";
  readonly short?: string;
  readonly help: string;
}

/** Flags that are not settings: they have no environment variable and no Config field. */
export const ACTION_FLAGS: readonly ActionFlag[] = Object.freeze([
  { name: "help", short: "h", help: "show this help and exit" },
  { name: "version", help: "print the version and exit" },
]);

/** The settings used when neither a flag nor an environment variable says otherwise. */
export const DEFAULT_CONFIG: Config = buildDefaults();

function buildDefaults(): Config {
  const out: Partial<MutableConfig> = {};
  for (const flag of FLAGS) {
    Object.assign(out, flag.apply(flag.default, { cwd: () => "/" }));
  }
  for (const value of Object.values(out)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(out as Config); // every field is set: a test checks the keys
}

/**
 * The server flag named `name`, for tools that share its default, variable and parser (the CLI).
 *
 * @throws {Error} when no server flag has that name (a programming error)
 */
export function serverFlag(name: string): FlagDefinition {
  const flag = FLAGS.find((f) => f.name === name);
  if (flag === undefined) throw new Error(`Cannot find server flag: --${name} is not defined`);
  return flag;
}
