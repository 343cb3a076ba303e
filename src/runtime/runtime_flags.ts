/**
 * The one place that says how the server's Deno runtime is configured: the
 * permission flags (no `-A`), the V8 flags that bound memory, and the unstable
 * features it needs. `deno task start` (scripts/start.ts) and
 * `deno task compile` (scripts/compile.ts) both build their command lines
 * here, and the compiled binary bakes these flags in; the systemd unit and
 * the chart run that binary.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { type Config, LOCALHOST_ADDRESSES, parseHostPort } from "../config/mod.ts";
// These files, not their folders' mod.ts: the launcher imports this module, and it loads no more
// of the server than these constants (no gRPC stack: docs/performance.md, item 18).
import { NVML_LIBRARY_DIRS } from "../nvml/discovery.ts";
import { privateBindPath } from "../server/unix_socket.ts";
import { CGROUP_MEMORY_LIMIT_FILES } from "./cgroup_memory.ts";

/**
 * V8 flags that bound memory, chosen from a measured curve of server CPU per
 * call against peak RSS (docs/performance.md, "V8 flags"):
 * - the young generation (`--max-semi-space-size=2`, MiB): V8's default
 *   lets peak RSS reach ≈150–170 MiB under load. In docs/performance.md,
 *   8 MiB measured ≈15–50% cheaper per call than 2 when it was chosen
 *   (item 3, before the old-generation floor below); now 2 MiB costs about
 *   the CPU per call of 8 (0.88–1.00× per case over four A/Bs, item 26)
 *   for ≈3 MiB less idle RSS and a few MiB less at peak; 1 MiB cost
 *   1.08–1.19× more;
 * - an old-generation ceiling (`--max-old-space-size=128`): V8 collects
 *   before the heap grows toward the chart's 256 MiB limit. A node's live
 *   data is far smaller (8 GPUs of a few KiB, a watch history of a few
 *   MiB); raising --max-gpus or --max-object-bytes far beyond that needs a
 *   larger ceiling (and a larger memory limit);
 * - an old-generation floor (`--initial-old-space-size=40`, MiB): under
 *   V8's allocation-site pretenuring every finished HTTP/2 stream, and the
 *   call hanging off it, survives until a full collection, so every call
 *   is promoted (those collections also give back the memory that finished
 *   calls leave outside V8's heap, which keeps peak RSS bounded:
 *   docs/performance.md, item 25); under the ceiling
 *   V8 would start a full collection every ≈8 MiB of promotion, each
 *   marking the whole live heap. With the floor it waits until ≈35–40 MiB:
 *   half as many full collections, 6–12% less CPU per call under load, for
 *   ≈10–20 MiB more peak RSS (48 MiB saved a little more but took List at
 *   c64 to 167 MiB).
 */
export const V8_FLAGS: readonly string[] = [
  "--max-semi-space-size=2",
  "--max-old-space-size=128",
  "--initial-old-space-size=40",
];

/** Unstable Deno features: `net` for the systemd notify datagram socket. */
export const UNSTABLE_FLAGS: readonly string[] = ["--unstable-net"];

/** Environment variables the server reads; nothing else is visible to it. */
export const ENV_VARIABLES: readonly string[] = [
  "DEVICE_API_*", // every setting (see src/config/flags.ts)
  "GRPC_*", // grpc-js tracing and verbosity
  "NOTIFY_SOCKET", // systemd Type=notify
  "WATCHDOG_USEC",
  "WATCHDOG_PID",
  "RUNTIME_DIRECTORY", // where the notify sender socket is bound
];

/** What the server may touch: derived from a configuration or fixed for the binary. */
export interface PermissionScope {
  /** Unix socket paths the server listens on (Deno scopes them one by one). */
  unixSockets: string[];
  /** Hosts the TCP and HTTP listeners bind (any port). */
  tcpHosts: string[];
  /** Directories the server reads and writes (socket directories, the state directory). */
  readWrite: string[];
  /** Files and directories the server only reads (TLS files). */
  readOnly: string[];
  /** Extra Unix datagram sockets it sends to or binds (systemd notify). */
  notifySockets: string[];
  /** Driver roots under which libnvidia-ml.so.1 may be loaded. */
  nvmlRoots: string[];
  /** Explicit NVML library directories (from --nvml-library-path). */
  nvmlDirs: string[];
}

/** Socket directories the packaged server uses: the chart's and systemd's RuntimeDirectory. */
export const PRODUCTION_SOCKET_DIRS: readonly string[] = ["/var/run/device-api", "/run/device-api"];
/** Directories of the chart's read-only consumer socket, apart from the provider socket's group. */
export const PRODUCTION_CONSUMER_SOCKET_DIRS: readonly string[] = [
  "/var/run/device-api-consumer",
  "/run/device-api-consumer",
];

/** The state directory the packaged server uses: systemd's StateDirectory= and the chart's hostPath. */
export const PRODUCTION_STATE_DIR = "/var/lib/device-api";

