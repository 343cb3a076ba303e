/**
 * Providers: identity, leases and the ProviderService. A provider may
 * register with a lease and must then be heard from within it, or every
 * condition it owns turns Unknown (see `docs/api.md`, "Provider protocol").
 *
 * @module
 */
export {
  deadlineOf,
  DEFAULT_MAX_PROVIDERS,
  type HeartbeatResult,
  LeaseRegistry,
  type LeaseRegistryOptions,
  type ProviderRecord,
} from "./lease_registry.ts";
export {
  expiredCondition,
  LEASE_EXPIRED_REASON,
  type SilentProvider,
} from "./expired_condition.ts";
export { DeadlineTimer, type LeaseTimers, SYSTEM_TIMERS } from "./deadline_timer.ts";
export {
  type LeaseStore,
  OTHER_PROVIDER_LABEL,
  type PersistedProvider,
  ProviderLeases,
  type ProviderLeasesOptions,
  type ProviderStatus,
} from "./provider_leases.ts";
export {
  type ConditionWriter,
  MAX_LEASE_MS,
  MIN_LEASE_MS,
  providerService,
  type ProviderServiceOptions,
} from "./provider_service.ts";
export {
  heartbeatingWriter,
  heartbeatInterceptor,
  type HeartbeatSink,
} from "./heartbeat_interceptor.ts";
