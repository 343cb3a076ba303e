/**
 * A watch that survives broken streams, as Kubernetes' reflector does it.
 *
 * A watch from scratch starts with one ADDED per existing object, each carrying the object's own
 * (older) version in name order, so those versions are no resume point. The server ends the
 * initial events with a BOOKMARK annotated `k8s.io/initial-events-end: "true"` at the snapshot's
 * version; only that bookmark and the live events after it move the resume version. A stream
 * that breaks before the marker is re-watched from scratch; objects delivered by the broken
 * snapshot that the new one no longer holds are reported DELETED once the new snapshot is
 * complete, so the caller's view never keeps an object that is gone.
 *
 * @module
 */
import { type Gpu, INITIAL_EVENTS_END_ANNOTATION } from "../api/mod.ts";
import {
  Backoff,
  type BackoffPolicy,
  type Clock,
  grpcCodeOf,
  isRetryableCode,
  REAL_CLOCK,
} from "./retry.ts";
import type { WatchEvent, WatchOptions } from "./client.ts";

/** Options of a resumable watch. */
export interface ResumableOptions {
  /** Stops the watch, also during a backoff wait. */
  signal?: AbortSignal;
  /** Backoff between attempts; see {@linkcode BackoffPolicy}. */
  backoff?: Partial<BackoffPolicy>;
  /** Shorthand for `backoff.initialDelayMs` (kept for compatibility). */
  retryDelayMs?: number;
  /** Clock of the backoff waits (tests inject one). */
  clock?: Clock;
  /** Uniform random source of the jitter (tests inject one). */
  random?: () => number;
  /** Called before each backoff wait with the error that ended the stream (undefined: it ended cleanly). */
  onRetry?: (err: unknown, delayMs: number) => void;
}

/** Opens one watch stream; the iterator throws the stream's error. */
export type OpenWatch = (
  opts: WatchOptions,
) => AsyncIterableIterator<WatchEvent> & { cancel(): void };

/** Reports whether an event is the BOOKMARK that ends the initial events. */
export function isInitialEventsEnd(event: WatchEvent): boolean {
  return event.type === "BOOKMARK" &&
    event.object.metadata?.annotations?.[INITIAL_EVENTS_END_ANNOTATION] === "true";
}

/**
 * Watches with resume and backoff. Yields BOOKMARK events only when `opts.allowWatchBookmarks`
 * is set (bookmarks are always requested, to find the end of the initial events). Throws what a
 * re-watch cannot fix: OUT_OF_RANGE (re-list, then watch from the list's version),
 * UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, UNIMPLEMENTED, FAILED_PRECONDITION.
 */
export async function* watchResumable(
  open: OpenWatch,
  opts: WatchOptions = {},
  options: ResumableOptions = {},
): AsyncGenerator<WatchEvent> {
  const { signal, clock = REAL_CLOCK } = options;
  const policy = { ...options.backoff };
  if (options.retryDelayMs !== undefined) policy.initialDelayMs ??= options.retryDelayMs;
  if (policy.initialDelayMs !== undefined && policy.maxDelayMs === undefined) {
    policy.maxDelayMs = Math.max(policy.initialDelayMs, 30_000);
  }
  const backoff = new Backoff(policy, options.random);
  const yieldBookmarks = !!opts.allowWatchBookmarks;
  const start = opts.resourceVersion ?? "";
  let initial = start === "" || start === "0";
  let resume = initial ? "" : start;
  // Objects delivered by initial events that no end marker has confirmed yet, and the keys the
  // current snapshot delivered.
  const unconfirmed = new Map<string, Gpu>();
  let snapshotKeys = new Set<string>();
  while (!signal?.aborted) {
    const stream = open({ ...opts, resourceVersion: resume, allowWatchBookmarks: true });
    const abort = () => stream.cancel();
    signal?.addEventListener("abort", abort, { once: true });
    let failure: unknown;
    try {
      for await (const event of stream) {
        backoff.reset();
        if (initial) {
          if (isInitialEventsEnd(event)) {
            initial = false;
            resume = event.object.metadata.resourceVersion;
            for (const [key, gpu] of unconfirmed) {
              if (!snapshotKeys.has(key)) {
                yield deletedAt(gpu, event.object.metadata.resourceVersion);
              }
            }
            unconfirmed.clear();
            snapshotKeys = new Set();
            if (yieldBookmarks) yield event;
            continue;
          }
          if (event.type === "ADDED") {
            const key = keyOf(event.object);
            snapshotKeys.add(key);
            unconfirmed.set(key, event.object);
            yield event;
            continue;
          }
          // A live event before any marker: a server that sends none; the snapshot is over.
          initial = false;
          unconfirmed.clear();
          snapshotKeys = new Set();
        }
        resume = event.object.metadata.resourceVersion;
        if (event.type !== "BOOKMARK" || yieldBookmarks) yield event;
      }
    } catch (err) {
      const code = grpcCodeOf(err);
      if (code === undefined || !isRetryableCode(code)) throw err;
      failure = err;
    } finally {
      signal?.removeEventListener("abort", abort);
      stream.cancel();
    }
    if (signal?.aborted) return;
    // A break during the initial events: the next attempt starts from scratch again.
    if (initial) snapshotKeys = new Set();
    const delay = backoff.next();
    options.onRetry?.(failure, delay);
    await clock.sleep(delay, signal);
  }
}

function keyOf(gpu: Gpu): string {
  return `${gpu.metadata.namespace || "default"}/${gpu.metadata.name}`;
}

// The last state the caller saw, stamped with the version at which it is known to be gone.
function deletedAt(gpu: Gpu, version: string): WatchEvent {
  return {
    type: "DELETED",
    object: {
      ...gpu,
      metadata: { ...gpu.metadata, resourceVersion: version },
      resourceVersion: Number(version),
    },
  };
}
