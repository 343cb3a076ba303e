/**
 * Turns NVML health events into the `NVMLReady` condition. Pure: no I/O.
 *
 * @module
 */

import type { RecommendedAction } from "./actions.ts";
import type { ConditionInput } from "./writer.ts";
import { UNKNOWN_XID, xidEffect, type XidPolicy } from "./xid_policy.ts";

/** The one condition type the NVML provider owns. */
export const NVML_CONDITION_TYPE = "NVMLReady";

/** Reasons of the `NVMLReady` condition. */
export const NvmlReason = {
  /** True: events are monitored and none was critical. */
  Healthy: "NVMLHealthy",
  /** True: NVML cannot deliver health events for this GPU, so nothing is watched. */
  Unmonitored: "Unmonitored",
  /** False: a critical XID was reported. */
  XidCriticalError: "XidCriticalError",
  /** False: an uncorrectable (double-bit) ECC error was reported. */
  DoubleBitEccError: "DoubleBitEccError",
  /** False: NVML reported the GPU lost (fallen off the bus, needs a reset). */
  GpuLost: "GpuLost",
  /** True: the GPU answers NVML again after having been lost. */
  Recovered: "Recovered",
  /** Unknown: an NVML call about this GPU did not answer within --nvml-call-timeout. */
  CallTimeout: "NVMLCallTimeout",
} as const;

/** NVML event type bits (`nvmlEventType*`). */
export const NvmlEventType = {
  SingleBitEccError: 0x1n,
  DoubleBitEccError: 0x2n,
  PState: 0x4n,
  XidCriticalError: 0x8n,
  Clock: 0x10n,
} as const;

/** The event types the health monitor registers, before masking by device support. */
export const HEALTH_EVENT_MASK = NvmlEventType.XidCriticalError |
  NvmlEventType.DoubleBitEccError | NvmlEventType.SingleBitEccError;

/** A health event as the monitor sees it. */
export type HealthEvent =
  | { kind: "xid"; xid: number; gpuInstanceId?: number; computeInstanceId?: number }
  | { kind: "doubleBitEcc" }
  | { kind: "singleBitEcc" }
  | { kind: "other"; eventType: bigint };

/** What to do about an event: set the condition (with its recommended action), or only log it. */
export type HealthDecision =
  | {
    action: "set";
    condition: ConditionInput;
    recommended: RecommendedAction | "";
    unknownXid?: boolean;
  }
  | { action: "log"; message: string };

/** Recommended action while NVML reports a GPU lost (XID 79 in the catalog). */
export const LOST_ACTION: RecommendedAction = "RESTART_BM";
/** Recommended action after an uncorrectable ECC error (XID 48 in the catalog). */
export const DBE_ACTION: RecommendedAction = "RESET_GPU";

function condition(ok: boolean, reason: string, message: string): ConditionInput {
  return { type: NVML_CONDITION_TYPE, status: ok ? "True" : "False", reason, message };
}

/**
 * The condition of a GPU whose NVML call hung: its health is unknown until NVML answers.
 *
 * @param what The error of the call that passed its limit.
 */
export function callTimeoutCondition(what: string): ConditionInput {
  return {
    type: NVML_CONDITION_TYPE,
    status: "Unknown",
    reason: NvmlReason.CallTimeout,
    message: `NVML does not answer for this GPU: ${what}`,
  };
}

/**
 * Classifies raw event fields so the policy never sees bit masks.
 *
 * @param eventType The event type bit from `nvmlEventData_t`.
 * @param eventData The event data (the XID for XID events).
 * @param instance MIG instance ids, when the event is tied to one.
 * @returns The health event.
 */
export function classifyEvent(
  eventType: bigint,
  eventData: bigint,
  instance: { gpuInstanceId?: number | undefined; computeInstanceId?: number | undefined } = {},
): HealthEvent {
  if (eventType & NvmlEventType.XidCriticalError) {
    const event: HealthEvent = { kind: "xid", xid: Number(eventData) };
    if (instance.gpuInstanceId !== undefined) event.gpuInstanceId = instance.gpuInstanceId;
    if (instance.computeInstanceId !== undefined) {
      event.computeInstanceId = instance.computeInstanceId;
    }
    return event;
  }
  if (eventType & NvmlEventType.DoubleBitEccError) return { kind: "doubleBitEcc" };
  if (eventType & NvmlEventType.SingleBitEccError) return { kind: "singleBitEcc" };
  return { kind: "other", eventType };
}

