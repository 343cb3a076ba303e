/**
 * The NVML provider's writes, through the same store write path (and so the
 * same validation, versions and watch events) as external providers.
 *
 * @module
 */
import type { GpuSpec } from "../api/mod.ts";
import { ConflictError, type GpuStore } from "../cache/mod.ts";
import { mergeAction } from "./actions.ts";
import { type ConditionInput, type GpuStateWriter, NVML_PROVIDER_NAME } from "./writer.ts";

/** Writes NVML's GPUs and conditions into a store. */
export function storeWriter(store: GpuStore): GpuStateWriter {
  return {
    async ensureGpu(name: string, spec: GpuSpec): Promise<void> {
      await store.create({ metadata: { name }, spec }, { provider: NVML_PROVIDER_NAME });
    },
    async setConditions(
      name: string,
      provider: string,
      conditions: ConditionInput[],
    ): Promise<void> {
      await store.setConditions({ name, set: conditions, remove: [] }, { provider });
    },
    async reconcileAction(name: string, mine: string, lastWritten: string): Promise<boolean> {
      // Read, merge, write with a version precondition; another writer in between: try again.
      for (let attempt = 0; attempt < 8; attempt++) {
        const gpu = await store.get("", name);
        const next = mergeAction(gpu.status.recommendedAction, mine, lastWritten);
        if (next === undefined) return gpu.status.recommendedAction === mine;
        try {
          await store.updateStatus({
            name,
            status: { conditions: gpu.status.conditions, recommendedAction: next },
            resourceVersion: Number(gpu.metadata.resourceVersion),
          }, { provider: NVML_PROVIDER_NAME });
          return true;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
        }
      }
      throw new Error(`Cannot set the recommended action of GPU ${name}: it keeps changing`);
    },
  };
}
