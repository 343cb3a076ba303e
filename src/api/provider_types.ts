/**
 * Plain TypeScript shapes of the ProviderService messages, as protobufjs
 * converts them (see `types.ts`).
 *
 * @module
 */
import type { Condition, DeepPartial, Timestamp } from "./types.ts";

/** A google.protobuf.Duration. */
export interface Duration {
  seconds: number;
  nanos: number;
}

/** A provider as the server tracks it (see `provider.proto`). */
export interface Provider {
  name: string;
  /** Zero or null: no lease. */
  leaseDuration: Duration | null;
  lastHeartbeatTime: Timestamp | null;
  leaseExpired: boolean;
  conditionsOwned: number;
  /** True after RegisterProvider; false when known only from writes. */
  registered: boolean;
  firstSeenTime: Timestamp | null;
  leaseExpiries: number;
}

/** The request of SetConditions. */
export interface SetConditionsRequest {
  name: string;
  namespace: string;
  conditions: DeepPartial<Condition>[];
  removeTypes: string[];
  resourceVersion: number;
}

/** Converts milliseconds to a Duration. */
export function durationFromMs(ms: number): Duration {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/**
 * Converts epoch milliseconds to a Timestamp: the one conversion the store and the lease
 * expiry use, split as a Duration is.
 *
 * @param ms milliseconds since the epoch
 * @returns whole seconds and the rest in nanoseconds
 * @example Usage
 * ```ts
 * import { timestampFromMs } from "./provider_types.ts";
 * timestampFromMs(1500); // { seconds: 1, nanos: 500000000 }
 * ```
 */
export function timestampFromMs(ms: number): Timestamp {
  return durationFromMs(ms);
}

/** Converts a Duration (or its absence) to milliseconds, rounded down to whole ones. */
export function durationToMs(duration: DeepPartial<Duration> | null | undefined): number {
  return (duration?.seconds ?? 0) * 1000 + Math.floor((duration?.nanos ?? 0) / 1e6);
}

/** Metadata key a provider names itself with on every write (see `docs/api.md`). */
export const PROVIDER_METADATA_KEY = "x-device-api-provider";
