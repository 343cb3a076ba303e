/**
 * Polled GPU signals and the conditions they make. Pure: no I/O.
 *
 * @module
 */

import { actionSeverity, type RecommendedAction } from "./actions.ts";

/** Clock event (throttle) reason bits (`nvmlClocksEventReason*`). */
export const ClockReason = {
  GpuIdle: 0x1n,
  ApplicationsClocksSetting: 0x2n,
  SwPowerCap: 0x4n,
  HwSlowdown: 0x8n,
  SyncBoost: 0x10n,
  SwThermalSlowdown: 0x20n,
  HwThermalSlowdown: 0x40n,
  HwPowerBrakeSlowdown: 0x80n,
  DisplayClockSetting: 0x100n,
} as const;

/**
 * Names of the reasons in a clock event reason mask, for messages.
 *
 * @param mask The bits from `nvmlDeviceGetCurrentClocksEventReasons`.
 */
export function clockReasonNames(mask: bigint): string[] {
  return Object.entries(ClockReason).filter(([, bit]) => (mask & bit) !== 0n).map(([n]) => n);
}

/** Condition types the signal poller owns (besides the events' `NVMLReady`). */
export const SignalCondition = {
  /** Row remapping, retired pages and volatile uncorrectable ECC counts. */
  Memory: "NVMLMemoryHealthy",
  /** Hardware clock slowdowns (thermal, power brake, external). */
  Clocks: "NVMLClocksHealthy",
} as const;

/** Every polled signal's metric label. */
export const SIGNAL_NAMES: readonly string[] = [
  "row_remap_failure",
  "row_remap_pending",
  "retired_pages_pending",
  "volatile_uncorrectable_ecc",
  "hw_thermal_slowdown",
  "hw_power_brake_slowdown",
  "hw_slowdown",
];

/** Reasons of the polled conditions. */
export const SignalReason = {
  MemoryHealthy: "MemoryHealthy",
  RowRemapFailure: "RowRemapFailure",
  RowRemapPending: "RowRemapPending",
  RetiredPagesPending: "RetiredPagesPending",
  UncorrectableEccErrors: "UncorrectableEccErrors",
  NoHardwareSlowdown: "NoHardwareSlowdown",
  HwThermalSlowdown: "HwThermalSlowdown",
  HwPowerBrakeSlowdown: "HwPowerBrakeSlowdown",
  HwSlowdown: "HwSlowdown",
} as const;

/** What one poll read from a GPU; a field is undefined when the GPU or driver lacks it. */
export interface SignalReadings {
  remappedRows?: { correctable: number; uncorrectable: number; pending: boolean; failure: boolean };
  retiredPagesPending?: boolean;
  retiredPagesSbe?: number;
  retiredPagesDbe?: number;
  volatileUncorrectableEcc?: bigint;
  clockReasons?: bigint;
  temperature?: number;
  slowdownThreshold?: number;
  shutdownThreshold?: number;
}

/** One active problem a poll found. */
export interface SignalProblem {
  /** Metric label, e.g. "row_remap_pending". */
  signal: string;
  /** The condition it affects. */
  type: string;
  reason: string;
  action: RecommendedAction;
  /** One phrase for the message. */
  detail: string;
}

/**
 * The problems in a poll's readings, most severe first within each condition.
 *
 * @param r What the poll read.
 * @returns Every active problem.
 */
export function signalProblems(r: SignalReadings): SignalProblem[] {
  const out: SignalProblem[] = [];
  const mem = SignalCondition.Memory;
  const clocks = SignalCondition.Clocks;
  if (r.remappedRows?.failure) {
    out.push({
      signal: "row_remap_failure",
      type: mem,
      reason: SignalReason.RowRemapFailure,
      action: "CONTACT_SUPPORT",
      detail: "row remapping failed: the GPU should be replaced",
    });
  }
  if (r.remappedRows?.pending) {
    out.push({
      signal: "row_remap_pending",
      type: mem,
      reason: SignalReason.RowRemapPending,
      action: "RESET_GPU",
      detail: "a row remap is pending: reset the GPU to apply it",
    });
  }
  if (r.retiredPagesPending) {
    out.push({
      signal: "retired_pages_pending",
      type: mem,
      reason: SignalReason.RetiredPagesPending,
      action: "RESET_GPU",
      detail: "pages are pending retirement: reset the GPU to retire them",
    });
  }
  if ((r.volatileUncorrectableEcc ?? 0n) > 0n) {
    out.push({
      signal: "volatile_uncorrectable_ecc",
      type: mem,
      reason: SignalReason.UncorrectableEccErrors,
      action: "RESET_GPU",
      detail: `${r.volatileUncorrectableEcc} uncorrectable ECC error(s) since the last reset`,
    });
  }
  const reasons = r.clockReasons ?? 0n;
  const slowdowns: [bigint, string, string][] = [
    [ClockReason.HwThermalSlowdown, "hw_thermal_slowdown", SignalReason.HwThermalSlowdown],
    [
      ClockReason.HwPowerBrakeSlowdown,
      "hw_power_brake_slowdown",
      SignalReason.HwPowerBrakeSlowdown,
    ],
    [ClockReason.HwSlowdown, "hw_slowdown", SignalReason.HwSlowdown],
  ];
  for (const [bit, signal, reason] of slowdowns) {
    if ((reasons & bit) === 0n) continue;
    out.push({
      signal,
      type: clocks,
      reason,
      action: "CHECK_MECHANICALS",
      detail: `clocks slowed down by the hardware (${reason})`,
    });
  }
  return out;
}

