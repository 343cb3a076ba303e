/**
 * Where the NVML provider writes GPU state. The server implements it on its store, through
 * the same write path external providers use.
 *
 * @module
 */
import type { GpuSpec } from "../api/mod.ts";

/** The provider name the NVML provider writes its conditions as (`Condition.owner`). */
export const NVML_PROVIDER_NAME = "nvml";

/** One condition to set. */
export interface ConditionInput {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

/** The store operations the NVML provider needs. */
export interface GpuStateWriter {
  /** Creates the GPU if absent; an existing GPU with the same uuid is left as is. */
  ensureGpu(name: string, spec: GpuSpec): Promise<void>;
  /** Sets only the named conditions of GPU `name` as owned by `provider`; other conditions are untouched. */
  setConditions(name: string, provider: string, conditions: ConditionInput[]): Promise<void>;
  /**
   * Sets `status.recommended_action` of GPU `name` to `mine` under the merge rule of
   * `mergeAction` (actions.ts): another provider's more severe action stays.
   *
   * @param lastWritten What the NVML provider wrote last ("" for nothing).
   * @returns True when the GPU now shows `mine`.
   */
  reconcileAction(name: string, mine: string, lastWritten: string): Promise<boolean>;
}
