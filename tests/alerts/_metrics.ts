/**
 * The metric families the real server exports (scraped once from a server
 * started for the test) and helpers to find the metrics a PromQL expression
 * selects, so the alert rules and the dashboard cannot read a metric that
 * does not exist.
 *
 * @module
 */
import { startWithMetrics } from "../metrics/_metrics_server.ts";

/**
 * Metrics the NVML provider branch (issue 16, owned by the NVML work) adds:
 * `device_api_server_nvml_state{state}` distinguishes disabled from failed,
 * `device_api_server_gpus_by_recommended_action{action}` counts GPUs per
 * recommended action. The alerts and the dashboard use them already; this
 * list must be emptied once the server exports them (a test below fails then).
 */
export const PENDING_NVML_METRICS: readonly string[] = [
  "device_api_server_nvml_state",
  "device_api_server_gpus_by_recommended_action",
];

/**
 * Metrics of other exporters that the rules read on purpose: kube-state-metrics'
 * DaemonSet status guards DeviceAPIServerMissing's absent() (kube-prometheus
 * ships kube-state-metrics).
 */
export const EXTERNAL_METRICS: readonly string[] = [
  "kube_daemonset_status_desired_number_scheduled",
];

/** Series Prometheus itself adds for every target. */
const SYNTHETIC = ["up"];

let exported: Promise<Map<string, string>> | undefined;

/** Metric families (name → type) of a freshly started server's /metrics, scraped once per process. */
export function exportedFamilies(): Promise<Map<string, string>> {
  exported ??= (async () => {
    const metrics = await startWithMetrics();
    try {
      return (await metrics.scrape()).types;
    } finally {
      await metrics.server[Symbol.asyncDispose]();
    }
  })();
  return exported;
}

/** Metric names selected in a PromQL expression (every selector in our files carries `{…}` matchers). */
export function selectedMetrics(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1]!);
}

/** True when `name` is a series of a family in `families` (histogram suffixes included), or `up`. */
export function isExportedSeries(name: string, families: Map<string, string>): boolean {
  if (SYNTHETIC.includes(name) || families.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return base !== name && families.get(base) === "histogram";
}

/** True when `name` is exported, external on purpose, or pending from the NVML branch. */
export function isKnownSeries(name: string, families: Map<string, string>): boolean {
  return isExportedSeries(name, families) || EXTERNAL_METRICS.includes(name) ||
    PENDING_NVML_METRICS.includes(name);
}
