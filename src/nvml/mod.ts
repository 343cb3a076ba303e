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
export { NvmlError, nvmlErrorName, nvmlErrorText, NvmlReturn } from "./errors.ts";
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
  MAX_WAIT_TIMEOUT_MS,
  type NvmlProvider,
  type NvmlProviderOptions,
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
  parseXidList,
  type XidList,
  type XidPolicy,
  type XidPolicyOptions,
} from "./xid_policy.ts";
export { storeWriter } from "./store_writer.ts";
