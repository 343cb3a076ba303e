/**
 * The protobuf JSON mapping of the contract's messages (the CLI's `-o json` and `-o yaml`), derived from the schema by protobufjs
 * reflection: lowerCamelCase field names in schema order, 64-bit integers as strings, Timestamps
 * as RFC 3339 and Durations as seconds with an `s`, every field present (a GPU with index 0 still
 * shows `"index": 0`), map keys sorted. A field added to the .proto appears without a change
 * here. Pure.
 *
 * @module
 */
import type protobuf from "protobufjs";
import { PACKAGE } from "./codec.ts";
import type { Provider } from "./provider_types.ts";
import { messageType } from "./proto_root.ts";
import type { Gpu, Timestamp } from "./types.ts";

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

const LONGS = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

/**
 * Writes a Timestamp as protobuf JSON does: RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits.
 *
 * @param ts the timestamp; null (unset) stays null
 * @returns e.g. `2024-05-01T10:00:00Z` or `2024-05-01T10:00:00.250Z`
 * @example Usage
 * ```ts
 * import { timestampToJson } from "./proto_json.ts";
 * timestampToJson({ seconds: 1714557600, nanos: 250_000_000 }); // "2024-05-01T10:00:00.250Z"
 * ```
 */
export function timestampToJson(ts: Timestamp | null | undefined): string | null {
  if (!ts) return null;
  return `${new Date(ts.seconds * 1000).toISOString().slice(0, 19)}${fraction(ts.nanos)}Z`;
}

// ".250", ".000001", ".000000007": 3, 6 or 9 digits, as the JSON mapping writes nanos.
function fraction(nanos: number | null | undefined): string {
  if (!nanos) return "";
  const digits = String(nanos).padStart(9, "0");
  return "." +
    (nanos % 1e6 === 0 ? digits.slice(0, 3) : nanos % 1e3 === 0 ? digits.slice(0, 6) : digits);
}

/**
 * Converts a message of the contract to its protobuf JSON object, as `grpcurl` or protojson with
 * EmitUnpopulated would print it.
 *
 * @param typeName the message's name in the contract's package, e.g. `Gpu`
 * @param value the message as the client returns it
 * @returns a plain object for JSON.stringify or YAML
 * @example Usage
 * ```ts
 * import { messageToJson } from "./proto_json.ts";
 * messageToJson("ListMeta", { resourceVersion: "7" }); // { resourceVersion: "7" }
 * ```
 */
export function messageToJson(typeName: string, value: unknown): JsonObject {
  return objectToJson(messageType(`${PACKAGE}.${typeName}`), value);
}

function objectToJson(type: protobuf.Type, value: unknown): JsonObject {
  const object = (value ?? {}) as Record<string, unknown>;
  const out: JsonObject = {};
  for (const field of type.fieldsArray) {
    const raw = object[field.name];
    if (field.map) {
      const map = (raw ?? {}) as Record<string, unknown>;
      const sorted: JsonObject = {};
      for (const key of Object.keys(map).sort()) sorted[key] = scalarToJson(field, map[key]);
      out[field.name] = sorted;
    } else if (field.repeated) {
      out[field.name] = ((raw ?? []) as unknown[]).map((item) => fieldToJson(field, item));
    } else {
      out[field.name] = fieldToJson(field, raw);
    }
  }
  return out;
}

function fieldToJson(field: protobuf.Field, value: unknown): JsonValue {
  const type = field.resolve().resolvedType;
  if (type === null || !("fieldsArray" in type)) return scalarToJson(field, value);
  if (value === null || value === undefined) return null;
  if (type.fullName === ".google.protobuf.Timestamp") return timestampToJson(value as Timestamp);
  if (type.fullName === ".google.protobuf.Duration") {
    const d = value as { seconds: number; nanos: number };
    return `${d.seconds}${fraction(d.nanos)}s`;
  }
  return objectToJson(type as protobuf.Type, value);
}

function scalarToJson(field: protobuf.Field, value: unknown): JsonValue {
  if (LONGS.has(field.type)) return String(value ?? 0);
  if (value === null || value === undefined) {
    return field.type === "bool" ? false : field.type === "string" ? "" : 0;
  }
  return value as JsonValue;
}

/**
 * Converts a GPU to its protobuf JSON object.
 *
 * @param gpu a GPU as the client returns it
 * @returns a plain object for JSON.stringify or YAML
 */
export function gpuToJson(gpu: Gpu): JsonObject {
  return messageToJson("Gpu", gpu);
}

/**
 * Converts a list to the GpuList message's JSON, so scripts see the version it is consistent at.
 *
 * @param items the GPUs
 * @param resourceVersion the list's version
 * @returns the GpuList object
 */
export function gpuListToJson(items: readonly Gpu[], resourceVersion: string): JsonObject {
  return messageToJson("GpuList", { metadata: { resourceVersion }, items });
}

/**
 * Converts a watch event to the WatchGpusResponse message's JSON.
 *
 * @param type ADDED, MODIFIED, DELETED or BOOKMARK
 * @param gpu the event's object
 * @returns the WatchGpusResponse object
 */
export function watchEventToJson(type: string, gpu: Gpu): JsonObject {
  return messageToJson("WatchGpusResponse", { type, object: gpu });
}

/**
 * Converts a Provider (`get providers -o json`) to its protobuf JSON object.
 *
 * @param provider a provider as the client returns it
 * @returns the Provider object
 */
export function providerToJson(provider: Provider): JsonObject {
  return messageToJson("Provider", provider);
}
