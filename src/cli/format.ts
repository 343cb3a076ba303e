/**
 * Pure text formatting of the operator CLI: the READY column, condition summaries, kubectl-style
 * ages and aligned tables. No I/O: the caller passes the current time.
 *
 * @module
 */
import { type Condition, durationToMs, type Gpu, type Timestamp } from "../api/mod.ts";

/** Status values a condition, and so the READY column, can take. */
export type ConditionStatus = "True" | "False" | "Unknown";

/**
 * Derives READY from every condition: one False makes the GPU not ready, then anything not True
 * (Unknown, or no condition at all: nobody vouches for the GPU) makes it Unknown.
 *
 * @param conditions the GPU's conditions
 * @returns "False", "Unknown" or "True"
 * @example Usage
 * ```ts
 * import { readyOf } from "./format.ts";
 * readyOf([{ status: "True" }, { status: "False" }]); // "False"
 * ```
 */
export function readyOf(conditions: readonly Pick<Condition, "status">[]): ConditionStatus {
  if (conditions.some((c) => c.status === "False")) return "False";
  if (conditions.length === 0 || conditions.some((c) => c.status !== "True")) return "Unknown";
  return "True";
}

/**
 * Summarises conditions in one table cell, so a table shows which check failed.
 *
 * @param conditions the GPU's conditions, in stored order
 * @returns `NVMLReady=True,MemoryHealthy=False`, or `<none>`
 */
export function conditionsSummary(
  conditions: readonly Pick<Condition, "type" | "status">[],
): string {
  if (conditions.length === 0) return "<none>";
  return conditions.map((c) => `${c.type}=${c.status}`).join(",");
}

/**
 * Writes a duration as kubectl's AGE column does (apimachinery's HumanDuration): precise when
 * short, coarser as it grows, so columns stay narrow.
 *
 * @param ms elapsed milliseconds; up to 2 s in the future counts as now (clock skew)
 * @returns e.g. `45s`, `5m30s`, `3h`, `2d4h`, `1y20d`, or `<invalid>` for a later time
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return withRest(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return withRest(hours, "h", minutes % 60, "m");
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return withRest(days, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return withRest(years, "y", days % 365, "d");
  return `${years}y`;
}

function withRest(value: number, unit: string, rest: number, restUnit: string): string {
  return rest === 0 ? `${value}${unit}` : `${value}${unit}${rest}${restUnit}`;
}

/** Converts a protobuf Timestamp to epoch milliseconds, or undefined when unset. */
export function timestampMs(ts: Timestamp | null | undefined): number | undefined {
  if (!ts || (ts.seconds === 0 && ts.nanos === 0)) return undefined;
  return durationToMs(ts); // the same split into seconds and nanos
}

/**
 * The age of a timestamp as kubectl shows it.
 *
 * @param ts when it happened; unset gives `<unknown>`
 * @param nowMs the current time in epoch milliseconds
 */
export function ageOf(ts: Timestamp | null | undefined, nowMs: number): string {
  const ms = timestampMs(ts);
  return ms === undefined ? "<unknown>" : humanDuration(nowMs - ms);
}

/**
 * Makes provider-written text safe for one table cell or line: control characters (newlines,
 * tabs, terminal escapes) become spaces, so they can neither break alignment nor drive the
 * terminal.
 */
export function cellText(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]+/g, " ");
}

/** Options of {@linkcode renderTable}. */
export interface RenderTableOptions {
  /** Prefix of every line, e.g. two spaces inside `describe`. */
  readonly indent?: string;
}

/**
 * Aligns rows as kubectl's tabwriter does (minimum width 6, padding 3, spaces); the last column
 * is not padded and no line ends in spaces.
 *
 * @param rows header first; cells are used as given (see {@linkcode cellText})
 * @param options see RenderTableOptions
 * @returns the lines, each ending with a newline
 * @example Usage
 * ```ts
 * import { renderTable } from "./format.ts";
 * renderTable([["NAME", "READY"], ["gpu-0", "True"]]); // "NAME    READY\ngpu-0   True\n"
 * ```
 */
export function renderTable(
  rows: readonly (readonly string[])[],
  options: RenderTableOptions = {},
): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, runes(cell) + 3, 6);
    });
  }
  const indent = options.indent ?? "";
  return rows.map((row) => {
    const cells = row.map((cell, i) =>
      i < row.length - 1 ? cell + " ".repeat((widths[i] ?? 0) - runes(cell)) : cell
    );
    return `${indent}${cells.join("").trimEnd()}\n`;
  }).join("");
}

function runes(text: string): number {
  return [...text].length;
}

/** Options of {@linkcode gpuTable}. */
export interface GpuTableOptions {
  /** The current time in epoch milliseconds, for AGE. */
  readonly nowMs: number;
  /** Adds PRODUCT, PCI BUS ID and INDEX (`-o wide`). */
  readonly wide?: boolean;
  /** Adds a leading NAMESPACE column (`--all-namespaces`). */
  readonly namespace?: boolean;
}

/**
 * The `get gpus` table: NAME, UUID, READY, CONDITIONS and AGE, plus the wide columns.
 *
 * @param gpus rows in the order given
 * @param options see GpuTableOptions
 * @returns the table with its header line
 */
export function gpuTable(gpus: readonly Gpu[], options: GpuTableOptions): string {
  const header = ["NAME", "UUID", "READY", "CONDITIONS", "AGE"];
  if (options.wide) header.push("PRODUCT", "PCI BUS ID", "INDEX");
  if (options.namespace) header.unshift("NAMESPACE");
  const rows = gpus.map((gpu) => {
    const conditions = gpu.status?.conditions ?? [];
    const row = [
      gpu.metadata.name,
      gpu.spec.uuid,
      readyOf(conditions),
      conditionsSummary(conditions),
      ageOf(gpu.metadata.creationTimestamp, options.nowMs),
    ];
    if (options.wide) {
      row.push(orNone(gpu.spec.productName), orNone(gpu.spec.pciBusId), String(gpu.spec.index));
    }
    if (options.namespace) row.unshift(gpu.metadata.namespace);
    return row.map(cellText);
  });
  return renderTable([header, ...rows]);
}

/** Shows an empty value as kubectl does. */
export function orNone(text: string): string {
  return text === "" ? "<none>" : text;
}
