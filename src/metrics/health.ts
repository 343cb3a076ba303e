/**
 * GPU health as the metrics count it, derived from a GPU's conditions.
 * Pure logic, no I/O.
 *
 * @module
 */

/** The health class of one GPU. */
export type GpuHealth = "healthy" | "unhealthy" | "unknown";

/** The part of a GPU that decides its health class. */
export interface GpuConditions {
  readonly status: { readonly conditions: readonly { readonly status: string }[] };
}

/** Number of GPUs in each health class. */
export interface HealthCounts {
  total: number;
  healthy: number;
  unhealthy: number;
  unknown: number;
}

/**
 * Classifies a GPU so that alerts can count GPUs that need attention: any
 * condition "False" makes it unhealthy; at least one condition and every
 * condition "True" makes it healthy; anything else (no condition yet, or an
 * "Unknown" one) is unknown, because nothing has vouched for it.
 *
 * @param gpu the GPU, or anything with its status conditions
 * @returns the health class
 * @example Usage
 * ```ts
 * import { classifyGpu } from "./health.ts";
 * classifyGpu({ status: { conditions: [{ status: "True" }] } }); // "healthy"
 * ```
 */
export function classifyGpu(gpu: GpuConditions): GpuHealth {
  const conditions = gpu.status.conditions;
  let allTrue = conditions.length > 0;
  for (const c of conditions) {
    if (c.status === "False") return "unhealthy";
    if (c.status !== "True") allTrue = false;
  }
  return allTrue ? "healthy" : "unknown";
}

/**
 * Counts GPUs per health class in one pass, so the four gauges agree.
 *
 * @param gpus the GPUs to count
 * @returns the count of each class and the total
 */
export function countHealth(gpus: Iterable<GpuConditions>): HealthCounts {
  const counts: HealthCounts = { total: 0, healthy: 0, unhealthy: 0, unknown: 0 };
  for (const gpu of gpus) {
    counts.total++;
    counts[classifyGpu(gpu)]++;
  }
  return counts;
}
