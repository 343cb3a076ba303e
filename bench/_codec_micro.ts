/**
 * In-process cost of the encoding techniques the server uses, next to what
 * they replace: the CPU each technique saves per operation, measured
 * without gRPC around it.
 *
 * @module
 */
import {
  encodeGpu,
  encodeGpuList,
  encodeMessage,
  encodeWatchEvent,
  type Gpu,
  messageType,
  PACKAGE,
} from "../src/api/mod.ts";
import { GpuStore } from "../src/cache/mod.ts";
import { GPUS } from "./_cases.ts";
import { benchGpu } from "./_wire.ts";

/** One measured technique. */
export interface CodecRow {
  operation: string;
  technique: string;
  /** µs per operation (per update for the watch rows). */
  us: number;
  /** Whether this is what the server does. */
  server: boolean;
}

/** Watchers the fan-out rows assume. */
const WATCHERS = 100;

/** Measures every technique for about `ms` milliseconds each. */
export async function codecCosts(ms: number): Promise<CodecRow[]> {
  const store = new GpuStore();
  for (let i = 0; i < GPUS; i++) await store.create(benchGpu(i), { provider: "bench" });
  const stored = store.snapshot();
  const gpu = structuredClone(stored[0]!.gpu) as Gpu;
  const gpus = stored.map((s) => structuredClone(s.gpu) as Gpu);
  const bytes = stored.map((s) => s.bytes);
  const gpuType = messageType(`${PACKAGE}.Gpu`);
  const listType = messageType(`${PACKAGE}.ListGpusResponse`);
  const version = store.resourceVersion;
  const name = gpu.metadata.name;
  const rows: CodecRow[] = [];
  const add = async (operation: string, technique: string, server: boolean, fn: () => unknown) => {
    rows.push({ operation, technique, server, us: await timeIt(fn, ms) });
  };
  await add(
    "GetGpu",
    "bytes stored by the write (store.getEncoded)",
    true,
    () => store.getEncoded("", name),
  );
  await add("GetGpu", "encodeGpu per call", false, () => encodeGpu(gpu));
  await add(
    "GetGpu",
    "plain object, protobufjs fromObject + encode per call",
    false,
    () => encodeMessage(gpuType, gpuType.fromObject(gpu)),
  );
  await add(
    "ListGpus (8)",
    "cached per resource version (store.listEncoded)",
    true,
    () => store.listEncoded(),
  );
  await add(
    "ListGpus (8)",
    "composed from stored item bytes (cache miss)",
    false,
    () => encodeGpuList(version, bytes),
  );
  await add(
    "ListGpus (8)",
    "plain objects, fromObject + encode per call",
    false,
    () =>
      encodeMessage(
        listType,
        listType.fromObject({
          gpuList: { metadata: { resourceVersion: `${version}` }, items: gpus },
        }),
      ),
  );
  await add(
    `watch event × ${WATCHERS} watchers`,
    "one Buffer per event, shared",
    true,
    () => encodeWatchEvent("MODIFIED", bytes[0]!),
  );
  await add(`watch event × ${WATCHERS} watchers`, "encoded per watcher", false, () => {
    for (let i = 0; i < WATCHERS; i++) encodeWatchEvent("MODIFIED", encodeGpu(gpu));
  });
  return rows;
}

// Runs `fn` for about `ms` milliseconds after a short warm-up; µs per call.
async function timeIt(fn: () => unknown, ms: number): Promise<number> {
  const run = async (budget: number): Promise<[number, number]> => {
    const start = performance.now();
    let n = 0;
    let elapsed = 0;
    while (elapsed < budget) {
      for (let i = 0; i < 100; i++) {
        const r = fn();
        if (r instanceof Promise) await r;
      }
      n += 100;
      elapsed = performance.now() - start;
    }
    return [n, elapsed];
  };
  await run(ms / 4);
  const [n, elapsed] = await run(ms);
  return (elapsed * 1000) / n;
}
