/**
 * The built-in NVML health provider: publishes the node's GPUs and owns their `NVMLReady`
 * condition, through Deno FFI on `libnvidia-ml.so.1`.
 *
 * @module
 */

export {
  findNvmlLibrary,
  type FindNvmlLibraryOptions,
  NVML_LIBRARY_DIRS,
  NVML_LIBRARY_NAME,
} from "./discovery.ts";
export { NvmlCallTimeout, NvmlError, nvmlErrorName, nvmlErrorText, NvmlReturn } from "./errors.ts";
export {
  classifyEvent,
  decideHealth,
  type HealthDecision,
  type HealthEvent,
  NVML_CONDITION_TYPE,
  NvmlReason,
} from "./health_policy.ts";
export type { NvmlLogger } from "./logger.ts";
export {
  DEFAULT_CALL_TIMEOUT_MS,
  MAX_WAIT_TIMEOUT_MS,
  NVML_STATES,
  type NvmlProvider,
  type NvmlProviderOptions,
  type NvmlState,
  startNvmlProvider,
} from "./provider.ts";
export {
  type ConditionInput,
  type GpuSpecInput,
  type GpuStateWriter,
  NVML_PROVIDER_NAME,
} from "./writer.ts";
export {
  createXidPolicy,
  DEFAULT_IGNORED_XIDS,
  isCriticalXid,
  type XidPolicy,
  type XidPolicyOptions,
} from "./xid_policy.ts";
export { storeWriter } from "./store_writer.ts";
export {
  actionSeverity,
  mergeAction,
  mostSevere,
  RECOMMENDED_ACTIONS,
  type RecommendedAction,
} from "./actions.ts";
