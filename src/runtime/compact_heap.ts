/**
 * One memory-reducing garbage collection, run once the server has started.
 *
 * Starting fills V8's young generation and leaves the garbage of loading
 * grpc-js, protobufjs and the contract in the old one; with the server's V8
 * flags nothing collects it while the server idles (the first full
 * collection comes after 40 MiB of old generation, and V8's memory reducer
 * only runs after one), so an idle server kept ≈8 MiB more resident than it
 * needs. V8 has no public call for this collection; `gc` is exposed for one
 * moment through the public `node:v8` and `node:vm` APIs and the flag is set
 * back at once, so that the flags V8 hashes into its code cache stay those
 * of the start (code compiled later is cached under the same hash).
 *
 * @example
 * ```ts
 * const done = compactHeap();
 * if (done) console.log(`heap ${done.heapBefore} -> ${done.heapAfter} bytes`);
 * ```
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Sizes around one compaction, in bytes, and how long it blocked. */
export interface HeapCompaction {
  /** V8's committed heap before. */
  heapBefore: number;
  /** V8's committed heap after. */
  heapAfter: number;
  /** Resident set of the process before. */
  rssBefore: number;
  /** Resident set of the process after. */
  rssAfter: number;
  /** Milliseconds the collection held the thread. */
  ms: number;
}

let collect: (() => void) | null | undefined; // null: the runtime offers none

/**
 * Runs a full, memory-reducing collection (V8's low-memory collection: it
 * also shrinks the young generation) and reports the sizes around it.
 *
 * @returns the sizes, or undefined where the runtime cannot expose `gc`
 */
export function compactHeap(): HeapCompaction | undefined {
  collect ??= exposeGc();
  if (collect === null) return undefined;
  const before = Deno.memoryUsage();
  const t0 = performance.now();
  collect();
  const ms = performance.now() - t0;
  const after = Deno.memoryUsage();
  return {
    heapBefore: before.heapTotal,
    heapAfter: after.heapTotal,
    rssBefore: before.rss,
    rssAfter: after.rss,
    ms,
  };
}

// The `gc` of a fresh context created while --expose-gc is set; the flag is
// cleared again before returning, also when the context cannot be made.
function exposeGc(): (() => void) | null {
  try {
    setFlagsFromString("--expose-gc");
    try {
      const gc: unknown = runInNewContext("typeof gc === 'function' ? gc : null");
      return typeof gc === "function" ? gc as () => void : null;
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  } catch {
    return null;
  }
}