function memoryFacts(r: SignalReadings): string {
  const facts: string[] = [];
  if (r.remappedRows) {
    facts.push(
      `remapped rows ${r.remappedRows.correctable} correctable, ${r.remappedRows.uncorrectable} uncorrectable`,
    );
  }
  if (r.retiredPagesSbe !== undefined || r.retiredPagesDbe !== undefined) {
    facts.push(`retired pages ${r.retiredPagesSbe ?? "?"} SBE, ${r.retiredPagesDbe ?? "?"} DBE`);
  }
  if (r.volatileUncorrectableEcc !== undefined) {
    facts.push(`volatile uncorrectable ECC errors ${r.volatileUncorrectableEcc}`);
  }
  return facts.join("; ");
}

/**
 * The temperature facts of `NVMLClocksHealthy`. The reading itself goes only into a slowdown's
 * message: a healthy GPU's temperature moves whenever its load does (an H200 went from 38 to 63 °C
 * in 20 s of work), and a message that followed it would rewrite the condition at every poll (a
 * new resource version, a watch event to every consumer, a journal append) with nothing changed
 * in the GPU's health.
 */
function temperatureFacts(r: SignalReadings, slowedDown: boolean): string {
  const limits = [
    r.slowdownThreshold === undefined ? "" : `slowdown at ${r.slowdownThreshold} °C`,
    r.shutdownThreshold === undefined ? "" : `shutdown at ${r.shutdownThreshold} °C`,
  ].filter((s) => s !== "");
  if (!slowedDown || r.temperature === undefined) return limits.join(", ");
  return `temperature ${r.temperature} °C` + (limits.length ? ` (${limits.join(", ")})` : "");
}

/** A polled condition and the action it carries. */
export interface SignalConditionState {
  condition: { type: string; status: "True" | "False"; reason: string; message: string };
  action: RecommendedAction | "";
}

/**
 * The polled conditions for one GPU: `NVMLMemoryHealthy` when any memory signal could be read,
 * `NVMLClocksHealthy` when clock event reasons could; each False with the most severe problem's
 * reason and action, or True.
 *
 * @param r What the poll read.
 * @returns The conditions to set (none for a category the GPU or driver lacks entirely).
 */
export function signalConditions(r: SignalReadings): SignalConditionState[] {
  const problems = signalProblems(r);
  const out: SignalConditionState[] = [];
  const memoryRead = r.remappedRows !== undefined || r.retiredPagesPending !== undefined ||
    r.retiredPagesSbe !== undefined || r.volatileUncorrectableEcc !== undefined;
  const categories: [string, boolean, string, string][] = [
    [SignalCondition.Memory, memoryRead, SignalReason.MemoryHealthy, memoryFacts(r)],
    [SignalCondition.Clocks, r.clockReasons !== undefined, SignalReason.NoHardwareSlowdown, ""],
  ];
  for (const [type, read, healthy, facts] of categories) {
    if (!read) continue;
    const mine = problems.filter((p) => p.type === type);
    const extra = [type === SignalCondition.Clocks ? temperatureFacts(r, mine.length > 0) : facts]
      .filter((s) => s !== "");
    if (mine.length === 0) {
      const what = type === SignalCondition.Clocks
        ? "No hardware clock slowdown"
        : "No pending memory repair or uncorrectable error";
      out.push({
        condition: { type, status: "True", reason: healthy, message: [what, ...extra].join("; ") },
        action: "",
      });
      continue;
    }
    const worst = mine.reduce((a, b) =>
      actionSeverity(b.action) > actionSeverity(a.action) ? b : a
    );
    out.push({
      condition: {
        type,
        status: "False",
        reason: worst.reason,
        message: [...mine.map((p) => p.detail), ...extra].join("; "),
      },
      action: worst.action,
    });
  }
  return out;
}
