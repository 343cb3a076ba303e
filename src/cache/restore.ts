/**
 * Validation of a store state read back from a checkpoint, with the same
 * rules as live writes: a checkpoint is input like any other, and what it
 * holds must be something the server could have stored. Pure logic.
 *
 * @module
 */
import { encodeGpu, type Gpu, type WatchEventType } from "../api/mod.ts";
import { deepFreeze } from "./store_support.ts";
import type { StoredGpu } from "./store_types.ts";
import { InvalidArgumentError } from "./errors.ts";
import type { Limits } from "./limits.ts";
import {
  normalizeAnnotations,
  normalizeLabels,
  normalizeNamespace,
  normalizeSpec,
  normalizeStatus,
  timestamp,
  validateName,
} from "./validation.ts";
import { WatchEvent } from "./watch_event.ts";

/** A store's content as a checkpoint keeps it (decoded objects, oldest event first). */
export interface RestoredState {
  /** Version of the last write. */
  version: number;
  /** Every event after this version is in `history`. */
  completeAfter: number;
  gpus: readonly Gpu[];
  history: readonly RestoredEvent[];
}

/** One event of the watch history as a checkpoint keeps it. */
export interface RestoredEvent {
  type: WatchEventType;
  gpu: Gpu;
  /** Labels before the change (MODIFIED), else null. */
  previousLabels: Record<string, string> | null;
}

const EVENT_TYPES = new Set<string>(["ADDED", "MODIFIED", "DELETED"]);

/**
 * Checks a restored state and builds what the store keeps: stored objects
 * keyed by "namespace/name", and the history's events.
 *
 * @throws {InvalidArgumentError} naming the first offending field
 */
export function validateRestoredState(
  state: RestoredState,
  limits: Readonly<Limits>,
): { entries: Map<string, StoredGpu>; events: WatchEvent[] } {
  const { version, completeAfter } = state;
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new InvalidArgumentError("version", `invalid version ${version}`);
  }
  if (!Number.isSafeInteger(completeAfter) || completeAfter < 0 || completeAfter > version) {
    throw new InvalidArgumentError("complete_after", `invalid version ${completeAfter}`);
  }
  if (state.gpus.length > limits.maxGpus) {
    throw new InvalidArgumentError(
      "gpus",
      `${state.gpus.length} GPUs, the limit is ${limits.maxGpus}`,
    );
  }
  const entries = new Map<string, StoredGpu>();
  state.gpus.forEach((input, i) => {
    const stored = restoreGpu(`gpus[${i}]`, input, version, limits);
    const key = `${stored.gpu.metadata.namespace}/${stored.gpu.metadata.name}`;
    if (entries.has(key)) throw new InvalidArgumentError(`gpus[${i}]`, `duplicate gpu ${key}`);
    entries.set(key, stored);
  });
  let last = completeAfter;
  const events = state.history.map((e, i) => {
    const field = `history[${i}]`;
    if (!EVENT_TYPES.has(e.type)) {
      throw new InvalidArgumentError(`${field}.type`, `invalid event type ${e.type}`);
    }
    const { gpu, bytes } = restoreGpu(`${field}.gpu`, e.gpu, version, limits);
    if (gpu.resourceVersion <= last) {
      throw new InvalidArgumentError(
        `${field}.gpu.resource_version`,
        `events out of order: ${gpu.resourceVersion} after ${last}`,
      );
    }
    last = gpu.resourceVersion;
    const previous = e.previousLabels === null
      ? null
      : normalizeLabels(`${field}.previous_labels`, e.previousLabels);
    return new WatchEvent(e.type, gpu, bytes, e.type === "MODIFIED" ? previous : null);
  });
  return { entries, events };
}

// One object, normalized as a write would, re-encoded and size-checked.
function restoreGpu(
  field: string,
  input: Gpu,
  version: number,
  limits: Readonly<Limits>,
): StoredGpu {
  const meta = input.metadata;
  const rv = input.resourceVersion;
  if (!Number.isSafeInteger(rv) || rv <= 0 || rv > version || meta?.resourceVersion !== `${rv}`) {
    throw new InvalidArgumentError(
      `${field}.resource_version`,
      `invalid resource version ${rv} (stored ${JSON.stringify(meta?.resourceVersion)}, ` +
        `last version ${version})`,
    );
  }
  const generation = meta.generation;
  if (!Number.isSafeInteger(generation) || generation < 1) {
    throw new InvalidArgumentError(`${field}.metadata.generation`, `invalid ${generation}`);
  }
  const gpu: Gpu = {
    metadata: {
      name: validateName(`${field}.metadata.name`, meta.name),
      resourceVersion: `${rv}`,
      namespace: normalizeNamespace(`${field}.metadata.namespace`, meta.namespace),
      uid: typeof meta.uid === "string" && meta.uid.length <= 253 ? meta.uid : "",
      generation,
      creationTimestamp: timestamp(
        `${field}.metadata.creation_timestamp`,
        meta.creationTimestamp,
      ),
      labels: normalizeLabels(`${field}.metadata.labels`, meta.labels),
      annotations: normalizeAnnotations(`${field}.metadata.annotations`, meta.annotations),
    },
    spec: normalizeSpec(`${field}.spec`, input.spec),
    status: normalizeStatus(`${field}.status`, input.status, limits.maxConditions),
    resourceVersion: rv,
  };
  const bytes = encodeGpu(gpu);
  if (bytes.length > limits.maxObjectBytes) {
    throw new InvalidArgumentError(
      field,
      `object too large: ${bytes.length} bytes encoded, the limit is ${limits.maxObjectBytes}`,
    );
  }
  return { gpu: deepFreeze(gpu), bytes };
}
