/**
 * A committed change as the broadcaster fans it out: encoded once, shared by
 * every watcher. Label-filtered watchers may need the same change as another
 * event type (an object that stops matching is DELETED for them); those
 * variants are encoded lazily, once, and cached on the event.
 *
 * @module
 */
import { encodeWatchEvent } from "../api/mod.ts";
import type { Gpu, WatchEventType } from "../api/mod.ts";

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
  /** The encoded Gpu. */
  readonly gpuBytes: Uint8Array;
  /** Labels before the change, for selector transitions (MODIFIED only). */
  readonly previousLabels: Readonly<Record<string, string>> | null;
  #bytes: Uint8Array | undefined; // as `type`
  #other: Map<WatchEventType, Uint8Array> | undefined; // as another type, for filtered watchers

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
    this.gpuBytes = gpuBytes;
    this.previousLabels = previousLabels;
  }

  /** The encoded WatchGpusResponse, as `type` or as another type for filtered watchers. */
  bytes(as: WatchEventType = this.type): Uint8Array {
    if (as === this.type) return this.#bytes ??= encodeWatchEvent(as, this.gpuBytes);
    this.#other ??= new Map();
    let bytes = this.#other.get(as);
    if (!bytes) {
      bytes = encodeWatchEvent(as, this.gpuBytes);
      this.#other.set(as, bytes);
    }
    return bytes;
  }
}
