/**
 * The protobuf JSON mapping of GPUs for `-o json` and `-o yaml`: lowerCamelCase field names in
 * schema order, 64-bit integers as strings, Timestamps as RFC 3339, every field present (a GPU
 * with index 0 still shows `"index": 0`), map keys sorted. Pure.
 *
 * @module
 */
import type { Condition, Gpu, GpuSpec, ObjectMeta, Timestamp } from "../api/mod.ts";

/** A JSON value as the printers emit it. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Writes a Timestamp as protobuf JSON does: RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits.
 *
 * @param ts the timestamp; null (unset) stays null
 * @returns e.g. `2024-05-01T10:00:00Z` or `2024-05-01T10:00:00.250Z`
 */
export function timestampToJson(ts: Timestamp | null | undefined): string | null {
  if (!ts) return null;
  const base = new Date(ts.seconds * 1000).toISOString().slice(0, 19);
  const nanos = ts.nanos ?? 0;
  let fraction = "";
  if (nanos !== 0) {
    const digits = String(nanos).padStart(9, "0");
    fraction = "." +
      (nanos % 1e6 === 0 ? digits.slice(0, 3) : nanos % 1e3 === 0 ? digits.slice(0, 6) : digits);
  }
  return `${base}${fraction}Z`;
}

function int64(value: number | null | undefined): string {
  return String(value ?? 0);
}

function sortedMap(map: Record<string, string> | null | undefined): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(map ?? {}).sort()) out[key] = map![key] ?? "";
  return out;
}

function conditionToJson(c: Condition): JsonObject {
  return {
    type: c.type ?? "",
    status: c.status ?? "",
    lastTransitionTime: timestampToJson(c.lastTransitionTime),
    reason: c.reason ?? "",
    message: c.message ?? "",
    observedGeneration: int64(c.observedGeneration),
    owner: c.owner ?? "",
  };
}

/**
 * Converts a GPU to its protobuf JSON object, as `grpcurl` or protojson with EmitUnpopulated
 * would print it.
 *
 * @param gpu a GPU as the client returns it
 * @returns a plain object for JSON.stringify or YAML
 * @example Usage
 * ```ts ignore
 * console.log(JSON.stringify(gpuToJson(await client.get("gpu-0")), null, 4));
 * ```
 */
export function gpuToJson(gpu: Gpu): JsonObject {
  const meta: Partial<ObjectMeta> = gpu.metadata ?? {};
  const spec: Partial<GpuSpec> = gpu.spec ?? {};
  return {
    metadata: {
      name: meta.name ?? "",
      resourceVersion: meta.resourceVersion ?? "",
      namespace: meta.namespace ?? "",
      uid: meta.uid ?? "",
      generation: int64(meta.generation),
      creationTimestamp: timestampToJson(meta.creationTimestamp),
      labels: sortedMap(meta.labels),
      annotations: sortedMap(meta.annotations),
    },
    spec: {
      uuid: spec.uuid ?? "",
      productName: spec.productName ?? "",
      pciBusId: spec.pciBusId ?? "",
      index: spec.index ?? 0,
      minorNumber: spec.minorNumber ?? 0,
      memoryTotalBytes: int64(spec.memoryTotalBytes),
      serial: spec.serial ?? "",
    },
    status: {
      conditions: (gpu.status?.conditions ?? []).map(conditionToJson),
      recommendedAction: gpu.status?.recommendedAction ?? "",
    },
    resourceVersion: int64(gpu.resourceVersion),
  };
}

/**
 * Converts a list to the GpuList message's JSON, so scripts see the version it is consistent at.
 *
 * @param items the GPUs
 * @param resourceVersion the list's version
 */
export function gpuListToJson(items: readonly Gpu[], resourceVersion: string): JsonObject {
  return { metadata: { resourceVersion }, items: items.map(gpuToJson) };
}

/**
 * Converts a watch event to the WatchGpusResponse message's JSON.
 *
 * @param type ADDED, MODIFIED, DELETED or BOOKMARK
 * @param gpu the event's object
 */
export function watchEventToJson(type: string, gpu: Gpu): JsonObject {
  return { type, object: gpuToJson(gpu) };
}
