/**
 * Runs one server case: a fresh server, seeded with the GPUs, load from
 * worker processes, a warm-up, a measured window, and the server's CPU and
 * memory read from /proc around it.
 *
 * @module
 */
import { DeviceApiClient } from "../src/client/mod.ts";
import { now, sleep } from "./_clock.ts";
import { type CaseSpec, GPUS } from "./_cases.ts";
import {
  cpuMs,
  machineBusyMs,
  memory,
  RssSampler,
  threadWakeups,
  wakeupsBetween,
} from "./_proc.ts";
import type { UnaryResult, WriterResult } from "./_protocol.ts";
import { type BenchServer, startServer } from "./_server.ts";
import type { LatencySummary } from "./_stats.ts";
import { unaryFigures, watchFigures } from "./_figures.ts";
import { benchGpu } from "./_wire.ts";
import { broadcast, WorkerProcess } from "./_worker_pool.ts";

/**
 * Milliseconds between seeding and the idle RSS reading: long enough for a
 * server to settle after its start and the seeding writes (its timers have
 * fired, its first state write is done), so the figure is what the server
 * keeps resident while it idles.
 */
const SETTLE_MS = 2000;

/** Timing of a run. */
export interface Timing {
  warmupS: number;
  durationS: number;
  idleSeconds: number;
  quick: boolean;
}

/** What one server case measured. */
export interface CaseResult {
  name: string;
  title: string;
  /** Which server ran: "project" (or `--server`'s command), or "reference" (`--reference`). */
  server: string;
  /** The command line it ran as. */
  command: string;
  /** Milliseconds from spawning the server to its readiness. */
  readyMs: number;
  /** The server's `--v8-flags`, or "" for none. */
  v8Flags: string;
  windowS: number;
  ops: number;
  opsPerS: number;
  errors: number;
  firstError?: string;
  /** Unary: call latency. Watch: receipt minus the writer's return. */
  latency: LatencySummary;
  /** Watch: receipt minus the writer's send. */
  latencyFromSend?: LatencySummary;
  serverCpuMs: number;
  serverCpuPerOpUs: number;
  /** Server CPU as a percentage of one core. */
  serverCpuPercent: number;
  /**
   * The server's wake-ups per second over the window (voluntary context
   * switches of all its threads): on a machine where each wake-up costs
   * hundreds of µs, a steadier measure of what a change costs than CPU time.
   */
  serverWakeupsPerS: number;
  /** All load workers together, percentage of one core. */
  loadCpuPercent: number;
  /**
   * CPU used on the machine by processes outside the benchmark (the driver
   * included), percentage of one core: other work that shared the cores.
   */
  otherCpuPercent: number;
  /** Watch: delivered (watcher, update) pairs, lost pairs, CPU per delivered event. */
  delivered?: number;
  lost?: number;
  cpuPerEventUs?: number;
  /** Watch: due updates the writer skipped because 16 were already in flight. */
  writerSkipped?: number;
  /** Watch: the writer's UpdateGpuStatus latency. */
  writerLatency?: LatencySummary;
  streamErrors?: Record<string, number>;
  /** MiB: 2 s after seeding, before load; at the end of the window; sampled peak; VmHWM. */
  rssIdleMiB: number;
  rssEndMiB: number;
  rssPeakSampledMiB: number;
  vmHwmMiB: number;
  /** Largest |clock offset| of a worker and the sync round trip it was measured with, ms. */
  clockOffsetMs: number;
  syncRoundTripMs: number;
}

