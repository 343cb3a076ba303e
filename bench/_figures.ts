/**
 * Turns what the workers report into a case's figures: throughput,
 * latency percentiles, CPU per operation, and for watch cases the matching
 * of every receipt with the writer's call.
 *
 * @module
 */
import { now, sleep } from "./_clock.ts";
import type { UnaryResult, WatchResult, WriteRecord, WriterResult } from "./_protocol.ts";
import { type LatencySummary, summarize } from "./_stats.ts";
import { broadcast, type WorkerProcess } from "./_worker_pool.ts";

/** Figures of a unary case. */
export interface UnaryFigures {
  ops: number;
  opsPerS: number;
  errors: number;
  firstError?: string;
  latency: LatencySummary;
  serverCpuPerOpUs: number;
}

/** Figures of a watch case. */
export interface WatchFigures extends UnaryFigures {
  latencyFromSend: LatencySummary;
  delivered: number;
  lost: number;
  cpuPerEventUs: number;
  streamErrors: Record<string, number>;
  writerSkipped?: number;
  /** The writer's UpdateGpuStatus latency, ms. */
  writerLatency: LatencySummary;
}

/** Sums the unary workers' results. */
export function unaryFigures(results: UnaryResult[], serverCpuMs: number): UnaryFigures {
  const ops = results.reduce((n, r) => n + r.ops, 0);
  const windowS = Math.max(...results.map((r) => r.windowMs)) / 1000;
  return {
    ops,
    opsPerS: ops / windowS,
    errors: results.reduce((n, r) => n + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
    latency: summarize(results.map((r) => r.latencies)),
    serverCpuPerOpUs: (serverCpuMs * 1000) / ops,
  };
}

/** Waits for the last deliveries, then matches every receipt with the writer's calls. */
export async function watchFigures(
  workers: WorkerProcess[],
  stopped: (WriterResult | { ok: true })[],
  serverCpuMs: number,
): Promise<WatchFigures> {
  const writerIndex = stopped.findIndex((r) => "writes" in r);
  const writer = writerIndex >= 0 ? workers[writerIndex]! : undefined;
  const written = writerIndex >= 0 ? stopped[writerIndex] as WriterResult : undefined;
  const watchers = workers.filter((w) => w !== writer);
  if (written) await settle(watchers);
  const results = await Promise.all(
    watchers.map((w) =>
      w.request({ cmd: "collect", writes: inClockOf(written?.writes ?? [], writer, w) })
    ),
  ) as unknown as WatchResult[];
  const ops = written?.ops ?? 0;
  const delivered = results.reduce((n, r) => n + r.delivered, 0);
  const streamErrors: Record<string, number> = {};
  for (const r of results) {
    for (const [code, n] of Object.entries(r.streamErrors)) {
      streamErrors[code] = (streamErrors[code] ?? 0) + n;
    }
  }
  return {
    ops,
    opsPerS: written ? ops / (written.windowMs / 1000) : 0,
    errors: written?.errors ?? 0,
    firstError: written?.firstError,
    latency: summarize(results.map((r) => r.fromReturn)),
    latencyFromSend: summarize(results.map((r) => r.fromSend)),
    serverCpuPerOpUs: ops > 0 ? (serverCpuMs * 1000) / ops : NaN,
    delivered,
    lost: results.reduce((n, r) => n + r.lost, 0),
    cpuPerEventUs: delivered > 0 ? (serverCpuMs * 1000) / delivered : NaN,
    streamErrors,
    writerSkipped: written?.skipped,
    writerLatency: summarize([written?.latencies ?? []]),
  };
}

// Waits until the watchers stop receiving (1 s without a new event), at most
// 30 s: what has not arrived by then counts as lost.
async function settle(watchers: WorkerProcess[]): Promise<void> {
  const deadline = now() + 30_000;
  let last = -1;
  while (now() < deadline) {
    const counts = await broadcast(watchers, { cmd: "count" });
    const received = counts.reduce((n, c) => n + (c.received as number), 0);
    if (received === last) return;
    last = received;
    await sleep(1000);
  }
}

// Moves the writer's timestamps into a watcher's clock.
function inClockOf(
  writes: WriteRecord[],
  from: WorkerProcess | undefined,
  to: WorkerProcess,
): WriteRecord[] {
  if (!from) return [];
  const shift = to.offset - from.offset;
  return writes.map(([v, sent, returned]) => [v, sent + shift, returned + shift]);
}
