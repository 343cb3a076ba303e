/**
 * What a condition becomes when its owner's lease expires. Pure logic.
 *
 * @module
 */
import { type Condition, type Timestamp, timestampFromMs } from "../api/mod.ts";
import { formatDurationMs } from "../config/mod.ts";

/** Reason of a condition whose owner's lease expired. */
export const LEASE_EXPIRED_REASON = "ProviderLeaseExpired";

/** What the rewrite needs to know about the silent provider. */
export interface SilentProvider {
  name: string;
  leaseMs: number;
  lastHeartbeatMs: number;
}

/**
 * The condition turned Unknown because its owner went silent: the consumer
 * must not keep trusting a "True" that nobody vouches for any more. Returns
 * null when the condition is not the provider's or is already marked, so a
 * second expiry publishes nothing.
 */
export function expiredCondition(
  condition: Readonly<Condition>,
  provider: SilentProvider,
  nowMs: number,
): Condition | null {
  if (condition.owner !== provider.name) return null;
  if (condition.status === "Unknown" && condition.reason === LEASE_EXPIRED_REASON) return null;
  return {
    ...condition,
    status: "Unknown",
    reason: LEASE_EXPIRED_REASON,
    message: `provider ${JSON.stringify(provider.name)} did not renew its lease of ` +
      `${formatMs(provider.leaseMs)}; last seen at ${
        new Date(provider.lastHeartbeatMs).toISOString()
      }`,
    lastTransitionTime: condition.status === "Unknown"
      ? condition.lastTransitionTime
      : timestampOf(nowMs),
  };
}

/** Milliseconds as a Go duration: "1s", "1.5s", "250ms", "1m30s" (the one formatter, config's). */
export const formatMs: (ms: number) => string = formatDurationMs;

/** A Timestamp of a time in milliseconds. */
export const timestampOf: (ms: number) => Timestamp = timestampFromMs;
