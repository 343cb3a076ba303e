/**
 * Where the NVML provider writes GPU state. The server implements it on its store, through
 * the same write path external providers use.
 *
 * @module
 */

/** The provider name the NVML provider writes its conditions as (`Condition.owner`). */
export const NVML_PROVIDER_NAME = "nvml";

/** Hardware identity of a GPU, as `GpuSpec` carries it. */
export interface GpuSpecInput {
  /** UUID exactly as NVML reports it, e.g. "GPU-3f2504e0-4f89-11d3-9a0c-0305e82c3301". */
  uuid: string;
  productName: string;
  /** PCI bus id, "%08X:%02X:%02X.0". */
  pciBusId: string;
  index: number;
  minorNumber: number;
  memoryTotalBytes: number;
  /** Empty where the board has no serial. */
  serial: string;
}

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
  ensureGpu(name: string, spec: GpuSpecInput): Promise<void>;
  /** Sets only the named conditions of GPU `name` as owned by `provider`; other conditions are untouched. */
  setConditions(name: string, provider: string, conditions: ConditionInput[]): Promise<void>;
}
