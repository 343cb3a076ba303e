/**
 * Metrics the alert rules and the dashboard read although this server does
 * not export them: another exporter's, read on purpose, and the NVML
 * provider's while its work is not merged. tests/metrics/
 * dashboard_alerts_names_test.ts checks every other name against a real
 * server's /metrics.
 *
 * @module
 */

/**
 * Metrics of other exporters that the rules read on purpose: kube-state-metrics'
 * DaemonSet status guards DeviceAPIServerMissing's absent() (kube-prometheus
 * ships kube-state-metrics).
 */
export const EXTERNAL_METRICS: readonly string[] = [
  "kube_daemonset_status_desired_number_scheduled",
];

/**
 * Metrics the NVML provider work (issue 16) adds: `device_api_server_nvml_state{state}`
 * tells disabled from failed, `device_api_server_gpus_by_recommended_action{action}`
 * counts GPUs per recommended action. Accepted only while no source file under src/
 * names them: once that work is merged they must be exported like every other metric.
 */
export const PENDING_NVML_METRICS: readonly string[] = [
  "device_api_server_nvml_state",
  "device_api_server_gpus_by_recommended_action",
];

const SRC = new URL("../../src/", import.meta.url).pathname;

/** True when a TypeScript file under src/ names `metric` as a string literal. */
export function sourceDefines(metric: string): boolean {
  const walk = (dir: string): boolean =>
    [...Deno.readDirSync(dir)].some((e) =>
      e.isDirectory ? walk(`${dir}/${e.name}`) : e.name.endsWith(".ts") &&
        Deno.readTextFileSync(`${dir}/${e.name}`).includes(`"${metric}"`)
    );
  return walk(SRC);
}

/** True when `metric` may be missing from the server's /metrics: external, or pending and undefined in src/. */
export function exportedElsewhere(metric: string): boolean {
  return EXTERNAL_METRICS.includes(metric) ||
    (PENDING_NVML_METRICS.includes(metric) && !sourceDefines(metric));
}
