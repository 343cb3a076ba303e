/**
 * The NVML provider's writes, through the same store write path (and so the
 * same validation, versions and watch events) as external providers.
 *
 * @module
 */
import type { GpuSpec } from "../api/mod.ts";
import type { GpuStore } from "../cache/mod.ts";
import { mergeAction } from "./actions.ts";
import {
  type ActionChange,
  type ConditionInput,
  type GpuStateWriter,
  NVML_PROVIDER_NAME,
} from "./writer.ts";

/** Writes NVML's GPUs and conditions into a store. */
export function storeWriter(store: GpuStore): GpuStateWriter {
  return {
    async ensureGpu(name: string, spec: GpuSpec): Promise<void> {
      await store.create({ metadata: { name }, spec }, { provider: NVML_PROVIDER_NAME });
    },
    async writeStatus(
      name: string,
      conditions: ConditionInput[],
      action?: ActionChange,
    ): Promise<boolean> {
      let shown = true;
      const recommendedAction = action && ((current: string) => {
        const next = mergeAction(current, action.mine, action.lastWritten);
        shown = (next ?? current) === action.mine;
        return next;
      });
      await store.setConditions(
        { name, set: conditions, remove: [], recommendedAction },
        { provider: NVML_PROVIDER_NAME },
      );
      return shown;
    },
  };
}
