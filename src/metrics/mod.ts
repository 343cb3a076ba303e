/**
 * Prometheus metrics: the server's registry, cache and watch collectors, the
 * go-grpc-prometheus interceptor and the /metrics HTTP server. Every metric
 * is described in `docs/operations.md` ("Metrics"). Counts and histograms fed
 * on every call or write live in plain numbers and typed arrays (`counter_feed.ts`,
 * `bucket_histogram.ts`) that prom-client reads when scraped.
 *
 * @module
 */
export { createMetrics, type Metrics, type MetricsOptions } from "./metrics.ts";
export { createRegistry, type RegistryOptions } from "./registry.ts";
export {
  ANONYMOUS_PROVIDER,
  CacheCollectors,
  type CacheHooks,
  type CacheView,
} from "./cache_collectors.ts";
export { grpcMetricsInterceptor, type GrpcType, grpcType } from "./grpc_interceptor.ts";
export {
  classifyGpu,
  countHealth,
  type GpuConditions,
  type GpuHealth,
  type HealthCounts,
} from "./health.ts";
export {
  type ActionView,
  NO_ACTION,
  NvmlCollectors,
  type NvmlHooks,
  OTHER_ACTION,
} from "./nvml_collectors.ts";
export { METRICS_PATH, MetricsHttpServer, type MetricsHttpServerOptions } from "./http_server.ts";
export { QuotaCollectors, type QuotaView } from "./quota_collectors.ts";
export {
  ProviderCollectors,
  type ProviderHooks,
  type ProviderView,
} from "./provider_collectors.ts";
