/**
 * The server's memory budget in bytes, from one place: the worst-case
 * formula, and the sizing of the byte bounds (watch history, per-watcher
 * queue) from the memory limit. Pure: the caller reads the cgroup limit and
 * logs the result.
 *
 * Worst case = base + store + history + watchers × (queue + stream) + in-flight
 * + connections:
 *
 * - base: the runtime with grpc-js, protobufjs and prom-client loaded, idle
 *   (measured ≈81 MiB RSS under the production V8 flags);
 * - store: every GPU's encoding, capped in total by the message limit so a
 *   full ListGpus fits in one message, held {@linkcode STORE_COPIES} times
 *   (the encoding, the decoded object — up to twice the bytes as JavaScript
 *   strings — and the ADDED encoding shared by watch snapshots), plus the
 *   cached full List response and a fixed overhead per GPU;
 * - history: its byte bound, plus the newest event, which is always kept:
 *   its encoding, or the log chunk it is packed in if that is larger;
 * - watch queues: the pool bound on the distinct event buffers queued for
 *   all watchers together (each buffer counted once, however many watchers
 *   queue it), plus per watcher the one event frame the transport copies
 *   and holds for a stream that does not read and the stream's own state.
 *   Each watcher's own queue is bounded too, below the pool;
 * - in flight: unary requests and responses being decoded or encoded;
 * - connections: every listener's bound on open connections, each at
 *   {@linkcode CONNECTION_BYTES}.
 *
 * @module
 */
import { BYTE_LOG_CHUNK_BYTES } from "./byte_log.ts";

const MiB = 1024 * 1024;
const KiB = 1024;

/** Idle resident memory of the server process (measured under the production V8 flags). */
export const BASE_BYTES = 80 * MiB;
/** The memory limit assumed when no cgroup limit is visible: the chart's container limit. */
export const ASSUMED_LIMIT_BYTES = 256 * MiB;
/** The share of the limit the worst case may take; the rest is headroom for GC slack. */
export const BUDGET_SHARE = 0.85;
/** Copies of the store's bytes held in memory (see the module doc). */
export const STORE_COPIES = 4;
/** Fixed memory per stored GPU beyond its bytes (keys, maps, object headers). */
export const GPU_OVERHEAD_BYTES = 2 * KiB;
/** Memory per open client connection (its socket, HTTP/2 session and grpc-js state; ≈40 KiB measured idle). */
export const CONNECTION_BYTES = 48 * KiB;
/** Memory per watch stream beyond its queue and frame (call and HTTP/2 stream state). */
export const STREAM_BYTES = 8 * KiB;
/** Largest messages assumed being decoded or encoded at once. */
export const IN_FLIGHT_MESSAGES = 2;
/** Bytes a WatchGpusResponse adds around the Gpu it carries (type and framing). */
export const EVENT_FRAMING_BYTES = 32;
/** Smallest sized per-watcher queue bound. */
export const MIN_QUEUE_BYTES = 4 * KiB;
/** A sized per-watcher queue bound is this share of the pool: no one watcher takes it all. */
export const QUEUE_SHARE_OF_POOL = 1 / 8;
/** Largest sized per-watcher queue bound. */
export const MAX_SIZED_QUEUE_BYTES = 8 * MiB;
/** Smallest sized history bound. */
export const MIN_HISTORY_BYTES = 1 * MiB;

/** The limits the worst case depends on. */
export interface BudgetLimits {
  maxGpus: number;
  maxObjectBytes: number;
  maxMessageBytes: number;
  maxWatchers: number;
  watchHistoryBytes: number;
  watchQueueBytes: number;
  /** Client connections all listeners together may hold open (0 when unbounded or unknown). */
  connections?: number;
}

/** The terms of the worst-case formula, in bytes. */
export interface BudgetTerms {
  base: number;
  store: number;
  history: number;
  watchers: number;
  inFlight: number;
  connections: number;
}

/** A memory plan: the limit it was made for, the byte bounds, and the worst case. */
export interface MemoryBudget {
  /** The memory limit planned for. */
  limitBytes: number;
  /** Where the limit comes from: a visible cgroup limit, or the chart's, assumed. */
  limitSource: "cgroup" | "assumed";
  /** The history byte bound (sized when the setting was 0). */
  watchHistoryBytes: number;
  /** The per-watcher queue byte bound (sized when the setting was 0). */
  watchQueueBytes: number;
  /**
   * The bound on all watchers' queues together: sized with the queue bound,
   * else every watcher's configured bound (so the pool never binds first).
   */
  watchQueuePoolBytes: number;
  /** Which bounds were sized from the limit rather than set. */
  sized: { history: boolean; queue: boolean };
  /** The terms of the worst case. */
  terms: BudgetTerms;
  /** Their sum. */
  worstCaseBytes: number;
}

