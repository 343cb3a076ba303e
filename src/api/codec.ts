/**
 * Encoding and decoding of the contract's messages.
 *
 * Responses are produced as bytes once per write and reused (see
 * `docs/performance.md`): the composition helpers below wrap already-encoded
 * Gpu bytes into list, watch and create responses without re-encoding them.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import protobuf from "protobufjs";
import { messageType } from "./proto_root.ts";
import { wireProblem } from "./wire_check.ts";
import type { Gpu, WatchEventType } from "./types.ts";

/** Full name prefix of every message of the contract. */
export const PACKAGE = "nvidia.device.v1alpha1";

/** protobufjs conversion options that give the shapes of `types.ts`. */
export const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
};

/** Marker returned by {@linkcode decodeMessage} for bytes that are not a valid message. */
export interface DecodeFailure {
  readonly decodeError: string;
}

/** Tells a {@linkcode DecodeFailure} apart from a decoded message. */
export function isDecodeFailure(value: unknown): value is DecodeFailure {
  return typeof value === "object" && value !== null && "decodeError" in value;
}

/**
 * Decodes bytes into the plain object shape of a message.
 *
 * Never throws: malformed input yields a {@linkcode DecodeFailure} so that the
 * handler can answer INVALID_ARGUMENT instead of grpc-js answering INTERNAL.
 */
export function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array): T | DecodeFailure {
  // protobufjs alone is lenient (wrong wire types, truncated strings): check first.
  const problem = wireProblem(type, bytes);
  if (problem !== null) return { decodeError: problem };
  try {
    return type.toObject(type.decode(bytes), TO_OBJECT) as T;
  } catch (err) {
    return { decodeError: err instanceof Error ? err.message : String(err) };
  }
}

/** Encodes a plain object of the given type into a Buffer that grpc-js can frame. */
export function encodeMessage(type: protobuf.Type, value: unknown): Buffer {
  return asBuffer(type.encode(value as protobuf.Message).finish());
}

/** Views a Uint8Array as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

let gpuType: protobuf.Type | undefined;

/**
 * Encodes a Gpu: the one encoding each write produces and every read reuses.
 * Default values are left out, as proto3 encoders do, so the bytes are the
 * canonical encoding any other implementation would produce.
 */
export function encodeGpu(gpu: Gpu): Buffer {
  gpuType ??= messageType(`${PACKAGE}.Gpu`);
  return retained(encodeMessage(gpuType, withoutDefaults(gpu)));
}

/** Decodes Gpu bytes (a checkpoint's stored objects) into the normalized plain shape. */
export function decodeGpu(bytes: Uint8Array): Gpu {
  gpuType ??= messageType(`${PACKAGE}.Gpu`);
  return gpuType.toObject(gpuType.decode(bytes), TO_OBJECT) as Gpu;
}

/**
 * Copies bytes that the server keeps (stored objects, the watch history)
 * into a buffer of their own. protobufjs allocates small results as slices
 * of shared 8 KiB slabs, and one long-lived slice pins its whole slab: with
 * thousands of history events that multiplied the memory they need.
 */
export function retained(bytes: Uint8Array): Buffer {
  const own = new Uint8Array(bytes.length);
  own.set(bytes);
  return Buffer.from(own.buffer, 0, own.length);
}

// protobufjs writes every own property, defaults included; drop them. Map fields (labels,
// annotations) keep their entries: those are data, never defaults. A for-in loop, not
// Object.entries: every write encodes its object, and the entry arrays were its garbage.
function withoutDefaults(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(withoutDefaults);
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in source) {
    const v = source[k];
    if (v === "" || v === 0 || v === false || v === null || v === undefined) continue;
    out[k] = k === "labels" || k === "annotations" ? v : withoutDefaults(v);
  }
  return out;
}

// Field tags: (field number << 3) | wire type 2 (length-delimited) or 0 (varint).
const TAG_1_BYTES = 10;
const TAG_2_BYTES = 18;
const TAG_2_VARINT = 16;

/** Composes a WatchGpusResponse from an event type and already-encoded Gpu bytes. */
export function encodeWatchEvent(type: WatchEventType, gpuBytes: Uint8Array): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(TAG_1_BYTES).string(type).uint32(TAG_2_BYTES).bytes(gpuBytes);
  return retained(w.finish());
}

/** Annotation of the BOOKMARK that ends a watch's initial events (Kubernetes' convention). */
export const INITIAL_EVENTS_END_ANNOTATION = "k8s.io/initial-events-end";

/**
 * Composes a BOOKMARK event, which carries only metadata.resource_version (and, for the one
 * that ends the initial events, the annotation `k8s.io/initial-events-end: "true"`).
 */
export function encodeBookmark(resourceVersion: number, initialEventsEnd = false): Buffer {
  const w = protobuf.Writer.create();
  // object=2 { metadata=1 { resource_version=2, annotations=8 { key=1, value=2 } } }
  w.uint32(TAG_1_BYTES).string("BOOKMARK");
  w.uint32(TAG_2_BYTES).fork().uint32(TAG_1_BYTES).fork();
  w.uint32(TAG_2_BYTES).string(String(resourceVersion));
  if (initialEventsEnd) {
    w.uint32((8 << 3) | 2).fork();
    w.uint32(TAG_1_BYTES).string(INITIAL_EVENTS_END_ANNOTATION).uint32(TAG_2_BYTES).string("true");
    w.ldelim();
  }
  w.ldelim().ldelim();
  return asBuffer(w.finish());
}

/** Composes a ListGpusResponse from the list's version and already-encoded items. */
export function encodeGpuList(resourceVersion: number, items: readonly Uint8Array[]): Buffer {
  const w = protobuf.Writer.create();
  // gpu_list=1 { metadata=1 { resource_version=1 }, items=2 ... }
  w.uint32(TAG_1_BYTES).fork();
  w.uint32(TAG_1_BYTES).fork().uint32(TAG_1_BYTES).string(String(resourceVersion)).ldelim();
  for (const item of items) w.uint32(TAG_2_BYTES).bytes(item);
  w.ldelim();
  return retained(w.finish());
}

/** Composes a CreateGpuResponse from already-encoded Gpu bytes. */
export function encodeCreateResponse(gpuBytes: Uint8Array, created: boolean): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(TAG_1_BYTES).bytes(gpuBytes);
  if (created) w.uint32(TAG_2_VARINT).bool(true);
  return asBuffer(w.finish());
}
