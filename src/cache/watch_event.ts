/**
 * A committed change as the broadcaster fans it out: encoded once, shared by
 * every watcher. Label-filtered watchers may need the same change as another
 * event type (an object that stops matching is DELETED for them); those
 * variants are encoded lazily, once, and cached on the event.
 *
 * @module
 */
import { encodeWatchEvent } from "../api/codec.ts";
import type { Gpu, WatchEventType } from "../api/types.ts";

/** One change, encoded once. */
export class WatchEvent {
  /** Resource version the change produced. */
  readonly resourceVersion: number;
  /** ADDED, MODIFIED or DELETED. */
  readonly type: WatchEventType;
  /** The object after the change (the last state for DELETED). */
  readonly gpu: Readonly<Gpu>;
  /** The encoded Gpu. */
  readonly gpuBytes: Uint8Array;
  /** Labels before the change, for selector transitions (MODIFIED only). */
  readonly previousLabels: Readonly<Record<string, string>> | null;
  #encoded = new Map<WatchEventType, Uint8Array>();

  /** Creates an event from a committed object and its encoding. */
  constructor(
    type: WatchEventType,
    gpu: Readonly<Gpu>,
    gpuBytes: Uint8Array,
    previousLabels: Readonly<Record<string, string>> | null = null,
  ) {
    this.resourceVersion = gpu.resourceVersion;
    this.type = type;
    this.gpu = gpu;
    this.gpuBytes = gpuBytes;
    this.previousLabels = previousLabels;
  }

  /** The encoded WatchGpusResponse, as `type` or as another type for filtered watchers. */
  bytes(as: WatchEventType = this.type): Uint8Array {
    let bytes = this.#encoded.get(as);
    if (!bytes) {
      bytes = encodeWatchEvent(as, this.gpuBytes);
      this.#encoded.set(as, bytes);
    }
    return bytes;
  }
}