/**
 * The scope baked into the compiled binary: the default socket and consumer
 * socket in both runtime directories, the state directory, loopback and wildcard hosts (the chart
 * binds health and metrics on every interface), TLS files under
 * /etc/device-api, and NVML under the host root, the GPU operator's driver
 * root and the chart's /driver-root mount.
 */
export const PRODUCTION_SCOPE: Readonly<PermissionScope> = Object.freeze({
  unixSockets: [
    ...PRODUCTION_SOCKET_DIRS.flatMap((d) => [`${d}/device.sock`, `${d}/consumer.sock`]),
    ...PRODUCTION_CONSUMER_SOCKET_DIRS.map((d) => `${d}/consumer.sock`),
  ],
  tcpHosts: ["127.0.0.1", "[::1]", "localhost", "0.0.0.0", "[::]"],
  readWrite: [...PRODUCTION_SOCKET_DIRS, ...PRODUCTION_CONSUMER_SOCKET_DIRS, PRODUCTION_STATE_DIR],
  readOnly: ["/etc/device-api"],
  // systemd's notify socket, and the sender socket bound in RuntimeDirectory.
  notifySockets: ["/run/systemd/notify", "/run/device-api/sd-notify.sock"],
  nvmlRoots: ["/", "/driver-root", "/run/nvidia/driver"],
  nvmlDirs: [],
});

/** Derives the narrowest scope that runs `config`. */
export function scopeFromConfig(config: Config): PermissionScope {
  const sockets = [config.unixSocket, config.consumerSocket].filter((s) => s !== "");
  const hosts = new Set<string>();
  if (config.grpcAddress) {
    const { host } = parseHostPort(config.grpcAddress);
    hosts.add(bracket(host));
    // The TCP listener binds localhost's addresses, which Deno checks by address.
    if (host === "localhost") {
      for (const address of LOCALHOST_ADDRESSES) hosts.add(bracket(address));
    }
  }
  if (config.healthPort > 0) hosts.add(bracket(config.healthBindAddress));
  if (config.metricsPort > 0) hosts.add(bracket(config.metricsBindAddress));
  const tls = [config.tlsCertFile, config.tlsKeyFile, config.tlsClientCaFile].filter((f) =>
    f !== ""
  );
  return {
    unixSockets: sockets,
    tcpHosts: [...hosts],
    readWrite: [
      ...new Set([
        ...sockets.map((s) => dirname(s)),
        ...(config.stateDir ? [config.stateDir] : []),
      ]),
    ],
    readOnly: [...new Set(tls.map((f) => dirname(f)))],
    notifySockets: [],
    nvmlRoots: config.enableNvmlProvider && !config.nvmlLibraryPath ? [config.nvmlDriverRoot] : [],
    nvmlDirs: config.enableNvmlProvider && config.nvmlLibraryPath
      ? [dirname(config.nvmlLibraryPath)]
      : [],
  };
}

/**
 * The Deno flags for a scope: permissions, V8 and unstable flags.
 *
 * @param scope what the server may touch
 * @param options `embedded`: the protos are embedded (compile), so no read
 *   permission for the source tree is needed
 */
export function runtimeFlags(scope: PermissionScope, options: { embedded: boolean }): string[] {
  const nvmlDirs = [
    ...scope.nvmlRoots.flatMap((root) => NVML_LIBRARY_DIRS.map((d) => join(root, d))),
    ...scope.nvmlDirs,
  ];
  // The cgroup memory limit sizes the memory budget (cgroup_memory.ts).
  const read = [...scope.readWrite, ...scope.readOnly, ...CGROUP_MEMORY_LIMIT_FILES, ...nvmlDirs];
  if (!options.embedded) read.unshift(...sourceFiles());
  const flags = [
    "--no-prompt",
    `--allow-net=${
      [
        ...scope.tcpHosts,
        // Each socket is bound at its private path first, then renamed into place.
        ...[...scope.unixSockets.flatMap((s) => [s, privateBindPath(s)]), ...scope.notifySockets]
          .map((s) => `unix:${s}`),
      ].join(",")
    }`,
    `--allow-read=${read.join(",")}`,
    `--allow-write=${[...scope.readWrite, ...scope.notifySockets].join(",")}`,
    `--allow-env=${ENV_VARIABLES.join(",")}`,
  ];
  if (nvmlDirs.length > 0) flags.push(`--allow-ffi=${nvmlDirs.join(",")}`);
  flags.push(...UNSTABLE_FLAGS, `--v8-flags=${V8_FLAGS.join(",")}`);
  return flags;
}

/**
 * Files read at run time from the source tree, which the compiled binary
 * embeds instead (npm package files are readable there without permission):
 * @grpc/reflection's own proto files.
 */
export function sourceFiles(): string[] {
  const reflection =
    new URL("../../node_modules/@grpc/reflection/build/proto", import.meta.url).pathname;
  return [Deno.realPathSync(reflection)];
}

function bracket(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