/** Runs a unary or watch case against a fresh server (the project's unless `start` says otherwise). */
export async function runCase(
  spec: CaseSpec,
  timing: Timing,
  start: { label: string; start: () => Promise<BenchServer> } = {
    label: "project",
    start: () => startServer(),
  },
): Promise<CaseResult> {
  if (spec.kind === "codec") throw new TypeError("Cannot run the codec case against a server");
  await using server = await start.start();
  await seed(server.socket);
  await sleep(SETTLE_MS);
  const rssIdleMiB = (await memory(server.pid)).rss;
  const sampler = new RssSampler(server.pid);
  const workers: WorkerProcess[] = [];
  try {
    const { warmupS, durationS } = durations(spec, timing);
    if (spec.kind === "unary") {
      const per = Math.ceil(spec.concurrency / spec.processes);
      workers.push(
        ...await Promise.all(Array.from({ length: spec.processes }, () =>
          WorkerProcess.spawn({
            role: "unary",
            socket: server.socket,
            method: spec.method,
            concurrency: per,
            channels: 1,
            gpus: GPUS,
          }))),
      );
      await broadcast(workers, { cmd: "start" });
    } else {
      const per = Math.ceil(spec.watchers / spec.processes);
      workers.push(
        ...await Promise.all(Array.from({ length: spec.processes }, () =>
          WorkerProcess.spawn({
            role: "watch",
            socket: server.socket,
            watchers: per,
            channels: spec.channelsPerProcess,
            gpus: GPUS,
          }))),
      );
      await broadcast(workers, { cmd: "start" }); // every stream has its snapshot
      if (spec.rate > 0) {
        const writer = await WorkerProcess.spawn({
          role: "writer",
          socket: server.socket,
          rate: spec.rate,
          gpus: GPUS,
          maxInFlight: 16,
        });
        workers.push(writer);
        await writer.request({ cmd: "start" });
      }
    }
    await sleep(warmupS * 1000);
    const cpu0 = await cpuOf(server.pid, workers);
    const t0 = now();
    await broadcast(workers, { cmd: "measure" });
    await sleep(durationS * 1000);
    const rssEndMiB = await sampler.sample();
    const cpu1 = await cpuOf(server.pid, workers);
    const windowS = (now() - t0) / 1000;
    const stopped = await broadcast(workers, { cmd: "stop" });
    const serverCpuMs = cpu1.server - cpu0.server;
    const base = {
      name: spec.name,
      title: spec.title,
      server: start.label,
      readyMs: server.readyMs,
      command: server.args.join(" "),
      v8Flags: server.args.find((a) => a.startsWith("--v8-flags="))?.slice(11) ?? "",
      windowS,
      serverCpuMs,
      serverCpuPercent: (serverCpuMs / 10) / windowS,
      serverWakeupsPerS: wakeupsBetween(cpu0.wakeups, cpu1.wakeups) / windowS,
      loadCpuPercent: ((cpu1.load - cpu0.load) / 10) / windowS,
      otherCpuPercent: ((cpu1.machine - cpu0.machine - (cpu1.server - cpu0.server) -
        (cpu1.load - cpu0.load)) / 10) / windowS,
      rssIdleMiB,
      rssEndMiB,
      clockOffsetMs: Math.max(...workers.map((w) => Math.abs(w.offset))),
      syncRoundTripMs: Math.max(...workers.map((w) => w.syncRoundTrip)),
    };
    const measured = spec.kind === "unary"
      ? unaryFigures(stopped as unknown as UnaryResult[], serverCpuMs)
      : await watchFigures(
        workers,
        stopped as unknown as (WriterResult | { ok: true })[],
        serverCpuMs,
      );
    await sleep(200);
    const mem = await memory(server.pid);
    sampler.stop();
    return {
      ...base,
      ...measured,
      rssPeakSampledMiB: Math.max(sampler.max, mem.rss),
      vmHwmMiB: mem.hwm,
    };
  } finally {
    sampler.stop();
    await Promise.all(workers.map((w) => w.exit()));
  }
}

function durations(spec: CaseSpec, timing: Timing): { warmupS: number; durationS: number } {
  if (spec.kind === "watch" && spec.rate === 0) {
    return { warmupS: timing.quick ? 0.5 : 2, durationS: timing.idleSeconds };
  }
  if (spec.kind === "watch" && spec.seconds) {
    return {
      warmupS: timing.warmupS,
      durationS: timing.quick ? spec.seconds.quick : spec.seconds.full,
    };
  }
  return { warmupS: timing.warmupS, durationS: timing.durationS };
}

async function seed(socket: string): Promise<void> {
  const client = new DeviceApiClient(`unix://${socket}`, { provider: "bench" });
  try {
    for (let i = 0; i < GPUS; i++) await client.create(benchGpu(i));
  } finally {
    client.close();
  }
}

async function cpuOf(
  pid: number,
  workers: WorkerProcess[],
): Promise<{ server: number; load: number; machine: number; wakeups: Map<string, number> }> {
  const [machine, server, wakeups, load] = await Promise.all([
    machineBusyMs(),
    cpuMs(pid),
    threadWakeups(pid),
    Promise.all(workers.map((w) => w.cpuMs())),
  ]);
  return { machine, server, wakeups, load: load.reduce((a, b) => a + b, 0) };
}
