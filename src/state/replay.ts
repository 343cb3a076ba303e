/**
 * What the state directory's files restore: the checkpoint's objects and
 * history, then the journal's records applied in order. Pure logic, no I/O;
 * the result still goes through the store's `restoreState` validation.
 *
 * @module
 */
import { decodeGpu, type Gpu } from "../api/mod.ts";
import type { RestoredEvent, RestoredState } from "../cache/mod.ts";
import type { DecodedCheckpoint } from "./checkpoint_format.ts";
import type { JournalRecord } from "./journal_format.ts";
import { CheckpointError, type DecodedEvent, EVENT_OVERHEAD_BYTES } from "./record_codec.ts";

/** The bound of the watch history in memory (the store's limits). */
export interface HistoryBound {
  /** Events the history keeps. */
  watchHistorySize: number;
  /** Bytes the history keeps, when it is bounded in bytes. */
  watchHistoryBytes?: number;
}

/** The restored state with the meta of the newest file or record that held it. */
export interface Replayed {
  state: RestoredState;
  /** The version high-water mark recorded last. */
  mark: number;
  /** The registered providers recorded last. */
  providers: { name: string; leaseMs: number }[];
  /** Events applied from the journal. */
  journalEvents: number;
}

/**
 * Builds the restored state from a decoded checkpoint and the journal
 * records that extend it, oldest first. Each journal event with a version
 * above the state's sets its object (ADDED, MODIFIED) or removes it
 * (DELETED) and joins the history; the last record's meta (mark,
 * providers) wins. The history is trimmed to the bound as it grows: by
 * count exactly, and in bytes by the events' encoded size (a lower bound of
 * what they retain in memory; the store trims the rest as it loads them),
 * moving `completeAfter` up past every dropped event.
 *
 * @throws {CheckpointError} when an object does not decode or a record's
 *   version runs ahead of its events (events missing)
 */
export function replay(
  checkpoint: DecodedCheckpoint,
  records: readonly JournalRecord[],
  bound: HistoryBound,
): Replayed {
  const { meta } = checkpoint;
  const gpus = new Map<string, Gpu>();
  for (const bytes of checkpoint.gpus) {
    const gpu = decodeOrThrow(bytes);
    gpus.set(keyOf(gpu), gpu);
  }
  const history = new BoundedHistory(meta.completeAfter, bound);
  for (const event of checkpoint.events) history.push(restoredEvent(event), event.gpuBytes);
  let version = meta.version;
  let mark = meta.mark;
  let providers = meta.providers;
  let journalEvents = 0;
  for (const record of records) {
    for (const event of record.events) {
      const restored = restoredEvent(event);
      const rv = restored.gpu.resourceVersion;
      if (!(rv > version)) continue; // already in the checkpoint
      const key = keyOf(restored.gpu);
      if (restored.type === "DELETED") gpus.delete(key);
      else gpus.set(key, restored.gpu);
      history.push(restored, event.gpuBytes);
      version = rv;
      journalEvents++;
    }
    if (record.meta.version > version) {
      throw new CheckpointError(
        "malformed",
        `a journal record at version ${record.meta.version} holds events only up to ${version}`,
      );
    }
    mark = Math.max(mark, record.meta.mark);
    providers = record.meta.providers;
  }
  return {
    state: {
      version,
      completeAfter: history.completeAfter,
      gpus: [...gpus.values()],
      history: history.events(),
    },
    mark,
    providers,
    journalEvents,
  };
}

// The newest events within the bound; a ring would do too, a start index is enough.
class BoundedHistory {
  #events: RestoredEvent[] = [];
  #sizes: number[] = [];
  #start = 0;
  #bytes = 0;
  completeAfter: number;
  readonly #maxEvents: number;
  readonly #maxBytes: number;

  constructor(completeAfter: number, bound: HistoryBound) {
    this.completeAfter = completeAfter;
    this.#maxEvents = Math.max(1, bound.watchHistorySize);
    this.#maxBytes = bound.watchHistoryBytes ?? Infinity;
  }

  push(event: RestoredEvent, gpuBytes: Uint8Array): void {
    const size = EVENT_OVERHEAD_BYTES + gpuBytes.length;
    this.#events.push(event);
    this.#sizes.push(size);
    this.#bytes += size;
    const count = () => this.#events.length - this.#start;
    // The newest event always stays, as in memory.
    while (count() > 1 && (count() > this.#maxEvents || this.#bytes > this.#maxBytes)) {
      this.completeAfter = this.#events[this.#start]!.gpu.resourceVersion;
      this.#bytes -= this.#sizes[this.#start]!;
      this.#start++;
    }
    // Compact now and then so that dropped events do not stay referenced.
    if (this.#start > 1024 && this.#start * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#start);
      this.#sizes = this.#sizes.slice(this.#start);
      this.#start = 0;
    }
  }

  events(): RestoredEvent[] {
    return this.#events.slice(this.#start);
  }
}

function restoredEvent(event: DecodedEvent): RestoredEvent {
  const gpu = decodeOrThrow(event.gpuBytes);
  const previousLabels = event.previousLabels === "same"
    ? gpu.metadata.labels
    : event.previousLabels;
  return { type: event.type, gpu, previousLabels };
}

function keyOf(gpu: Gpu): string {
  return `${gpu.metadata.namespace}/${gpu.metadata.name}`;
}

function decodeOrThrow(bytes: Uint8Array): Gpu {
  try {
    return decodeGpu(bytes);
  } catch (err) {
    throw new CheckpointError("malformed", `an object does not decode: ${(err as Error).message}`);
  }
}
