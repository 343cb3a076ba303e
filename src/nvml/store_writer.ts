/**
 * The NVML provider's writes, through the same store write path (and so the
 * same validation, versions and watch events) as external providers.
 *
 * @module
 */
import type { GpuStore } from "../cache/mod.ts";
import {
  type ConditionInput,
  type GpuSpecInput,
  type GpuStateWriter,
  NVML_PROVIDER_NAME,
} from "./writer.ts";

/** Writes NVML's GPUs and conditions into a store. */
export function storeWriter(store: GpuStore): GpuStateWriter {
  return {
    async ensureGpu(name: string, spec: GpuSpecInput): Promise<void> {
      await store.create({ metadata: { name }, spec }, { provider: NVML_PROVIDER_NAME });
    },
    async setConditions(
      name: string,
      provider: string,
      conditions: ConditionInput[],
    ): Promise<void> {
      await store.setConditions({ name, set: conditions, remove: [] }, { provider });
    },
  };
}
