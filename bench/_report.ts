/**
 * The benchmark's Markdown tables.
 *
 * @module
 */
import type { CodecRow } from "./_codec_micro.ts";
import type { CaseResult } from "./_run_case.ts";

/** The table of server cases: one row per run, absolute figures. */
export function casesTable(results: CaseResult[]): string {
  const lines = [
    "| case | server | ops/s | p50 ms | p99 ms | server CPU/op µs | server CPU % core | server wake-ups/s | load CPU % core | other CPU % core | RSS idle MiB | RSS end MiB | peak RSS MiB (sampled / VmHWM) | notes |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const r of results) {
    const idle = r.ops === 0;
    lines.push(
      "| " + [
        `${r.name}`,
        r.server,
        idle ? "—" : fixed(r.opsPerS, 0),
        idle ? "—" : fixed(r.latency.p50, 2),
        idle ? "—" : fixed(r.latency.p99, 2),
        idle ? "—" : fixed(r.serverCpuPerOpUs, 0),
        fixed(r.serverCpuPercent, 1),
        fixed(r.serverWakeupsPerS, 0),
        fixed(r.loadCpuPercent, 0),
        fixed(r.otherCpuPercent, 0),
        fixed(r.rssIdleMiB, 0),
        fixed(r.rssEndMiB, 0),
        `${fixed(r.rssPeakSampledMiB, 0)} / ${fixed(r.vmHwmMiB, 0)}`,
        notes(r),
      ].join(" | ") + " |",
    );
  }
  return lines.join("\n");
}

/** The table of in-process technique costs. */
export function codecTable(rows: CodecRow[]): string {
  const lines = [
    "| operation | technique | µs per operation |",
    "|---|---|--:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.operation} | ${r.server ? "**" + r.technique + "** (server)" : r.technique} | ${
        fixed(r.us, 2)
      } |`,
    );
  }
  return lines.join("\n");
}

function notes(r: CaseResult): string {
  const out: string[] = [];
  if (r.delivered !== undefined && r.ops > 0) {
    out.push(`${fixed(r.cpuPerEventUs ?? NaN, 1)} µs/event`);
    out.push(`delivered ${r.delivered}, lost ${r.lost}`);
    if (r.latencyFromSend) out.push(`from send p50/p99 ${pair(r.latencyFromSend)} ms`);
    if (r.writerLatency) out.push(`writer's call p50/p99 ${pair(r.writerLatency)} ms`);
  }
  if (r.writerSkipped) out.push(`writer skipped ${r.writerSkipped} due updates (16 in flight)`);
  const errors = Object.entries(r.streamErrors ?? {}).map(([code, n]) => `${n}× code ${code}`);
  if (errors.length > 0) out.push(`streams ended: ${errors.join(", ")}`);
  if (r.errors > 0) out.push(`${r.errors} call errors (${r.firstError ?? "?"})`);
  return out.join("; ") || "";
}

function pair(s: { p50: number; p99: number }): string {
  return `${fixed(s.p50, 2)}/${fixed(s.p99, 2)}`;
}

/** `n` with `digits` decimals, "—" when not finite, never "-0". */
export function fixed(n: number, digits: number): string {
  if (!Number.isFinite(n)) return "—";
  const text = n.toFixed(digits);
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text; // no "-0"
}
