/**
 * A committed change as the broadcaster fans it out: encoded once, shared by
 * every watcher. Label-filtered watchers may need the same change as another
 * event type (an object that stops matching is DELETED for them); those
 * variants are encoded lazily, once, and cached on the event.
 *
 * The event knows the bytes it retains, so the history can bound itself in
 * bytes: the encodings it holds plus an estimate of its label maps and of
 * the object itself.
 *
 * @module
 */
import { encodeWatchEvent, type Gpu, type WatchEventType } from "../api/mod.ts";

/** Bytes an event costs beyond its encodings: the object, its fields, a history slot. */
export const EVENT_OVERHEAD_BYTES = 256;
// Per label entry beyond its characters: the property slot and two string headers.
const LABEL_ENTRY_BYTES = 48;

/** Estimated bytes a label map retains. */
export function labelBytes(labels: Readonly<Record<string, string>>): number {
  let bytes = 64;
  for (const key in labels) bytes += LABEL_ENTRY_BYTES + key.length + labels[key]!.length;
  return bytes;
}

/**
 * One change, encoded once. It keeps only what watchers filter on and the
 * bytes, not the object: the history holds thousands of these, and the
 * object of an old version would otherwise stay alive with each.
 */
export class WatchEvent {
  /** Resource version the change produced. */
  readonly resourceVersion: number;
  /** ADDED, MODIFIED or DELETED. */
  readonly type: WatchEventType;
  /** Namespace of the object. */
  readonly namespace: string;
  /** Labels after the change (the last labels for DELETED). */
  readonly labels: Readonly<Record<string, string>>;
  /** Labels before the change, for selector transitions (MODIFIED only). */
  readonly previousLabels: Readonly<Record<string, string>> | null;
  /** Told how many bytes the event grew by when it caches another encoding. */
  onGrow: ((delta: number) => void) | undefined;
  #gpuBytes: Uint8Array;
  #bytes: Uint8Array | undefined; // as `type`
  #other: Map<WatchEventType, Uint8Array> | undefined; // as another type, for filtered watchers
  #retainedBytes: number;

  /** Creates an event from a committed object and its encoding. */
  constructor(
    type: WatchEventType,
    gpu: Readonly<Gpu>,
    gpuBytes: Uint8Array,
    previousLabels: Readonly<Record<string, string>> | null = null,
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

  /** Bytes this event keeps alive: its encodings, label maps and the event itself. */
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
        this.#grow(bytes.length - gpuLength);
      }
      return this.#bytes;
    }
    this.#other ??= new Map();
    let bytes = this.#other.get(as);
    if (!bytes) {
      bytes = encodeWatchEvent(as, this.#gpuBytes);
      this.#other.set(as, bytes);
      this.#grow(bytes.length);
    }
    return bytes;
  }

  #grow(delta: number): void {
    this.#retainedBytes += delta;
    this.onGrow?.(delta);
  }
}
