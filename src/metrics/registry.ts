/**
 * The server's own Prometheus registry (never prom-client's global one),
 * with prom-client's default process and runtime metrics on it.
 *
 * @module
 */
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

const RESIDENT_MEMORY = "process_resident_memory_bytes";
/** How often prom-client samples the event loop's delay (`nodejs_eventloop_lag_*`), ms. */
export const LAG_SAMPLE_MS = 500;
// Read from /proc/self by prom-client; stuck at 0 when that read is denied.
const PROC_ONLY = ["process_virtual_memory_bytes", "process_heap_bytes", "process_open_fds"];

/** Options of {@linkcode createRegistry}. */
export interface RegistryOptions {
  /** Whether /proc/self can be read; defaults to trying it. */
  procReadable?: boolean;
}

/**
 * Creates a registry holding prom-client's default metrics. Under a
 * permission set that denies reading /proc/self, prom-client would export
 * `process_resident_memory_bytes` as 0, silencing the memory alert: then
 * resident memory comes from `Deno.memoryUsage()` instead, and the metrics
 * only /proc can give are left out.
 *
 * @param options see {@linkcode RegistryOptions}
 * @returns a registry private to the caller
 * @example Usage
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * const registry = createRegistry();
 * console.log(registry.contentType);
 * ```
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const registry = new Registry();
  // prom-client samples event-loop lag every 10 ms by default, and each sample wakes Deno's event
  // loop twice: at 100 ms that was still 20 wake-ups a second, all an idle server did (0.1 ms of
  // CPU each here). Every 500 ms still gives 60 samples per 30-second scrape for the lag alert.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: LAG_SAMPLE_MS });
  const procReadable = options.procReadable ?? canRead("/proc/self");
  if (Deno.build.os === "linux" && !procReadable) {
    for (const name of [RESIDENT_MEMORY, ...PROC_ONLY]) registry.removeSingleMetric(name);
    new Gauge({
      name: RESIDENT_MEMORY,
      help: "Resident memory size in bytes.",
      registers: [registry],
      collect() {
        this.set(Deno.memoryUsage().rss);
      },
    });
  }
  return registry;
}

// Tries the read itself: Deno resolves /proc/self to /proc/<pid>, so a
// permission granted for "/proc/self" still denies the read prom-client does.
function canRead(path: string): boolean {
  try {
    Deno.readTextFileSync(`${path}/status`);
    return true;
  } catch {
    return false;
  }
}
