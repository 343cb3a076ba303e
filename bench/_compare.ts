/**
 * The side-by-side table of `--reference` runs: for every case, the median
 * of each figure over the repetitions, for the project and the reference,
 * and their ratio (project / reference).
 *
 * @module
 */
import { fixed } from "./_report.ts";
import type { CaseResult } from "./_run_case.ts";

/** One figure of a case, as read from a result; NaN where it does not apply. */
interface Figure {
  title: string;
  digits: number;
  read: (r: CaseResult) => number;
}

// The figure the targets are set in; its ratio's range over the repetitions gets a column too.
const CPU_PER_OP: Figure = {
  title: "server CPU/op µs",
  digits: 0,
  read: (r) => r.ops > 0 ? r.serverCpuPerOpUs : NaN,
};

const OTHER_FIGURES: readonly Figure[] = [
  { title: "ops/s", digits: 0, read: (r) => r.ops > 0 ? r.opsPerS : NaN },
  { title: "p50 ms", digits: 2, read: (r) => r.ops > 0 ? r.latency.p50 : NaN },
  { title: "p99 ms", digits: 2, read: (r) => r.ops > 0 ? r.latency.p99 : NaN },
  { title: "server CPU % core", digits: 1, read: (r) => r.serverCpuPercent },
  { title: "server wake-ups/s", digits: 0, read: (r) => r.serverWakeupsPerS },
  { title: "peak RSS MiB", digits: 0, read: (r) => r.vmHwmMiB },
  { title: "idle RSS MiB", digits: 0, read: (r) => r.rssIdleMiB },
  { title: "ready ms", digits: 0, read: (r) => r.readyMs },
];

/** One column of the comparison table: a title and its cell from each server's runs of a case. */
interface Column {
  title: string;
  cell: (ours: CaseResult[], theirs: CaseResult[]) => string;
}

/** Median of the finite values; NaN when there are none. */
export function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** "project / reference (ratio×)" for one figure; "—" where it does not apply. */
export function compareCell(project: number, reference: number, digits: number): string {
  if (!Number.isFinite(project) && !Number.isFinite(reference)) return "—";
  const ratio = Number.isFinite(project) && Number.isFinite(reference) && reference !== 0
    ? ` (${(project / reference).toFixed(2)}×)`
    : "";
  return `${fixed(project, digits)} / ${fixed(reference, digits)}${ratio}`;
}

/**
 * The range of the CPU-per-operation ratio over the repetitions, "lo–hi×":
 * the i-th project run divided by the i-th reference run, which ran right
 * before or after it (the order alternates). A range that spans 1.00× says
 * the difference between the servers is within what the machine drifted by
 * from one repetition to the next; "—" where no pair has operations.
 *
 * @example
 * ```ts
 * import { pairedRatioRange } from "./_compare.ts";
 * pairedRatioRange([300, 500], [100, 300]); // "1.67–3.00×"
 * ```
 */
export function pairedRatioRange(project: number[], reference: number[]): string {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(project.length, reference.length); i++) {
    const [p, r] = [project[i]!, reference[i]!];
    if (Number.isFinite(p) && Number.isFinite(r) && r > 0) ratios.push(p / r);
  }
  if (ratios.length === 0) return "—";
  const [lo, hi] = [Math.min(...ratios).toFixed(2), Math.max(...ratios).toFixed(2)];
  return lo === hi ? `${lo}×` : `${lo}–${hi}×`;
}

// A figure's medians side by side, "project / reference (ratio)".
function medianColumn(f: Figure): Column {
  return {
    title: f.title,
    cell: (ours, theirs) =>
      compareCell(median(ours.map(f.read)), median(theirs.map(f.read)), f.digits),
  };
}

const COLUMNS: readonly Column[] = [
  medianColumn(CPU_PER_OP),
  {
    title: "CPU/op ratio by repetition",
    cell: (ours, theirs) =>
      pairedRatioRange(ours.map(CPU_PER_OP.read), theirs.map(CPU_PER_OP.read)),
  },
  ...OTHER_FIGURES.map(medianColumn),
];

/**
 * The comparison table: one row per case, each cell "project / reference
 * (ratio)" of the medians over the repetitions, with the range of the CPU
 * ratio over the repetitions next to its median, then lost events, call
 * errors and the other processes' CPU (how loaded the machine was).
 */
export function comparisonTable(results: CaseResult[], referenceLabel = "reference"): string {
  const names = [...new Set(results.map((r) => r.name))];
  const lines = [
    `| case | runs | ${
      COLUMNS.map((c) => c.title).join(" | ")
    } | lost events | call errors | other CPU % core |`,
    `|---|--:|${COLUMNS.map(() => "--:").join("|")}|--:|--:|--:|`,
  ];
  for (const name of names) {
    const ours = results.filter((r) => r.name === name && r.server === "project");
    const theirs = results.filter((r) => r.name === name && r.server === referenceLabel);
    const cells = COLUMNS.map((c) => c.cell(ours, theirs));
    const sum = (rs: CaseResult[], read: (r: CaseResult) => number | undefined) =>
      rs.reduce((n, r) => n + (read(r) ?? 0), 0);
    const lost = ours.some((r) => r.lost !== undefined)
      ? `${sum(ours, (r) => r.lost)} / ${sum(theirs, (r) => r.lost)}`
      : "—";
    const errors = `${sum(ours, (r) => r.errors)} / ${sum(theirs, (r) => r.errors)}`;
    const other = median([...ours, ...theirs].map((r) => r.otherCpuPercent));
    lines.push(
      `| ${name} | ${ours.length}+${theirs.length} | ${cells.join(" | ")} | ${lost} | ${errors} | ${
        fixed(other, 0)
      } |`,
    );
  }
  return lines.join("\n");
}
