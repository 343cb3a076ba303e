/**
 * A committed change as the broadcaster fans it out: encoded once, shared by
 * every watcher. Label-filtered watchers may need the same change as another
 * event type (an object that stops matching is DELETED for them); those
 * variants are encoded lazily, once, and cached on the event.
 *
 * The event knows what it costs the history, which keeps a copy of its
 * fields and encoded Gpu (not the event): the Gpu's bytes plus an estimate of
 * its label maps and of its slot, so that the history can bound itself in
 * bytes.
 *
 * @module
 */
import { encodeWatchEvent, type WatchEventType } from "../api/mod.ts";
import type { Labels } from "./label_requirement.ts";

/** What an event is made from: a committed Gpu has these fields (and more). */
export interface EventSubject {
  /** Resource version the change produced. */
  readonly resourceVersion: number;
  /** The object's namespace and labels, which watchers filter on. */
  readonly metadata: { readonly namespace: string; readonly labels: Labels };
}

/** Bytes an event costs the history beyond its Gpu's encoding: its fields and slot, with margin. */
export const EVENT_OVERHEAD_BYTES = 256;
// Per label entry beyond its characters: the property slot and two string headers.
const LABEL_ENTRY_BYTES = 48;

/** Estimated bytes a label map retains. */
export function labelBytes(labels: Labels): number {
  let bytes = 64;
  for (const key in labels) bytes += LABEL_ENTRY_BYTES + key.length + labels[key]!.length;
  return bytes;
}

/**
 * One change, encoded once. It keeps only what watchers filter on and the
 * bytes, not the object: a watcher's queue may hold it long after the object
 * changed again, and the object of an old version would stay alive with it.
 */
export class WatchEvent {
  /** Resource version the change produced. */
  readonly resourceVersion: number;
  /** ADDED, MODIFIED or DELETED. */
  readonly type: WatchEventType;
  /** Namespace of the object. */
  readonly namespace: string;
  /** Labels after the change (the last labels for DELETED). */
  readonly labels: Labels;
  /** Labels before the change, for selector transitions (MODIFIED only). */
  readonly previousLabels: Labels | null;
  #gpuBytes: Uint8Array;
  #bytes: Uint8Array | undefined; // as `type`
  #other: Map<WatchEventType, Uint8Array> | undefined; // as another type, for filtered watchers
  readonly #retainedBytes: number;

  /** Creates an event from a committed object (or its history record) and its encoding. */
  constructor(
    type: WatchEventType,
    gpu: EventSubject,
    gpuBytes: Uint8Array,
    previousLabels: Labels | null = null,
  ) {
    this.resourceVersion = gpu.resourceVersion;
    this.type = type;
    this.namespace = gpu.metadata.namespace;
    this.labels = gpu.metadata.labels;
    this.#gpuBytes = gpuBytes;
    this.previousLabels = previousLabels;
    this.#retainedBytes = EVENT_OVERHEAD_BYTES + gpuBytes.length + labelBytes(this.labels) +
      (previousLabels ? labelBytes(previousLabels) : 0);
  }

  /** The encoded Gpu. */
  get gpuBytes(): Uint8Array {
    return this.#gpuBytes;
  }

  /** Bytes the history counts for this event: the encoded Gpu, its label maps and its slot. */
  get retainedBytes(): number {
    return this.#retainedBytes;
  }

  /** The encoded WatchGpusResponse, as `type` or as another type for filtered watchers. */
  bytes(as: WatchEventType = this.type): Uint8Array {
    if (as === this.type) {
      if (!this.#bytes) {
        const bytes = encodeWatchEvent(as, this.#gpuBytes);
        // The Gpu is the tail of the event's encoding: keep one copy, not two.
        const gpuLength = this.#gpuBytes.length;
        this.#gpuBytes = bytes.subarray(bytes.length - gpuLength);
        this.#bytes = bytes;
      }
      return this.#bytes;
    }
    this.#other ??= new Map();
    let bytes = this.#other.get(as);
    if (!bytes) {
      bytes = encodeWatchEvent(as, this.#gpuBytes);
      this.#other.set(as, bytes);
    }
    return bytes;
  }
}
