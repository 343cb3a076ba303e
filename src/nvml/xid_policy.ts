/**
 * What an XID does to a GPU: the catalog's action, with the operator's overrides winning.
 * Pure: no I/O. (The flags' XID lists are parsed once, by `parseXidList` in src/config.)
 *
 * @module
 */

import type { RecommendedAction } from "./actions.ts";
import { UNKNOWN_XID_ACTION, XID_CATALOG } from "./xid_catalog.ts";

/**
 * XIDs ignored by default because applications cause them (the NVIDIA device plugin's list):
 * 13 graphics engine exception, 31 GPU memory page fault, 43 GPU stopped processing,
 * 45 preemptive cleanup, 68 video processor exception, 109 context switch timeout.
 */
export const DEFAULT_IGNORED_XIDS: readonly number[] = [13, 31, 43, 45, 68, 109];

/** The XID NVML reports when it cannot tell which XID happened. */
export const UNKNOWN_XID = 999;

/** The operator's overrides; build it with {@linkcode createXidPolicy}. */
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

/** What an XID does: whether the GPU turns unhealthy, the action, and why. */
export interface XidEffect {
  /** True: `NVMLReady` turns False. */
  critical: boolean;
  /** The catalog's action (the GPU's recommended action when critical); "" for none. */
  action: RecommendedAction | "";
  /** The catalog's mnemonic, or "" for an XID the catalog does not list. */
  mnemonic: string;
  /** Where the decision came from. */
  source: "forced" | "ignored" | "catalog" | "unknown";
}

/**
 * Builds the XID policy from the operator's flags; forcing an XID critical beats ignoring it.
 *
 * @param options The operator's ignore and force lists.
 * @returns The policy for {@linkcode xidEffect}.
 */
export function createXidPolicy(options: XidPolicyOptions = {}): XidPolicy {
  return {
    ignored: new Set([...DEFAULT_IGNORED_XIDS, ...(options.ignoredXids ?? [])]),
    ignoreAll: options.ignoreAllXids ?? false,
    critical: new Set(options.criticalXids ?? []),
  };
}

/**
 * Decides what an XID does. Order: `--nvml-critical-xids` (critical, with the catalog's action
 * or the unknown-XID action), then the ignore lists (no effect), then the catalog (critical
 * unless its action is "" or `RESTART_APP`: the application, not the GPU, must recover), then
 * unknown XIDs (critical, with the conservative `RESET_GPU`).
 *
 * @param xid The XID from the event (999 when NVML cannot tell).
 * @param policy The operator's overrides.
 * @returns The effect.
 * @example Usage
 * ```ts
 * import { createXidPolicy, xidEffect } from "./xid_policy.ts";
 * console.log(xidEffect(79, createXidPolicy())); // critical, RESTART_BM: off the bus
 * console.log(xidEffect(13, createXidPolicy()).critical); // false: an application error
 * ```
 */
export function xidEffect(xid: number, policy: XidPolicy): XidEffect {
  const entry = XID_CATALOG.get(xid);
  const mnemonic = entry?.mnemonic ?? "";
  if (policy.critical.has(xid)) {
    const action = entry === undefined || entry.action === "" ? UNKNOWN_XID_ACTION : entry.action;
    return { critical: true, action, mnemonic, source: "forced" };
  }
  if (policy.ignoreAll || policy.ignored.has(xid)) {
    return { critical: false, action: "", mnemonic, source: "ignored" };
  }
  if (entry !== undefined) {
    const critical = entry.action !== "" && entry.action !== "RESTART_APP";
    return { critical, action: entry.action, mnemonic, source: "catalog" };
  }
  return { critical: true, action: UNKNOWN_XID_ACTION, mnemonic, source: "unknown" };
}
