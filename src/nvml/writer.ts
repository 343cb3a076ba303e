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

/** The NVML provider's recommended action in a write: what it wants now, what it wrote last. */
export interface ActionChange {
  /** The most severe action among the GPU's NVML problems; "" for none. */
  mine: string;
  /** What the NVML provider wrote last ("" for nothing). */
  lastWritten: string;
}

/** The store operations the NVML provider needs, each written as `NVML_PROVIDER_NAME`. */
export interface GpuStateWriter {
  /** Creates the GPU if absent; an existing GPU with the same uuid is left as is. */
  ensureGpu(name: string, spec: GpuSpec): Promise<void>;
  /**
   * Sets the given conditions of GPU `name` (other conditions are untouched) and, with
   * `action`, `status.recommended_action` under the merge rule of `mergeAction` (actions.ts:
   * another provider's more severe action stays), all in one write: a consumer never sees a
   * new condition without its action.
   *
   * @returns True when the GPU now shows `action.mine` (true without `action`).
   */
  writeStatus(name: string, conditions: ConditionInput[], action?: ActionChange): Promise<boolean>;
}
