/**
 * Metric names the server exports (the exporter's contract) and helpers to
 * find the metrics a PromQL expression selects.
 *
 * @module
 */

/** Every metric family the server exports; histograms are listed by base name. */
export const EXPORTED_METRICS: readonly string[] = [
  "device_api_server_info",
  "device_api_server_up",
  "device_api_server_cache_gpus_total",
  "device_api_server_cache_gpus_healthy",
  "device_api_server_cache_gpus_unhealthy",
  "device_api_server_cache_gpus_unknown",
  "device_api_server_cache_updates_total",
  "device_api_server_cache_lock_wait_seconds",
  "device_api_server_cache_resource_version",
  "device_api_server_watch_streams_active",
  "device_api_server_watch_events_total",
  "device_api_server_watch_evictions_total",
  "device_api_server_nvml_up",
  "grpc_server_started_total",
  "grpc_server_handled_total",
  "grpc_server_msg_received_total",
  "grpc_server_msg_sent_total",
  "grpc_server_handling_seconds",
  // prom-client collectDefaultMetrics()
  "process_cpu_user_seconds_total",
  "process_cpu_system_seconds_total",
  "process_cpu_seconds_total",
  "process_start_time_seconds",
  "process_resident_memory_bytes",
  "process_virtual_memory_bytes",
  "process_heap_bytes",
  "process_open_fds",
  "process_max_fds",
  "nodejs_eventloop_lag_seconds",
  "nodejs_heap_size_total_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_external_memory_bytes",
];

/** Histograms, whose series carry the `_bucket`, `_sum` and `_count` suffixes. */
export const HISTOGRAMS: readonly string[] = [
  "device_api_server_cache_lock_wait_seconds",
  "grpc_server_handling_seconds",
];

/** Series Prometheus itself adds for every target. */
const SYNTHETIC = ["up"];

/** Metric names selected in a PromQL expression (every selector in our files carries `{…}` matchers). */
export function selectedMetrics(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1]!);
}

/** True when `name` is a series the server (or Prometheus, for `up`) produces. */
export function isExportedSeries(name: string): boolean {
  if (SYNTHETIC.includes(name) || EXPORTED_METRICS.includes(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return base !== name && HISTOGRAMS.includes(base);
}