function describeXid(
  event: { xid: number; gpuInstanceId?: number; computeInstanceId?: number },
  mnemonic: string,
) {
  const what = event.xid === UNKNOWN_XID
    ? `XID ${event.xid} (unknown XID)`
    : mnemonic === ""
    ? `XID ${event.xid}`
    : `XID ${event.xid} (${mnemonic})`;
  if (event.gpuInstanceId === undefined) return what;
  return `${what} on MIG GPU instance ${event.gpuInstanceId}` +
    (event.computeInstanceId === undefined ? "" : `, compute instance ${event.computeInstanceId}`);
}

/**
 * Decides what an event does to a GPU's `NVMLReady` condition.
 *
 * @param event The classified event.
 * @param policy The operator's XID overrides (the catalog decides the rest).
 * @returns `set` with the new condition and action, or `log` when the event changes nothing.
 * @example Usage
 * ```ts
 * import { decideHealth } from "./health_policy.ts";
 * import { createXidPolicy } from "./xid_policy.ts";
 * const d = decideHealth({ kind: "xid", xid: 79 }, createXidPolicy());
 * console.log(d.action); // "set": NVMLReady False, reason XidCriticalError, RESTART_BM
 * ```
 */
export function decideHealth(event: HealthEvent, policy: XidPolicy): HealthDecision {
  switch (event.kind) {
    case "xid": {
      const effect = xidEffect(event.xid, policy);
      const what = describeXid(event, effect.mnemonic);
      if (!effect.critical) {
        const why = effect.source === "ignored"
          ? "ignored under the XID policy"
          : effect.action === ""
          ? "informational in the XID catalog"
          : `the XID catalog's action is ${effect.action}: the application recovers`;
        return { action: "log", message: `Not critical: ${what}, ${why}` };
      }
      const action = effect.action === "" ? DBE_ACTION : effect.action;
      const unknown = effect.source === "unknown";
      return {
        action: "set",
        condition: condition(
          false,
          NvmlReason.XidCriticalError,
          `Critical ${what} reported; recommended action ${action}` +
            (unknown ? " (XID not in the catalog)" : ""),
        ),
        recommended: action,
        unknownXid: unknown,
      };
    }
    case "doubleBitEcc":
      return {
        action: "set",
        condition: condition(
          false,
          NvmlReason.DoubleBitEccError,
          "Uncorrectable double-bit ECC error reported",
        ),
        recommended: DBE_ACTION,
      };
    case "singleBitEcc":
      return { action: "log", message: "Corrected single-bit ECC error reported" };
    case "other":
      return {
        action: "log",
        message: `Ignored NVML event type 0x${event.eventType.toString(16)}`,
      };
  }
}

/**
 * The condition of a monitored GPU with no critical event yet.
 *
 * @param monitored Names of the event types registered, e.g. ["XidCriticalError"].
 */
export function healthyCondition(monitored: readonly string[]): ConditionInput {
  return condition(
    true,
    NvmlReason.Healthy,
    `No critical NVML event reported; monitoring ${monitored.join(", ")}`,
  );
}

/**
 * The condition of a GPU whose events cannot be monitored: healthy, but say why.
 *
 * @param why The cause, e.g. the NVML error at registration.
 */
export function unmonitoredCondition(why: string): ConditionInput {
  return condition(true, NvmlReason.Unmonitored, `NVML health events are not monitored: ${why}`);
}

/** The condition of every GPU after NVML reported a GPU lost. */
export function lostCondition(): ConditionInput {
  return condition(false, NvmlReason.GpuLost, "NVML reports the GPU is lost; it needs a reset");
}

/**
 * The condition of a GPU that answers NVML again after being lost.
 *
 * @param unmonitoredWhy Set when the GPU's events are still unmonitored, with the cause.
 */
export function recoveredCondition(unmonitoredWhy?: string): ConditionInput {
  const suffix = unmonitoredWhy ? `; NVML health events are not monitored: ${unmonitoredWhy}` : "";
  return condition(
    true,
    NvmlReason.Recovered,
    `GPU answers NVML again after being lost${suffix}`,
  );
}

/**
 * Names of the event types in a mask, for messages.
 *
 * @param mask NVML event type bits.
 */
export function eventTypeNames(mask: bigint): string[] {
  return Object.entries(NvmlEventType).filter(([, bit]) => (mask & bit) !== 0n).map(([n]) => n);
}
