/**
 * Which XIDs make a GPU unhealthy. Pure: no I/O. (The flags' XID lists are parsed once, by
 * `parseXidList` in src/config.)
 *
 * @module
 */

/**
 * XIDs ignored by default because applications cause them (the NVIDIA device plugin's list):
 * 13 graphics engine exception, 31 GPU memory page fault, 43 GPU stopped processing,
 * 45 preemptive cleanup, 68 video processor exception, 109 context switch timeout.
 */
export const DEFAULT_IGNORED_XIDS: readonly number[] = [13, 31, 43, 45, 68, 109];

/** The XID NVML reports when it cannot tell which XID happened. */
export const UNKNOWN_XID = 999;

/** Decides whether an XID is critical; build it with {@linkcode createXidPolicy}. */
export interface XidPolicy {
  readonly ignored: ReadonlySet<number>;
  readonly ignoreAll: boolean;
  readonly critical: ReadonlySet<number>;
}

/** Options of {@linkcode createXidPolicy}. */
export interface XidPolicyOptions {
  /** XIDs ignored in addition to {@linkcode DEFAULT_IGNORED_XIDS}. */
  ignoredXids?: readonly number[];
  /** Ignore every XID not listed in `criticalXids`. */
  ignoreAllXids?: boolean;
  /** XIDs that are always critical, even when ignored by default or by the flags above. */
  criticalXids?: readonly number[];
}

/**
 * Builds the XID policy from the operator's flags; forcing an XID critical beats ignoring it.
 *
 * @param options The operator's ignore and force lists.
 * @returns The policy for {@linkcode isCriticalXid}.
 */
export function createXidPolicy(options: XidPolicyOptions = {}): XidPolicy {
  return {
    ignored: new Set([...DEFAULT_IGNORED_XIDS, ...(options.ignoredXids ?? [])]),
    ignoreAll: options.ignoreAllXids ?? false,
    critical: new Set(options.criticalXids ?? []),
  };
}

/**
 * Tells whether an XID makes the GPU unhealthy under a policy.
 *
 * @param xid The XID from the event (999 when unknown: critical unless ignored).
 * @param policy The operator's policy.
 * @returns True when the XID is critical.
 * @example Usage
 * ```ts
 * import { createXidPolicy, isCriticalXid } from "./xid_policy.ts";
 * console.log(isCriticalXid(13, createXidPolicy())); // false: an application error
 * console.log(isCriticalXid(79, createXidPolicy())); // true: GPU fell off the bus
 * ```
 */
export function isCriticalXid(xid: number, policy: XidPolicy): boolean {
  if (policy.critical.has(xid)) return true;
  return !(policy.ignoreAll || policy.ignored.has(xid));
}
