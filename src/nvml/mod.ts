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
  DBE_ACTION,
  decideHealth,
  type HealthDecision,
  type HealthEvent,
  LOST_ACTION,
  NVML_CONDITION_TYPE,
  NvmlReason,
} from "./health_policy.ts";
export type { NvmlLogger } from "./logger.ts";
export {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  MAX_WAIT_TIMEOUT_MS,
  NVML_STATES,
  type NvmlProvider,
  type NvmlProviderOptions,
  type NvmlState,
  startNvmlProvider,
} from "./provider.ts";
export {
  type ActionChange,
  type ConditionInput,
  type GpuStateWriter,
  NVML_PROVIDER_NAME,
} from "./writer.ts";
export {
  createXidPolicy,
  DEFAULT_IGNORED_XIDS,
  type XidEffect,
  xidEffect,
  type XidPolicy,
  type XidPolicyOptions,
} from "./xid_policy.ts";
export {
  OTHER_XID_LABEL,
  UNKNOWN_XID_ACTION,
  XID_CATALOG,
  XID_CATALOG_VERSION,
  type XidCatalogEntry,
  xidLabel,
} from "./xid_catalog.ts";
export {
  ClockReason,
  clockReasonNames,
  SIGNAL_NAMES,
  SignalCondition,
  signalConditions,
  type SignalConditionState,
  type SignalProblem,
  signalProblems,
  type SignalReadings,
  SignalReason,
} from "./signals.ts";
export { storeWriter } from "./store_writer.ts";
export {
  actionSeverity,
  mergeAction,
  mostSevere,
  RECOMMENDED_ACTIONS,
  type RecommendedAction,
} from "./actions.ts";
