/**
 * The server's memory plan: the byte bounds of the watch history and queues,
 * sized from the visible cgroup memory limit (else the chart's 256 MiB)
 * where the configuration leaves them at 0, and the worst case it implies
 * (the formula lives in src/cache/memory_budget.ts).
 *
 * @module
 */
import { type MemoryBudget, planMemory } from "../cache/mod.ts";
import type { Config } from "../config/mod.ts";
import { readCgroupMemoryLimit } from "./cgroup_memory.ts";

/** A memory plan and the cgroup file its limit came from ("" when assumed). */
export interface ServerMemoryPlan extends MemoryBudget {
  limitFile: string;
}

/** Plans the server's memory for a configuration and the visible cgroup limit. */
export function planServerMemory(
  config: Config,
  cgroup: { bytes: number; file: string } | null = readCgroupMemoryLimit(),
): ServerMemoryPlan {
  const budget = planMemory({
    maxGpus: config.maxGpus,
    maxObjectBytes: config.maxObjectBytes,
    maxMessageBytes: config.maxMessageBytes,
    maxWatchers: config.maxWatchers,
    watchHistoryBytes: config.watchHistoryBytes,
    watchQueueBytes: config.watchQueueBytes,
    connections: config.maxConnections *
      [config.unixSocket, config.consumerSocket, config.grpcAddress].filter((l) => l !== "").length,
  }, cgroup?.bytes ?? null);
  return { ...budget, limitFile: cgroup?.file ?? "" };
}

/** Bytes as the logs show them: MiB with one decimal, e.g. `"80.0MiB"`. */
export function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)}MiB`;
}

/** Key-value pairs that describe a plan in the start-up log, sizes in MiB or KiB. */
export function memoryPlanLogFields(plan: ServerMemoryPlan): unknown[] {
  const t = plan.terms;
  return [
    "limit",
    formatMiB(plan.limitBytes),
    "limitSource",
    plan.limitSource === "cgroup" ? plan.limitFile : "assumed (no cgroup limit visible)",
    "worstCase",
    formatMiB(plan.worstCaseBytes),
    "base",
    formatMiB(t.base),
    "store",
    formatMiB(t.store),
    "history",
    formatMiB(t.history),
    "watchers",
    formatMiB(t.watchers),
    "inFlight",
    formatMiB(t.inFlight),
    "connections",
    formatMiB(t.connections),
    "watchHistoryBytes",
    plan.watchHistoryBytes,
    "watchQueueBytes",
    plan.watchQueueBytes,
    "watchQueuePoolBytes",
    plan.watchQueuePoolBytes,
    "sizedFromLimit",
    [plan.sized.history && "watch-history-bytes", plan.sized.queue && "watch-queue-bytes"]
      .filter(Boolean).join(",") || "none",
  ];
}