/** The largest encoded watch event: the largest object and its framing. */
export function maxEventBytes(maxObjectBytes: number): number {
  return maxObjectBytes + EVENT_FRAMING_BYTES;
}

/**
 * The worst-case terms of a configuration (see the module doc for each);
 * `poolBytes` is the queue pool's bound (default: every watcher's own bound).
 */
export function worstCaseTerms(
  l: BudgetLimits,
  poolBytes: number = l.maxWatchers * l.watchQueueBytes,
): BudgetTerms {
  const event = maxEventBytes(l.maxObjectBytes);
  return {
    base: BASE_BYTES,
    store: STORE_COPIES * l.maxMessageBytes + l.maxMessageBytes + GPU_OVERHEAD_BYTES * l.maxGpus,
    history: l.watchHistoryBytes + Math.max(event, BYTE_LOG_CHUNK_BYTES),
    watchers: Math.min(poolBytes, l.maxWatchers * l.watchQueueBytes) +
      l.maxWatchers * (event + STREAM_BYTES),
    inFlight: IN_FLIGHT_MESSAGES * l.maxMessageBytes,
    connections: (l.connections ?? 0) * CONNECTION_BYTES,
  };
}

/** The sum of the terms. */
export function sumTerms(terms: BudgetTerms): number {
  return terms.base + terms.store + terms.history + terms.watchers + terms.inFlight +
    terms.connections;
}

/**
 * Plans memory for a configuration: byte bounds given as 0 are sized so the
 * worst case takes {@linkcode BUDGET_SHARE} of the limit, split evenly
 * between the history and the pool of the watcher queues (never below the
 * minimums); a sized per-watcher bound is {@linkcode QUEUE_SHARE_OF_POOL}
 * of the pool. A configured per-watcher bound keeps the pool at every
 * watcher's bound, as if there were none.
 *
 * @param limits the configured limits; 0 for a byte bound means "size it"
 * @param cgroupLimitBytes the visible cgroup memory limit, or null for none
 */
export function planMemory(limits: BudgetLimits, cgroupLimitBytes: number | null): MemoryBudget {
  const limitBytes = cgroupLimitBytes ?? ASSUMED_LIMIT_BYTES;
  const sized = { history: limits.watchHistoryBytes === 0, queue: limits.watchQueueBytes === 0 };
  const fixed = sumTerms(
    worstCaseTerms({ ...limits, watchHistoryBytes: 0, watchQueueBytes: 0 }, 0),
  );
  const spare = Math.max(0, Math.floor(limitBytes * BUDGET_SHARE) - fixed);
  const given = {
    history: sized.history ? 0 : limits.watchHistoryBytes,
    queues: sized.queue ? 0 : limits.maxWatchers * limits.watchQueueBytes,
  };
  // What the given bound leaves to the sized one, or half the spare each when both are sized.
  const share = sized.history && sized.queue
    ? spare / 2
    : Math.max(0, spare - given.history - given.queues);
  const watchQueuePoolBytes = sized.queue
    ? clampDown(share, MIN_QUEUE_BYTES, 4 * KiB, 1024 * MiB)
    : limits.maxWatchers * limits.watchQueueBytes;
  const watchQueueBytes = sized.queue
    ? clampDown(
      watchQueuePoolBytes * QUEUE_SHARE_OF_POOL,
      MIN_QUEUE_BYTES,
      4 * KiB,
      MAX_SIZED_QUEUE_BYTES,
    )
    : limits.watchQueueBytes;
  const watchHistoryBytes = sized.history
    ? clampDown(share, MIN_HISTORY_BYTES, MiB, 1024 * MiB)
    : limits.watchHistoryBytes;
  const terms = worstCaseTerms(
    { ...limits, watchHistoryBytes, watchQueueBytes },
    watchQueuePoolBytes,
  );
  return {
    limitBytes,
    limitSource: cgroupLimitBytes === null ? "assumed" : "cgroup",
    watchHistoryBytes,
    watchQueueBytes,
    watchQueuePoolBytes,
    sized,
    terms,
    worstCaseBytes: sumTerms(terms),
  };
}

// Rounds down to a multiple of `step`, within [min, max].
function clampDown(value: number, min: number, step: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value / step) * step));
}

/**
 * Reads a cgroup memory limit file's content: a byte count, or null for
 * "max" (v2) and the huge sentinel v1 uses for "no limit".
 */
export function parseCgroupMemoryLimit(text: string): number | null {
  const value = text.trim();
  if (!/^[0-9]{1,20}$/.test(value)) return null;
  const n = Number(value);
  // cgroup v1 reports "unlimited" as a page-rounded 2^63 - 1.
  return n > 0 && n < 2 ** 60 ? n : null;
}
