/**
 * Everything the server exports on /metrics, assembled in one object that
 * main wires into the store (hooks), the gRPC server (interceptor) and the
 * lifecycle (up, NVML state).
 *
 * @module
 */
import type { ServerInterceptor } from "@grpc/grpc-js";
import { Gauge, type Registry } from "prom-client";
import { CacheCollectors, type CacheHooks, type CacheView } from "./cache_collectors.ts";
import { grpcMetricsInterceptor } from "./grpc_interceptor.ts";
import { NvmlCollectors, type NvmlHooks } from "./nvml_collectors.ts";
import { createRegistry } from "./registry.ts";

const INFO = "device_api_server_info";
const UP = "device_api_server_up";

/** Options of {@linkcode createMetrics}. */
export interface MetricsOptions {
  /** Release version, for the info metric. */
  version: string;
  /** Runtime version, for the info metric; defaults to `Deno.version.deno`. */
  denoVersion?: string;
  /** Whether /proc/self may be read; see {@linkcode createRegistry}. */
  procReadable?: boolean;
}

/** The server's metrics and the handles that feed them. */
export interface Metrics {
  /** The registry /metrics serves; the server's own, not prom-client's global one. */
  readonly registry: Registry;
  /** The gRPC server interceptor recording the grpc_server_* metrics. */
  readonly interceptor: ServerInterceptor;
  /** Hooks for the store's options; usable before the store exists. */
  readonly hooks: CacheHooks;
  /**
   * Binds the store the cache gauges read at scrape time.
   *
   * @throws {Error} when a store is already bound
   */
  bind(store: CacheView): void;
  /** Sets how writer identities become `provider` labels (registered providers, else "other"). */
  labelProviders(label: (provider: string) => string): void;
  /** Sets `device_api_server_up`: 1 while serving. */
  setUp(up: boolean): void;
  /** Feed the NVML metrics (`device_api_server_nvml_*`); the state starts `disabled`. */
  readonly nvml: NvmlHooks;
}

/**
 * Creates the metrics of one server, on a registry of their own so that
 * tests and embedders can run several servers in one process.
 *
 * @param options see {@linkcode MetricsOptions}
 * @returns the registry, the interceptor, the store hooks and the state setters
 * @example Usage
 * ```ts
 * import { createMetrics } from "./metrics.ts";
 * const metrics = createMetrics({ version: "0.1.0" });
 * metrics.setUp(true);
 * console.log(await metrics.registry.metrics());
 * ```
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = createRegistry({ procReadable: options.procReadable });
  const registers = [registry];
  new Gauge({
    name: INFO,
    help: "Build information: always 1, with the release and runtime versions as labels.",
    labelNames: ["version", "deno_version"],
    registers,
  }).set({ version: options.version, deno_version: options.denoVersion ?? Deno.version.deno }, 1);
  const up = new Gauge({
    name: UP,
    help: "1 while the server is serving, 0 while it starts or after it stopped.",
    registers,
  });
  const nvml = new NvmlCollectors(registry);
  const cache = new CacheCollectors(registry);
  return {
    registry,
    interceptor: grpcMetricsInterceptor(registry),
    hooks: cache.hooks,
    bind: (store) => {
      cache.bind(store);
      nvml.bind(store);
    },
    labelProviders: (label) => cache.labelProviders(label),
    setUp: (value) => up.set(value ? 1 : 0),
    nvml: nvml.hooks,
  };
}
