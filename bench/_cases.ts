/**
 * The benchmark's cases.
 *
 * @module
 */
import type { UnaryMethod } from "./_protocol.ts";

/** GPUs in the store for every case. */
export const GPUS = 8;

/** One benchmark case. */
export type CaseSpec =
  & { name: string; title: string }
  & (
    | {
      kind: "unary";
      method: UnaryMethod;
      /** Worker processes; the concurrency is split evenly between them. */
      processes: number;
      concurrency: number;
    }
    | {
      kind: "watch";
      watchers: number;
      /** Watch worker processes and connections per process. */
      processes: number;
      channelsPerProcess: number;
      /** UpdateGpuStatus per second; 0 for none (idle). */
      rate: number;
      /** Measured seconds, when the case needs its own (realistic, idle). */
      seconds?: { full: number; quick: number };
    }
    | { kind: "codec" }
  );

/**
 * Every case, in the order they run. Watch cases put 5 streams on each
 * connection, as the realistic node does (20 watchers over 4 connections).
 */
export const CASES: readonly CaseSpec[] = [
  {
    name: "get-c1",
    title: "GetGpu, c1",
    kind: "unary",
    method: "GetGpu",
    processes: 1,
    concurrency: 1,
  },
  {
    name: "get-c64",
    title: "GetGpu, c64",
    kind: "unary",
    method: "GetGpu",
    processes: 2,
    concurrency: 64,
  },
  {
    name: "list-c1",
    title: "ListGpus (8 GPUs), c1",
    kind: "unary",
    method: "ListGpus",
    processes: 1,
    concurrency: 1,
  },
  {
    name: "list-c64",
    title: "ListGpus (8 GPUs), c64",
    kind: "unary",
    method: "ListGpus",
    processes: 2,
    concurrency: 64,
  },
  {
    name: "update-status-c8",
    title: "UpdateGpuStatus, c8",
    kind: "unary",
    method: "UpdateGpuStatus",
    processes: 1,
    concurrency: 8,
  },
  {
    name: "watch-100",
    title: "Watch fan-out, 100 watchers, 200 updates/s",
    kind: "watch",
    watchers: 100,
    processes: 4,
    channelsPerProcess: 5,
    rate: 200,
  },
  {
    name: "watch-1000",
    title: "Watch fan-out, 1,000 watchers, 200 updates/s",
    kind: "watch",
    watchers: 1000,
    processes: 4,
    // 60 connections: the writer's and the seeding's fit under the default --max-connections (64).
    channelsPerProcess: 15,
    rate: 200,
  },
  {
    name: "watch-1000-r20",
    title: "Watch fan-out, 1,000 watchers, 20 updates/s (the event rate of watch-100)",
    kind: "watch",
    watchers: 1000,
    processes: 4,
    // 60 connections: the writer's and the seeding's fit under the default --max-connections (64).
    channelsPerProcess: 15,
    rate: 20,
  },
  {
    name: "realistic",
    title: "Realistic node: 8 GPUs, 20 watchers / 4 conns, 10 updates/s",
    kind: "watch",
    watchers: 20,
    processes: 4,
    channelsPerProcess: 1,
    rate: 10,
    seconds: { full: 20, quick: 3 },
  },
  {
    name: "idle",
    title: "Idle: 20 watch streams, no writes",
    kind: "watch",
    watchers: 20,
    processes: 4,
    channelsPerProcess: 1,
    rate: 0,
  },
  { name: "codec", title: "In-process cost of the encoding techniques", kind: "codec" },
];
