/**
 * What the driver tells a worker process: its role at spawn time (one JSON
 * argument) and the commands it sends over stdin afterwards.
 *
 * @module
 */

/** The unary methods the benchmark drives. */
export type UnaryMethod = "GetGpu" | "ListGpus" | "UpdateGpuStatus";

/** A worker's role, given as its only argument. */
export type WorkerConfig =
  | {
    role: "unary";
    socket: string;
    method: UnaryMethod;
    /** Calls in flight at once (closed loops). */
    concurrency: number;
    /** Connections the loops are spread over. */
    channels: number;
    gpus: number;
  }
  | {
    role: "writer";
    socket: string;
    /** UpdateGpuStatus calls per second, open loop. */
    rate: number;
    gpus: number;
    /** Calls in flight at most; a due call is skipped beyond it. */
    maxInFlight: number;
  }
  | {
    role: "watch";
    socket: string;
    /** Watch streams in this worker. */
    watchers: number;
    /** Connections the streams are spread over. */
    channels: number;
    /** GPUs in the store: the initial ADDED events each stream waits for. */
    gpus: number;
  };

/**
 * Commands, in the order the driver sends them:
 * - `sync`: reply `{t}` with the worker's clock, at once;
 * - `start`: begin the load; reply when it runs (watchers: when every stream has its snapshot);
 * - `measure`: the measured window begins now;
 * - `stop`: the window ends; reply with the results (watchers keep receiving);
 * - `count` (watchers): reply `{received}`, events received so far by every stream;
 * - `collect` (watchers): match receipts with the writer's calls, given in this worker's clock;
 * - `exit`: close every connection and exit.
 */
export type Command =
  | { cmd: "sync" }
  | { cmd: "start" }
  | { cmd: "measure" }
  | { cmd: "stop" }
  | { cmd: "count" }
  | { cmd: "collect"; writes: WriteRecord[] }
  | { cmd: "exit" };

/** One UpdateGpuStatus of the writer: [resource version, sent at, returned at] (ms, a clock). */
export type WriteRecord = [number, number, number];

/** Results of a unary worker. */
export interface UnaryResult {
  ops: number;
  errors: number;
  windowMs: number;
  /** Latency of every call of the window, in ms. */
  latencies: number[];
  /** First error message, if any. */
  firstError?: string;
}

/** Results of the writer. */
export interface WriterResult {
  ops: number;
  errors: number;
  skipped: number;
  windowMs: number;
  latencies: number[];
  writes: WriteRecord[];
  firstError?: string;
}

/** Results of a watch worker's `collect`. */
export interface WatchResult {
  /** Receipt minus the writer's return, in ms, one per delivered (watcher, write). */
  fromReturn: number[];
  /** Receipt minus the writer's send, in ms. */
  fromSend: number[];
  delivered: number;
  lost: number;
  /** Streams that ended with an error, by status code. */
  streamErrors: Record<string, number>;
}
